// filter/dns/cache.h — a bounded, sharded LRU cache of resolver answers keyed by
// (normalised name, query type), with per-entry expiry read from an injected Clock.
//
// Thread-safe: the key space is split over up to 16 shards, each behind its own mutex, so
// concurrent lookups of different names rarely contend. A hit takes one lock, does no
// allocation for the key (it is built in a stack buffer) and copies the answer out.
// Two bounds, both split evenly over the shards: the number of entries never exceeds
// `capacity`, and the accounted bytes (entryCost(): key + answer payload + a fixed overhead
// for the list node, the index slot and the strings' headers) never exceed `maxBytes`.
// Inserting past either bound evicts least recently used entries of the shard first; an
// answer larger than a shard's byte share is not stored at all.
// The Clock must outlive the cache.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/dns.h"

namespace am::dns {

using CachedAnswer = std::variant<TxtAnswer, AddrAnswer, MxAnswer, PtrAnswer>;

class AnswerCache {
 public:
  static constexpr size_t kDefaultMaxBytes = size_t{32} << 20;  // 32 MiB
  AnswerCache(size_t capacity, const Clock& clock, size_t maxBytes = kDefaultMaxBytes);
  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  // `name` must already be normalised (lowercase, no trailing dot, <= 253 bytes).
  // On a live hit copies the answer into `out` and returns true.
  bool get(std::string_view name, uint16_t qtype, TxtAnswer& out);
  bool get(std::string_view name, uint16_t qtype, AddrAnswer& out);
  bool get(std::string_view name, uint16_t qtype, MxAnswer& out);
  bool get(std::string_view name, uint16_t qtype, PtrAnswer& out);
  // Stores (or replaces) an answer for `ttlSeconds`; a TTL of 0 stores nothing.
  void put(std::string_view name, uint16_t qtype, CachedAnswer answer, uint32_t ttlSeconds);

  size_t size() const;      // live and expired entries still held
  size_t bytes() const;     // accounted bytes of the entries held (sum of entryCost)
  size_t capacity() const { return capacity_; }
  size_t maxBytes() const { return maxBytes_; }
  // The approximate memory one entry holds: the key, the answer's payload (strings,
  // addresses) and a fixed per-entry overhead.
  static size_t entryCost(std::string_view key, const CachedAnswer& answer);

 private:
  struct Entry {
    std::string key;
    CachedAnswer answer;
    std::chrono::steady_clock::time_point expires;
    size_t cost = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Entry> lru;  // front = most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views into lru
    size_t capacity = 0, maxBytes = 0, bytes = 0;
    void drop(std::list<Entry>::iterator it);  // unindexes and frees one entry; caller holds mu
  };
  struct Key {
    std::array<char, 2 + 256> buf;
    size_t len = 0;
    std::string_view view() const { return {buf.data(), len}; }
  };
  static bool makeKey(std::string_view name, uint16_t qtype, Key& key);
  Shard& shardFor(std::string_view key);
  template <class T> bool getAs(std::string_view name, uint16_t qtype, T& out);

  size_t capacity_, maxBytes_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace am::dns
