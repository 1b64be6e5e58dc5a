// reports/recorder.h — puts report records into a Store without ever slowing a verdict: a bounded
// in-memory queue filled by the milter workers (offer() takes one mutex and never waits on I/O),
// one writer thread that writes batches (a full batch, or what came within flushInterval). When the queue is full, or the store fails (down,
// read-only, locked past its timeout), records are dropped and counted, and the log says so at
// most once per LogInterval with the totals. The store is opened by the writer thread (lazily, and
// again after a failure), so a store that is down at start-up never delays the milter.
// Thread-safety: offer() and stats() from any thread; the destructor flushes what is queued
// (bounded by Options::stopTimeout) and joins the writer.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reports/record.h"
#include "reports/store.h"

namespace am::reports {

class Recorder {
 public:
  struct Options {
    size_t queueLimit = 10000;  // ReportQueueSize
    size_t batch = 512;         // records per write transaction at most
    // The writer waits for a full batch at most this long: one transaction per batch, not per record.
    std::chrono::milliseconds flushInterval{250};
    std::chrono::milliseconds logInterval{60000};
    std::chrono::milliseconds retryInterval{5000};  // after a failed open, before the next try
    std::chrono::milliseconds stopTimeout{5000};
  };
  // Opens the store; null on failure with *err. Called on the writer thread.
  using Opener = std::function<std::unique_ptr<Store>(std::string* err)>;
  using LogFn = std::function<void(std::string_view)>;

  Recorder(Opener open, Options opts, LogFn warn);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Queues one record; false when it was dropped (queue full).
  bool offer(Record r);

  struct Stats {
    uint64_t queued = 0;            // accepted into the queue
    uint64_t written = 0;           // committed to the store
    uint64_t droppedQueueFull = 0;
    uint64_t droppedStore = 0;      // the store failed for their batch
  };
  Stats stats() const;
  // Waits (bounded) until every record offered so far was written or dropped; true if so.
  bool drain(std::chrono::milliseconds timeout);

 private:
  void run();
  void writeBatch(const std::vector<Record>& batch);
  void maybeLog(bool force);

  Opener open_;
  Options opts_;
  LogFn warn_;
  std::unique_ptr<Store> store_;  // writer thread only
  std::chrono::steady_clock::time_point nextOpen_{};
  std::string lastError_;         // writer thread only

  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<Record> queue_;
  size_t inFlight_ = 0;  // taken by the writer, not yet written or dropped
  bool stop_ = false;
  bool flushNow_ = false;  // drain() asks for the queue to be written without waiting for a batch
  Stats stats_;
  uint64_t loggedDrops_ = 0;  // drops already reported in the log
  std::chrono::steady_clock::time_point lastLog_{};
  std::thread writer_;
};

}  // namespace am::reports
