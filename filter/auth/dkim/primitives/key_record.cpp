// filter/auth/dkim/primitives/key_record.cpp — key record checks, public key decoding and the
// PKCS#1 rewrite (see key_record.h).
#include "filter/auth/dkim/primitives/key_record.h"

#include <openssl/x509.h>

#include <algorithm>
#include <optional>

#include "common/strings.h"
#include "filter/auth/dkim/primitives/base64.h"

namespace am::dkim {
namespace {

constexpr size_t kMaxKeyBytes = 16384;  // decoded p=; far above any real key

// Whether the colon-separated list holds `x` (case-insensitively; elements trimmed).
bool listed(std::string_view list, std::string_view x) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t colon = list.find(':', start);
    if (colon == std::string_view::npos) colon = list.size();
    if (iequals(trim(list.substr(start, colon - start)), x)) return true;
    start = colon + 1;
  }
  return false;
}

bool allWhitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// A PKCS#1 RSAPublicKey is a SEQUENCE starting with an INTEGER; an SPKI starts with a SEQUENCE.
bool looksLikePkcs1(std::string_view der) {
  if (der.size() < 4 || static_cast<unsigned char>(der[0]) != 0x30) return false;
  size_t i = 2;
  auto lenByte = static_cast<unsigned char>(der[1]);
  if (lenByte & 0x80) {
    size_t n = lenByte & 0x7f;
    if (n == 0 || n > 4) return false;
    i += n;
  }
  return i < der.size() && der[i] == 0x02;
}

PublicKey decodeRsa(const std::string& der) {
  PublicKey k;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto len = static_cast<long>(der.size());
  if (looksLikePkcs1(der)) k.pkey.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
  else k.pkey.reset(d2i_PUBKEY(nullptr, &p, len));
  if (k.pkey && EVP_PKEY_get_base_id(k.pkey.get()) != EVP_PKEY_RSA) k.pkey.reset();
  if (k.pkey) k.bits = static_cast<unsigned>(EVP_PKEY_get_bits(k.pkey.get()));
  return k;
}

// SPKI base64 for a bare RSAPublicKey, or nullopt if `der` is SPKI already or not RSA at all.
std::optional<std::string> spkiFromPkcs1(const std::string& der) {
  if (!looksLikePkcs1(der)) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr rsa(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
  if (!rsa || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return std::nullopt;
  unsigned char* out = nullptr;
  int len = i2d_PUBKEY(rsa.get(), &out);
  if (len <= 0) return std::nullopt;
  std::string b64 = base64Encode(out, static_cast<size_t>(len));
  OPENSSL_free(out);
  return b64;
}

}  // namespace

SigError checkKeyRecord(const TagViews& key, HashAlg hash, KeyType type, KeyRecordUse& use) {
  if (key.error != nullptr) return SigError::KeySyntax;
  if (const std::string_view* v = key.get("v"); v != nullptr && *v != "DKIM1") return SigError::KeyVersion;
  if (const std::string_view* h = key.get("h")) {
    if (!listed(*h, "sha1") && !listed(*h, "sha256")) return SigError::KeyHashUnknown;
    if (!listed(*h, hash == HashAlg::Sha1 ? "sha1" : "sha256")) return SigError::KeyHashMismatch;
  }
  if (const std::string_view* s = key.get("s")) {
    if (!listed(*s, "email") && !listed(*s, "*")) return SigError::KeyNotEmail;
  }
  const std::string_view* k = key.get("k");
  std::string_view kt = k != nullptr ? *k : std::string_view("rsa");
  const bool rsa = iequals(kt, "rsa");
  if (!rsa && !iequals(kt, "ed25519")) return SigError::KeyTypeUnknown;
  if (rsa != (type == KeyType::Rsa)) return SigError::KeyTypeUnknown;
  const std::string_view* pv = key.get("p");
  if (pv == nullptr) return SigError::KeySyntax;
  use.p = *pv;
  if (allWhitespace(use.p)) return SigError::KeyRevoked;
  if (const std::string_view* t = key.get("t")) {
    use.testing = listed(*t, "y");
    use.strict = listed(*t, "s");
  }
  return SigError::None;
}

PublicKey decodePublicKey(KeyType type, std::string_view p) {
  auto der = base64Decode(p);
  if (!der || der->empty() || der->size() > kMaxKeyBytes) return {};
  if (type == KeyType::Rsa) return decodeRsa(*der);
  PublicKey k;
  if (der->size() == 32)
    k.pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(der->data()), 32));
  return k;
}

std::string normalizeKeyRecord(std::string_view record) {
  TagList tags = parseTagList(record);
  const std::string* k = tags.get("k");
  const std::string* p = tags.get("p");
  if (!tags.error.empty() || p == nullptr || (k != nullptr && *k != "rsa")) return std::string(record);
  auto der = base64Decode(*p);
  if (!der || der->empty() || der->size() > kMaxKeyBytes) return std::string(record);
  auto spki = spkiFromPkcs1(*der);
  if (!spki) return std::string(record);
  std::string out;
  for (const auto& [name, value] : tags.tags)
    out += name + "=" + (name == "p" ? *spki : value) + "; ";
  if (!out.empty()) out.resize(out.size() - 2);
  return out;
}

}  // namespace am::dkim
