// tests/arc_seal/arc_test_util.cpp — see arc_test_util.h.
#include "tests/arc_seal/arc_test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/clock.h"
#include "filter/auth/dkim/primitives/base64.h"

namespace am::arctest {

RawMessage parseMessage(const std::string& text) {
  RawMessage m;
  std::vector<std::string> lines;
  size_t pos = 0;
  bool inBody = false;
  std::string body;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (inBody) {
      body += line + "\r\n";
      continue;
    }
    if (line.empty()) {
      inBody = true;
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
      m.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    m.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  m.body = body;
  return m;
}

std::string assemble(const RawMessage& m, const std::vector<std::pair<std::string, std::string>>& top) {
  std::string out;
  auto add = [&](const std::string& name, const std::string& value, bool leadingSpace) {
    std::string v = (leadingSpace ? " " : "") + value;
    out += name + ":";
    for (char c : v) {
      if (c == '\n') out += '\r';
      if (c != '\r') out += c;
    }
    out += "\r\n";
  };
  for (const auto& [n, v] : top) add(n, v, true);
  for (const auto& [n, v] : m.headers) add(n, v, false);
  return out + "\r\n" + m.body;
}

std::vector<std::pair<std::string, std::string>> setFields(const arcseal::SealedSet& s) {
  return {{"ARC-Seal", s.as}, {"ARC-Message-Signature", s.ams}, {"ARC-Authentication-Results", s.aar}};
}

static dkim::LoadedKey fromPkey(EVP_PKEY* p) {
  if (!p) {
    ERR_print_errors_fp(stderr);
    std::abort();
  }
  dkim::LoadedKey k;
  k.pkey.reset(p);
  bool ed = EVP_PKEY_get_base_id(p) == EVP_PKEY_ED25519;
  k.alg = ed ? dkim::Alg::Ed25519 : dkim::Alg::Rsa;
  k.bits = ed ? 256 : static_cast<unsigned>(EVP_PKEY_get_bits(p));
  k.name = "test";
  return k;
}

dkim::LoadedKey keyFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* p = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return fromPkey(p);
}

dkim::LoadedKey generateKey(const std::string& type, std::string* pem, std::string* txt) {
  EVP_PKEY* p = type == "ed25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                  : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  BIO* bio = BIO_new(BIO_s_mem());
  if (type == "ed25519") PEM_write_bio_PrivateKey(bio, p, nullptr, nullptr, 0, nullptr, nullptr);
  else PEM_write_bio_PrivateKey_traditional(bio, p, nullptr, nullptr, 0, nullptr, nullptr);  // PKCS#1: dkimpy reads only that
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  *pem = std::string(data, static_cast<size_t>(n));
  BIO_free(bio);
  std::string pub;
  if (type == "ed25519") {
    unsigned char raw[32];
    size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(p, raw, &len);
    pub = dkim::base64Encode(raw, len);
    *txt = "v=DKIM1; k=ed25519; p=" + pub;
  } else {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(p, &der);
    pub = dkim::base64Encode(der, static_cast<size_t>(len));
    OPENSSL_free(der);
    *txt = "v=DKIM1; k=rsa; p=" + pub;
  }
  return fromPkey(p);
}

arcseal::SealOutcome seal(const RawMessage& m, const arcseal::SealKey& key, const arcseal::SealOptions& o, int64_t t,
                          const arcseal::ChainStatus& chain, const std::string& authservId,
                          const std::string& results) {
  FixedClock clock(t);
  arcseal::Sealing s(key, o, clock);
  for (const auto& [n, v] : m.headers) s.header(n, v);
  // Uneven chunks: the body hash must not depend on how the MTA cuts the body.
  for (size_t i = 0; i < m.body.size(); i += 7) s.body(std::string_view(m.body).substr(i, 7));
  return s.finish(chain, authservId, results);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "amarc.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int run(const std::string& command, std::string* output) {
  output->clear();
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

namespace {
std::string keysFile(const std::string& messageFile, const KeyMap& keys) {
  std::string path = messageFile + ".keys";
  std::string data;
  for (const auto& [n, v] : keys) data += n + "\t" + v + "\n";
  writeFile(path, data);
  return path;
}

std::string lastWord(const std::string& out, const std::string& prefix) {
  size_t at = out.rfind(prefix);
  if (at == std::string::npos) return "(no result)";
  size_t s = at + prefix.size();
  size_t e = out.find_first_of(" \n", s);
  return out.substr(s, e == std::string::npos ? std::string::npos : e - s);
}
}  // namespace

std::string dkimpyArcVerify(const std::string& messageFile, const KeyMap& keys, std::string* output) {
  run(std::string("/usr/bin/python3 ") + AM_ARC_SCRIPTS + "/arc_verify.py " + keysFile(messageFile, keys) + " " +
          messageFile,
      output);
  return lastWord(*output, "cv=");
}

std::string mailDkimArcVerify(const std::string& messageFile, const KeyMap& keys, std::string* output) {
  run(std::string("/usr/bin/perl ") + AM_ARC_SCRIPTS + "/arc_verify.pl " + keysFile(messageFile, keys) + " " +
          messageFile,
      output);
  return lastWord(*output, "cv=");
}

}  // namespace am::arctest

#include <openssl/rsa.h>

#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim/primitives/tag_list.h"

namespace am::arctest {

std::string withEmptyB(const std::string& value) {
  size_t pos = 0;
  while (pos < value.size()) {
    size_t start = value.find_first_not_of(" \t\r\n", pos);
    if (start == std::string::npos) break;
    size_t semi = value.find(';', start);
    if (value.compare(start, 2, "b=") == 0) {
      return value.substr(0, start + 2) + (semi == std::string::npos ? "" : value.substr(semi));
    }
    if (semi == std::string::npos) break;
    pos = semi + 1;
  }
  return value;
}

bool verifySignature(const dkim::LoadedKey& key, const std::vector<std::pair<std::string, std::string>>& fields,
                     const std::string& sigName, const std::string& sigValue) {
  std::string data;
  for (const auto& [n, v] : fields) dkim::appendCanonHeader(data, dkim::Canon::Relaxed, n, v);
  dkim::appendCanonHeader(data, dkim::Canon::Relaxed, sigName, withEmptyB(sigValue));
  data.resize(data.size() - 2);
  auto tags = dkim::parseTagList(sigValue);
  const std::string* b64 = tags.get("b");
  if (!b64) return false;
  auto sig = dkim::base64Decode(*b64);
  if (!sig) return false;
  unsigned char h[32];
  unsigned int hl = 0;
  EVP_Digest(data.data(), data.size(), h, &hl, EVP_sha256(), nullptr);
  bool ok = false;
  if (key.alg == dkim::Alg::Ed25519) {
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(c, nullptr, nullptr, nullptr, key.pkey.get()) == 1 &&
         EVP_DigestVerify(c, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(), h, hl) == 1;
    EVP_MD_CTX_free(c);
  } else {
    EVP_PKEY_CTX* c = EVP_PKEY_CTX_new(key.pkey.get(), nullptr);
    ok = EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
         EVP_PKEY_verify(c, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(), h, hl) == 1;
    EVP_PKEY_CTX_free(c);
  }
  ERR_clear_error();
  return ok;
}

}  // namespace am::arctest
