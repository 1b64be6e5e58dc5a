// filter/auth/dkim/key_record.cpp — PKCS#1 → SubjectPublicKeyInfo rewrite of p= (see header).
#include "filter/auth/dkim/key_record.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <vector>

#include "filter/auth/dkim/tag_list.h"

namespace am::dkim {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::optional<std::vector<unsigned char>> base64Decode(const std::string& b64) {
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 16384) return std::nullopt;
  std::vector<unsigned char> out(b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t pad = (b64.back() == '=') + (b64.size() > 1 && b64[b64.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string base64Encode(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

// True when `der` is a SEQUENCE whose first element is an INTEGER: the shape of a PKCS#1
// RSAPublicKey. A SubjectPublicKeyInfo starts with a SEQUENCE (the AlgorithmIdentifier)
// instead, so it can never decode as RSAPublicKey. This structural test replaces a trial
// d2i_PUBKEY(), which on OpenSSL 3 sets up a full decoder context per call and cost as much
// as the RSA verification itself (docs/benchmark.md, profile).
bool looksLikePkcs1(const std::vector<unsigned char>& der) {
  if (der.size() < 4 || der[0] != 0x30) return false;
  size_t i = 2;
  if (der[1] & 0x80) {
    size_t n = der[1] & 0x7f;
    if (n == 0 || n > 4) return false;
    i += n;
  }
  return i < der.size() && der[i] == 0x02;
}

// SPKI DER for a bare RSAPublicKey, or nullopt if `der` is SPKI already or not RSA at all.
std::optional<std::string> spkiFromPkcs1(const std::vector<unsigned char>& der) {
  if (!looksLikePkcs1(der)) return std::nullopt;
  const unsigned char* p = der.data();
  PkeyPtr rsa(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
  if (!rsa || p != der.data() + der.size()) return std::nullopt;
  unsigned char* out = nullptr;
  int len = i2d_PUBKEY(rsa.get(), &out);
  if (len <= 0) return std::nullopt;
  std::string b64 = base64Encode(out, static_cast<size_t>(len));
  OPENSSL_free(out);
  return b64;
}

}  // namespace

std::string normalizeKeyRecord(std::string_view record) {
  TagList tags = parseTagList(record);
  const std::string* k = tags.get("k");
  const std::string* p = tags.get("p");
  if (!tags.error.empty() || p == nullptr || (k != nullptr && *k != "rsa")) return std::string(record);
  auto der = base64Decode(stripWhitespace(*p));
  if (!der) return std::string(record);
  auto spki = spkiFromPkcs1(*der);
  if (!spki) return std::string(record);
  std::string out;
  for (const auto& [name, value] : tags.tags)
    out += name + "=" + (name == "p" ? *spki : value) + "; ";
  if (!out.empty()) out.resize(out.size() - 2);
  return out;
}

}  // namespace am::dkim
