// filter/auth/dkim/key_cache.cpp — public key decoding and the shared decoded-key cache.
#include "filter/auth/dkim/key_cache.h"

#include <openssl/x509.h>

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
  std::string key;
  key.reserve(p.size() + 1);
  key += type == KeyType::Rsa ? 'r' : 'e';
  for (char c : p)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') key += c;
  {
    std::lock_guard lk(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second;
  }
  auto decoded = std::make_shared<const PublicKey>(decodePublicKey(type, std::string_view(key).substr(1)));
  // A p= longer than the base64 of the largest key we decode (16 KiB) can never be a usable key:
  // do not keep it, so hostile key records (up to ~64 KB over TCP) cannot fill the cache's memory.
  if (key.size() > 1 + (16384 + 2) / 3 * 4) return decoded;
  std::lock_guard lk(mu_);
  ++decodes_;
  if (map_.size() >= capacity_ && !map_.empty()) map_.erase(map_.begin());
  return map_.emplace(std::move(key), decoded).first->second;
}

size_t KeyCache::size() const {
  std::lock_guard lk(mu_);
  return map_.size();
}

size_t KeyCache::decodes() const {
  std::lock_guard lk(mu_);
  return decodes_;
}

}  // namespace am::dkim
