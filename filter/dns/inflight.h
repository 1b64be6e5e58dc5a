// filter/dns/inflight.h — coalescing of identical concurrent lookups: the first thread that
// misses the cache on (name, type) becomes the leader and asks the servers; threads that miss
// on the same key while it is asking join its flight and wait for its answer instead of
// sending the same query again. Each waiter waits at most until its own deadline.
//
// Ownership: a Flight is shared (shared_ptr) by its leader and waiters; the table holds it
// only while the leader is asking. The leader must call finish() exactly once (a Lead object
// does it on every path, with a TempFail answer if the leader unwinds).
// Thread-safety: every method may be called from many threads at once.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "filter/dns/cache.h"
#include "filter/dns/transport.h"

namespace am::dns {

class InFlight {
 public:
  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    CachedAnswer answer;
  };

  // The leader's handle: finish() publishes the answer, wakes the waiters and removes the
  // flight from the table. Destroyed unfinished, it finishes with `fallback`.
  class Lead {
   public:
    Lead(InFlight& table, std::string key, std::shared_ptr<Flight> f, CachedAnswer fallback)
        : table_(table), key_(std::move(key)), flight_(std::move(f)), fallback_(std::move(fallback)) {}
    ~Lead();
    Lead(const Lead&) = delete;
    Lead& operator=(const Lead&) = delete;
    void finish(CachedAnswer answer);

   private:
    InFlight& table_;
    std::string key_;
    std::shared_ptr<Flight> flight_;
    CachedAnswer fallback_;
    bool finished_ = false;
  };

  // Joins the flight for `key` if one is in the air (returns it, `lead` untouched), or
  // starts one and returns null with `lead` set: the caller is then the leader.
  std::shared_ptr<Flight> join(const std::string& key, CachedAnswer fallback,
                               std::unique_ptr<Lead>& lead);
  // Waits for the flight's answer until `deadline`. False on timeout.
  static bool wait(Flight& f, Deadline deadline, CachedAnswer& out);

  size_t size() const;  // flights in the air

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace am::dns
