// filter/auth/dkim/key_cache.cpp — the shared decoded-key cache (see key_cache.h).
#include "filter/auth/dkim/key_cache.h"

#include <algorithm>

namespace am::dkim {

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
