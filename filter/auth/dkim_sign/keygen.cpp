// filter/auth/dkim_sign/keygen.cpp — key generation (OpenSSL EVP), PEM output, TXT records.
#include "filter/auth/dkim_sign/keygen.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/strings.h"
#include "filter/auth/dkim/primitives/base64.h"

namespace am::dkim {
namespace {

bool validName(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '_'))
      return false;
  return s.find("..") == std::string_view::npos;
}

EvpPkeyPtr generate(Alg alg, unsigned bits) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(alg == Alg::Rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if (alg == Alg::Rsa && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) return nullptr;
  return EvpPkeyPtr(raw);
}

std::optional<std::string> toPem(EVP_PKEY* k) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return std::nullopt;
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  if (n <= 0 || !p) return std::nullopt;
  return std::string(p, static_cast<size_t>(n));
}

bool writeNew(const std::string& path, const std::string& data, std::string* err) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    *err = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t off = 0;
  while (ok && off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) ok = false;
    else off += static_cast<size_t>(n);
  }
  ok = (::fsync(fd) == 0) && ok;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    *err = "cannot write " + path;
    ::unlink(path.c_str());
  }
  return ok;
}

}  // namespace

std::optional<std::string> publicKeyTxt(EVP_PKEY* key) {
  if (!key) return std::nullopt;
  int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != 32) return std::nullopt;
    return "v=DKIM1; k=ed25519; p=" + base64Encode(raw, len);
  }
  if (id != EVP_PKEY_RSA) return std::nullopt;
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0 || !der) return std::nullopt;
  std::string txt = "v=DKIM1; k=rsa; p=" + base64Encode(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return txt;
}

std::string zoneFileRecord(std::string_view domain, std::string_view selector, std::string_view txt) {
  std::string out = std::string(selector) + "._domainkey." + normalizeDomain(domain) + ". IN TXT (";
  // First string ends after the "k=...; " tag so the record reads naturally; then 255-byte pieces.
  size_t p = txt.find("p=");
  std::string_view head = p == std::string_view::npos ? std::string_view() : txt.substr(0, p);
  std::string_view rest = txt.substr(head.size());
  if (!head.empty()) out += " \"" + std::string(head) + "\"";
  for (size_t i = 0; i < rest.size(); i += 255) out += " \"" + std::string(rest.substr(i, 255)) + "\"";
  return out + " )";
}

std::optional<KeygenResult> keygen(std::string_view domain, std::string_view selector, Alg alg, unsigned bits,
                                   const std::string& dir, std::string* err) {
  std::string e;
  if (!err) err = &e;
  std::string d = normalizeDomain(domain);
  if (!validName(d) || !validName(selector)) {
    *err = "invalid domain or selector (letters, digits, '-', '_', '.')";
    return std::nullopt;
  }
  if (alg == Alg::Rsa) {
    if (bits == 0) bits = 2048;
    if (bits < 1024 || bits > 4096) {
      *err = "RSA key size must be 1024..4096 bits (2048 recommended)";
      return std::nullopt;
    }
  }
  EvpPkeyPtr key = generate(alg, bits);
  auto pem = key ? toPem(key.get()) : std::nullopt;
  auto txt = key ? publicKeyTxt(key.get()) : std::nullopt;
  ERR_clear_error();
  if (!pem || !txt) {
    *err = "key generation failed";
    return std::nullopt;
  }
  KeygenResult r;
  r.privateKeyPath = (dir.empty() ? std::string(".") : dir) + "/" + d + "." + std::string(selector) + ".key";
  bool ok = writeNew(r.privateKeyPath, *pem, err);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!ok) return std::nullopt;
  r.dnsRecord = zoneFileRecord(d, selector, *txt);
  return r;
}

}  // namespace am::dkim
