// filter/auth/dkim/key_cache.cpp — public key decoding and the shared decoded-key cache.
#include "filter/auth/dkim/key_cache.h"

#include <openssl/x509.h>

#include <algorithm>

namespace am::dkim {
namespace {

// A PKCS#1 RSAPublicKey is a SEQUENCE starting with an INTEGER; an SPKI starts with a SEQUENCE.
bool looksLikePkcs1(const std::string& der) {
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

}  // namespace

PublicKey decodePublicKey(KeyType type, std::string_view p) {
  auto der = base64Decode(p);
  if (!der || der->empty() || der->size() > 16384) return {};
  if (type == KeyType::Rsa) return decodeRsa(*der);
  PublicKey k;
  if (der->size() == 32)
    k.pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(der->data()), 32));
  return k;
}

std::shared_ptr<const PublicKey> KeyCache::get(KeyType type, std::string_view p) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::string stripped;
  std::string_view key = p;
  if (std::any_of(p.begin(), p.end(), ws)) {
    stripped.reserve(p.size());
    for (char c : p)
      if (!ws(c)) stripped += c;
    key = stripped;
  }
  Map& map = mapFor(type);
  {
    std::lock_guard lk(mu_);
    auto it = map.find(key);
    if (it != map.end()) return it->second;
  }
  auto decoded = std::make_shared<const PublicKey>(decodePublicKey(type, key));
  // A p= longer than the base64 of the largest key we decode (16 KiB) can never be a usable key:
  // do not keep it, so hostile key records (up to ~64 KB over TCP) cannot fill the cache's memory.
  if (key.size() > (16384 + 2) / 3 * 4) return decoded;
  std::lock_guard lk(mu_);
  ++decodes_;
  if (maps_[0].size() + maps_[1].size() >= capacity_) {
    Map& victim = !map.empty() ? map : maps_[&map == &maps_[0] ? 1 : 0];
    if (!victim.empty()) victim.erase(victim.begin());
  }
  return map.emplace(std::string(key), decoded).first->second;
}

size_t KeyCache::size() const {
  std::lock_guard lk(mu_);
  return maps_[0].size() + maps_[1].size();
}

size_t KeyCache::decodes() const {
  std::lock_guard lk(mu_);
  return decodes_;
}

}  // namespace am::dkim
