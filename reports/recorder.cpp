// reports/recorder.cpp — see recorder.h.
#include "reports/recorder.h"

#include <algorithm>
#include <vector>

namespace am::reports {

Recorder::Recorder(Opener open, Options opts, LogFn warn)
    : open_(std::move(open)), opts_(opts), warn_(std::move(warn)) {
  writer_ = std::thread([this] { run(); });
}

Recorder::~Recorder() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

bool Recorder::offer(Record r) {
  {
    std::lock_guard lk(mu_);
    if (stop_ || queue_.size() >= opts_.queueLimit) {
      ++stats_.droppedQueueFull;
      return false;
    }
    queue_.push_back(std::move(r));
    ++stats_.queued;
    // The writer wakes for a full batch (or a full queue, when that is smaller) or on its timer.
    if (queue_.size() != std::min(opts_.batch, opts_.queueLimit)) return true;
  }
  wake_.notify_one();
  return true;
}

Recorder::Stats Recorder::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

bool Recorder::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  flushNow_ = true;
  wake_.notify_one();
  bool done = idle_.wait_for(lk, timeout, [this] { return queue_.empty() && inFlight_ == 0; });
  flushNow_ = false;
  return done;
}

void Recorder::run() {
  std::unique_lock lk(mu_);
  std::chrono::steady_clock::time_point stopDeadline{};
  for (;;) {
    if (queue_.empty()) {
      idle_.notify_all();
      if (stop_) break;
      wake_.wait_for(lk, std::chrono::seconds(1), [this] { return stop_ || flushNow_ || !queue_.empty(); });
      if (queue_.empty()) {
        lk.unlock();
        maybeLog(false);  // drops counted by offer() are reported even when nothing is written
        lk.lock();
        continue;
      }
    }
    // Records are here: wait (bounded) for a full batch, so that one transaction carries many.
    wake_.wait_for(lk, opts_.flushInterval, [this] {
      return stop_ || flushNow_ || queue_.size() >= std::min(opts_.batch, opts_.queueLimit);
    });
    if (stop_ && stopDeadline == std::chrono::steady_clock::time_point{})
      stopDeadline = std::chrono::steady_clock::now() + opts_.stopTimeout;
    if (stop_ && std::chrono::steady_clock::now() > stopDeadline) {  // no time left: drop the rest
      stats_.droppedStore += queue_.size();
      queue_.clear();
      continue;
    }
    std::vector<Record> batch;  // moved once, from the queue to the store's call
    batch.reserve(std::min(queue_.size(), opts_.batch));
    while (!queue_.empty() && batch.size() < opts_.batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    inFlight_ = batch.size();
    lk.unlock();
    writeBatch(batch);
    maybeLog(false);
    lk.lock();
    inFlight_ = 0;
  }
  lk.unlock();
  maybeLog(true);
}

void Recorder::writeBatch(const std::vector<Record>& batch) {
  auto now = std::chrono::steady_clock::now();
  std::string err;
  if (!store_ && now >= nextOpen_) {
    store_ = open_(&err);
    if (!store_) nextOpen_ = now + opts_.retryInterval;
  }
  if (store_) {
    err = store_->add(batch);
    if (!err.empty()) {
      store_.reset();  // opened again after retryInterval
      nextOpen_ = now + opts_.retryInterval;
    }
  } else if (err.empty()) {
    err = lastError_.empty() ? "store not open" : lastError_;
  }
  bool recovered = err.empty() && !lastError_.empty();
  {
    std::lock_guard lk(mu_);
    if (err.empty()) stats_.written += batch.size();
    else stats_.droppedStore += batch.size();
  }
  if (recovered) warn_("reports: writing to the report store again");
  if (!err.empty()) lastError_ = err;
  else lastError_.clear();
}

void Recorder::maybeLog(bool force) {
  std::string line;
  {
    std::lock_guard lk(mu_);
    uint64_t drops = stats_.droppedQueueFull + stats_.droppedStore;
    auto now = std::chrono::steady_clock::now();
    if (drops == loggedDrops_ || (!force && lastLog_ != std::chrono::steady_clock::time_point{} &&
                                  now - lastLog_ < opts_.logInterval))
      return;
    line = "reports: " + std::to_string(drops - loggedDrops_) + " records dropped (totals: queue full " +
           std::to_string(stats_.droppedQueueFull) + ", store failed " + std::to_string(stats_.droppedStore) +
           ", written " + std::to_string(stats_.written) + ")";
    loggedDrops_ = drops;
    lastLog_ = now;
  }
  if (!lastError_.empty()) line += ": " + lastError_;
  warn_(line);
}

}  // namespace am::reports
