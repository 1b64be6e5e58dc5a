// tests/dkim/diff_gen.cpp — see diff_gen.h.
#include "diff_gen.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/support/memorydns/memory_resolver.h"
#include "filter/auth/dkim/handles.h"
#include "filter/auth/dkim/opendkim_verifier.h"
#include "filter/auth/dkim_sign/keygen.h"

namespace am::dkim::test {
namespace {

LoadedKey makeKey(const char* type, unsigned bits, Alg alg, const char* selector) {
  LoadedKey k;
  k.name = selector;
  k.domain = "example.com";
  k.selector = selector;
  k.alg = alg;
  k.bits = alg == Alg::Rsa ? bits : 256;
  if (alg == Alg::Rsa) k.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, type, static_cast<size_t>(bits)));
  else k.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
  return k;
}

std::string pkcs1Txt(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PublicKey(key, &der);
  if (len <= 0) return "";
  std::string b64(4 * ((static_cast<size_t>(len) + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der, len);
  OPENSSL_free(der);
  b64.resize(static_cast<size_t>(n));
  return "v=DKIM1; k=rsa; p=" + b64;
}

std::string pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return "";
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

TestKeys makeKeys() {
  TestKeys k;
  k.rsa = makeKey("RSA", 2048, Alg::Rsa, "rsa");
  k.rsa2 = makeKey("RSA", 1024, Alg::Rsa, "rsa");
  k.ed = makeKey("ED25519", 0, Alg::Ed25519, "ed");
  k.ed2 = makeKey("ED25519", 0, Alg::Ed25519, "ed");
  k.rsaTxt = publicKeyTxt(k.rsa.pkey.get()).value_or("");
  k.rsa2Txt = publicKeyTxt(k.rsa2.pkey.get()).value_or("");
  k.edTxt = publicKeyTxt(k.ed.pkey.get()).value_or("");
  k.ed2Txt = publicKeyTxt(k.ed2.pkey.get()).value_or("");
  k.rsaPkcs1Txt = pkcs1Txt(k.rsa.pkey.get());
  k.rsaPem = pem(k.rsa.pkey.get());
  return k;
}

const char* kWords[] = {"alpha", "Beta", "gamma", "x", "42", "=?utf-8?q?caf=C3=A9?=", "<a@b>", "end.", "--", "semi;colon"};

}  // namespace

const TestKeys& testKeys() {
  static const TestKeys keys = makeKeys();
  return keys;
}

std::string Generator::wsp() {
  static const char* kWsp[] = {" ", " ", " ", "  ", "\t", " \t ", "   "};
  return kWsp[pick(7)];
}

std::string Generator::words(int max, bool foldable) {
  std::string s;
  int n = pick(max) + 1;
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += foldable && chance(10) ? "\n\t" : wsp();
    s += kWords[pick(10)];
  }
  return s;
}

Message Generator::message() {
  Message m;
  auto name = [this](std::string n) {
    if (chance(20))
      for (char& c : n) c = static_cast<char>(chance(50) ? std::toupper(c) : std::tolower(c));
    return n;
  };
  if (chance(30)) m.headers.push_back({"Received", " from relay" + std::to_string(pick(9)) + " by mx;" + wsp() + "x"});
  m.headers.push_back({name("From"), " " + words(2, false) + " <user@example.com>"});
  m.headers.push_back({name("To"), " rcpt@example.org" + (chance(30) ? wsp() : std::string())});
  m.headers.push_back({name("Subject"), (chance(20) ? "  " : " ") + words(8, true) + (chance(20) ? "\t" : "")});
  m.headers.push_back({"Date", " Mon, 23 Nov 2026 16:00:00 +0000"});
  m.headers.push_back({"Message-ID", " <" + std::to_string(pick(1000000)) + "@example.com>"});
  for (int i = pick(3); i > 0; --i) m.headers.push_back({name("X-Extra"), " " + words(5, true)});
  int lines = pick(30);
  for (int i = 0; i < lines; ++i) {
    if (chance(15)) {
      m.body += chance(10) ? "\n" : "\r\n";
      continue;
    }
    if (chance(10)) m.body += wsp();
    m.body += words(10, false);
    if (chance(15)) m.body += wsp();
    m.body += chance(10) ? "\n" : "\r\n";
  }
  for (int i = chance(30) ? pick(4) : 0; i > 0; --i) m.body += "\r\n";
  if (chance(10)) m.body += "no final line end";
  return m;
}

std::vector<std::string> signWithOurs(const Message& m, const std::vector<const LoadedKey*>& keys,
                                      Canon hc, Canon bc, int64_t now, int64_t expire) {
  std::vector<Signing::KeyRef> refs;
  for (const LoadedKey* k : keys) refs.push_back({k, "example.com"});
  SignOptions o;
  o.headerCanon = hc;
  o.bodyCanon = bc;
  o.expireSeconds = expire;
  FixedClock clock(now);
  Signing s(refs, o, clock);
  for (const auto& [n, v] : m.headers) s.header(n, v);
  s.endOfHeaders();
  s.body(m.body);
  return s.finish();
}

std::string signWithLibopendkimL(const Message& m, Canon hc, Canon bc, int64_t now, uint64_t length) {
  InMemoryResolver dns;
  FixedClock clock(now);
  auto lib = OpenDkimVerifier::create(dns, VerifyOptions{}, clock, nullptr);
  if (!lib) return "";
  uint64_t when = static_cast<uint64_t>(now);
  dkim_options(lib->raw(), DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &when, sizeof when);
  const std::string& key = testKeys().rsaPem;
  auto canon = [](Canon c) { return c == Canon::Simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED; };
  DKIM_STAT st;
  DkimPtr d(dkim_sign(lib->raw(), reinterpret_cast<const u_char*>("diff"), nullptr,
                      reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(key.c_str())),
                      reinterpret_cast<const u_char*>("rsa"), reinterpret_cast<const u_char*>("example.com"),
                      canon(hc), canon(bc), DKIM_SIGN_RSASHA256, static_cast<ssize_t>(length), &st));
  if (!d) return "";
  for (const auto& [n, v] : m.headers) {
    std::string h = headerForLibopendkim(n, v);
    dkim_header(d.get(), reinterpret_cast<u_char*>(h.data()), h.size());
  }
  dkim_eoh(d.get());
  std::string body = toCrlf(m.body);
  if (!body.empty() && body.back() != '\n') body += "\r\n";  // "X" and "X CRLF" canonicalize alike
  if (!body.empty()) dkim_body(d.get(), reinterpret_cast<u_char*>(body.data()), body.size());
  if (dkim_eom(d.get(), nullptr) != DKIM_STAT_OK) return "";
  u_char* hv = nullptr;
  size_t hl = 0;
  if (dkim_getsighdr_d(d.get(), 16, &hv, &hl) != DKIM_STAT_OK) return "";
  std::string out;
  for (size_t i = 0; i < hl; ++i)
    if (hv[i] != '\r') out.push_back(static_cast<char>(hv[i]));
  return out;
}

}  // namespace am::dkim::test
