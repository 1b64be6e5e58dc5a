// filter/dns/cache.cpp — see cache.h.
#include "filter/dns/cache.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace am::dns {

namespace {
constexpr size_t kMaxShards = 16;
}

AnswerCache::AnswerCache(size_t capacity, const Clock& clock) : capacity_(capacity), clock_(clock) {
  size_t n = std::min(kMaxShards, std::max<size_t>(capacity, 1));
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    // Floor division keeps the sum of shard capacities <= capacity.
    s->capacity = capacity / n + (i < capacity % n ? 1 : 0);
    shards_.push_back(std::move(s));
  }
}

bool AnswerCache::makeKey(std::string_view name, uint16_t qtype, Key& key) {
  if (name.size() > key.buf.size() - 2) return false;
  key.buf[0] = static_cast<char>(qtype >> 8);
  key.buf[1] = static_cast<char>(qtype & 0xff);
  std::memcpy(key.buf.data() + 2, name.data(), name.size());
  key.len = name.size() + 2;
  return true;
}

AnswerCache::Shard& AnswerCache::shardFor(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

template <class T>
bool AnswerCache::getAs(std::string_view name, uint16_t qtype, T& out) {
  Key key;
  if (capacity_ == 0 || !makeKey(name, qtype, key)) return false;
  Shard& s = shardFor(key.view());
  auto now = clock_.now();
  std::lock_guard lk(s.mu);
  auto it = s.index.find(key.view());
  if (it == s.index.end()) return false;
  if (it->second->expires <= now) {
    auto entry = it->second;
    s.index.erase(it);
    s.lru.erase(entry);
    return false;
  }
  const T* value = std::get_if<T>(&it->second->answer);
  if (!value) return false;  // same (name, type) stored as another answer kind: a caller bug
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  out = *value;
  return true;
}

bool AnswerCache::get(std::string_view n, uint16_t t, TxtAnswer& o) { return getAs(n, t, o); }
bool AnswerCache::get(std::string_view n, uint16_t t, AddrAnswer& o) { return getAs(n, t, o); }
bool AnswerCache::get(std::string_view n, uint16_t t, MxAnswer& o) { return getAs(n, t, o); }
bool AnswerCache::get(std::string_view n, uint16_t t, PtrAnswer& o) { return getAs(n, t, o); }

void AnswerCache::put(std::string_view name, uint16_t qtype, CachedAnswer answer, uint32_t ttl) {
  Key key;
  if (capacity_ == 0 || ttl == 0 || !makeKey(name, qtype, key)) return;
  Shard& s = shardFor(key.view());
  if (s.capacity == 0) return;
  auto expires = clock_.now() + std::chrono::seconds(ttl);
  std::lock_guard lk(s.mu);
  if (auto it = s.index.find(key.view()); it != s.index.end()) {
    it->second->answer = std::move(answer);
    it->second->expires = expires;
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return;
  }
  while (s.lru.size() >= s.capacity) {  // evict the least recently used
    s.index.erase(std::string_view(s.lru.back().key));
    s.lru.pop_back();
  }
  s.lru.push_front(Entry{std::string(key.view()), std::move(answer), expires});
  s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
}

size_t AnswerCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lk(s->mu);
    n += s->lru.size();
  }
  return n;
}

}  // namespace am::dns
