// filter/dns/cache.cpp — see cache.h.
#include "filter/dns/cache.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <iterator>

namespace am::dns {

namespace {
constexpr size_t kMaxShards = 16;
// Per entry beyond the Entry itself: the list node's two links, the index node (next link,
// cached hash, key view, iterator) and its bucket slot, rounded up for allocator headers.
constexpr size_t kNodeOverhead = 96;

size_t stringCost(const std::string& s) { return s.capacity(); }
size_t stringCost(const MxHost& h) { return h.host.capacity(); }

// The vector's buffer plus every string's buffer (an inline short string counts its capacity).
template <class T> size_t vectorCost(const std::vector<T>& v) {
  size_t n = v.capacity() * sizeof(T);
  for (const auto& x : v) n += stringCost(x);
  return n;
}

struct PayloadCost {
  size_t operator()(const TxtAnswer& a) const { return vectorCost(a.records); }
  size_t operator()(const AddrAnswer& a) const { return a.addrs.capacity() * sizeof(IpAddress); }
  size_t operator()(const MxAnswer& a) const { return vectorCost(a.hosts); }
  size_t operator()(const PtrAnswer& a) const { return vectorCost(a.names); }
};
}  // namespace

AnswerCache::AnswerCache(size_t capacity, const Clock& clock, size_t maxBytes)
    : capacity_(capacity), maxBytes_(maxBytes), clock_(clock) {
  size_t n = std::min(kMaxShards, std::max<size_t>(capacity, 1));
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    // Floor division keeps the sum of shard capacities <= capacity (and the same for bytes).
    s->capacity = capacity / n + (i < capacity % n ? 1 : 0);
    s->maxBytes = maxBytes / n;
    shards_.push_back(std::move(s));
  }
}

size_t AnswerCache::entryCost(std::string_view key, const CachedAnswer& answer) {
  return sizeof(Entry) + kNodeOverhead + key.size() + std::visit(PayloadCost{}, answer);
}

void AnswerCache::Shard::drop(std::list<Entry>::iterator it) {
  index.erase(std::string_view(it->key));
  bytes -= it->cost;
  lru.erase(it);
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
    s.drop(it->second);
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
  size_t cost = entryCost(key.view(), answer);
  auto expires = clock_.now() + std::chrono::seconds(ttl);
  std::lock_guard lk(s.mu);
  if (auto it = s.index.find(key.view()); it != s.index.end()) s.drop(it->second);
  if (cost > s.maxBytes) return;  // would not fit even in an empty shard
  // Evict the least recently used until both bounds hold with the new entry in.
  while (!s.lru.empty() && (s.lru.size() >= s.capacity || s.bytes + cost > s.maxBytes))
    s.drop(std::prev(s.lru.end()));
  s.lru.push_front(Entry{std::string(key.view()), std::move(answer), expires, cost});
  s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
  s.bytes += cost;
}

size_t AnswerCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lk(s->mu);
    n += s->lru.size();
  }
  return n;
}

size_t AnswerCache::bytes() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lk(s->mu);
    n += s->bytes;
  }
  return n;
}

}  // namespace am::dns
