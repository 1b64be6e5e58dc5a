// filter/metrics/registry.h — the metrics registry: counters, gauges and histograms that the
// filter's components update on their hot paths, rendered in the Prometheus text exposition
// format (version 0.0.4) only when somebody asks (a scrape).
//
// Counting is one relaxed atomic add: no lock, no allocation, no system call. Each Counter and
// Gauge sits on its own cache line, so threads counting different things do not share one. A
// Histogram keeps one atomic per bucket plus a sum; its _count is the sum of the buckets read at
// render time, so _count and the +Inf bucket always agree.
//
// Components get their instruments from the registry at start-up (get-or-create by name and
// labels: asking twice gives the same object) and keep plain pointers: the registry owns every
// instrument and never moves or frees one before it dies. Values a component already keeps in its
// own atomics are exported with counterFrom/gaugeFrom (read at render time); the component must
// outlive every render (the owner stops the HTTP exporter first).
//
// Names and label names are checked at registration (a bad one is a programming error: abort
// with a message). Families render in registration order, series in registration order.
// Thread-safety: instruments may be updated from any thread at any time; registration and
// render() take the registry's mutex (never on a message path).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace am::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void add(int64_t d = 1) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  void sub(int64_t d = 1) noexcept { v_.fetch_sub(d, std::memory_order_relaxed); }
  void set(int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<int64_t> v_{0};
};

class Histogram {
 public:
  // Upper bounds in seconds, ascending; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upperBoundsSeconds);
  void observe(std::chrono::nanoseconds d) noexcept {
    int64_t ns = d.count() < 0 ? 0 : d.count();
    size_t i = 0;
    while (i < boundsNs_.size() && ns > boundsNs_[i]) ++i;  // le: a value equal to a bound is in it
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sumNs_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  }
  struct Reading {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sumSeconds = 0;
  };
  Reading read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> boundsNs_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  alignas(64) std::atomic<uint64_t> sumNs_{0};
};

// Bucket bounds (seconds) for the filter's two latency histograms.
std::vector<double> messageLatencyBounds();  // 1 ms .. 30 s
std::vector<double> dnsLatencyBounds();      // 0.1 ms .. 10 s

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {});
  // Series whose value is read at render time from the component's own state.
  void counterFrom(std::string_view name, std::string_view help, const Labels& labels,
                   std::function<uint64_t()> read);
  void gaugeFrom(std::string_view name, std::string_view help, const Labels& labels,
                 std::function<double()> read);
  // Counter series of this family that are still 0 are left out of the text: for label values
  // that exist in advance only as a range (SMTP reply codes), not as what was seen.
  void hideZeroSeries(std::string_view name);

  // The whole registry in the text format 0.0.4.
  std::string render() const;

 private:
  struct Family;
  struct Series;
  Series& series(std::string_view name, std::string_view help, int type, const Labels& labels, bool* created);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<std::unique_ptr<Histogram>> histograms_;
};

// Text-format helpers (exposed for tests): a label value with \, " and newline escaped; a HELP
// text with \ and newline escaped; a sample value (integers as integers, +Inf, -Inf, NaN).
std::string escapeLabelValue(std::string_view v);
std::string escapeHelp(std::string_view v);
std::string formatValue(double v);

}  // namespace am::metrics
