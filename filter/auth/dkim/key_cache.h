// filter/auth/dkim/key_cache.h — decoded DKIM public keys, shared across messages and threads.
//
// Decoding a key (decodePublicKey() in primitives/key_record.h: base64, then d2i_PUBKEY /
// d2i_PublicKey for RSA, EVP_PKEY_new_raw_public_key for Ed25519) costs about as much as an RSA verification on OpenSSL 3, so each distinct p=
// value is decoded once and its EVP_PKEY shared read-only (OpenSSL allows concurrent verify
// operations on one EVP_PKEY). Undecodable keys are cached too (as a key with pkey == null).
// The cache is bounded (capacity entries, default 4096); when full, an arbitrary entry is
// dropped. Entries are immutable; callers hold a shared_ptr, so eviction never frees a key in use.
// Keys are the p= value without whitespace, one map per key type; a hit for a p= written without
// whitespace (the usual case) looks up the caller's bytes directly and allocates nothing.
// Thread-safety: get() may be called from many threads (one mutex around the maps).
#pragma once
#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "filter/auth/dkim/primitives/key_record.h"

namespace am::dkim {

class KeyCache {
 public:
  explicit KeyCache(size_t capacity = 4096) : capacity_(capacity) {}
  std::shared_ptr<const PublicKey> get(KeyType type, std::string_view p);  // never null
  size_t size() const;
  size_t decodes() const;  // how many times a key was decoded (cache misses)

 private:
  struct ViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::shared_ptr<const PublicKey>, ViewHash, std::equal_to<>>;
  Map& mapFor(KeyType t) { return maps_[t == KeyType::Rsa ? 0 : 1]; }

  size_t capacity_;
  mutable std::mutex mu_;
  Map maps_[2];  // RSA, Ed25519
  size_t decodes_ = 0;
};

}  // namespace am::dkim
