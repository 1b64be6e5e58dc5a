// filter/core/message_metrics.h — the instruments the per-message metrics consumer
// (countOutcome, consumers.h) and the engine count into: authentication results by method and
// result, messages by action, replies by SMTP code, the latency of each message, aborted
// transactions, signatures added, reloads. Created by the Engine only when MetricsListen is set;
// with metrics off nothing here exists and nothing is counted.
//
// A result family is one ResultCounters member, one line in the constructor and one line in
// countOutcome(); ARC's series are authmilter_auth_results_total{method="arc",result=...}.
// Thread-safety: every counting method is a few relaxed atomic adds (no lock, no allocation) and
// may be called from any thread.
#pragma once
#include <array>
#include <chrono>
#include <string_view>
#include <vector>

#include "common/action.h"
#include "filter/auth/arc/chain.h"
#include "filter/metrics/registry.h"

namespace am::core {

// Counters of one authentication method, one per value of its result enum (RFC 8601 names).
class ResultCounters {
 public:
  // `count` is the number of values of E (its last value + 1); toString(E) (found by ADL) gives
  // each result's RFC 8601 name.
  template <class E>
  static ResultCounters make(metrics::Registry& r, const char* method, int count) {
    ResultCounters rc;
    for (int i = 0; i < count; ++i)
      rc.byResult_.push_back(&r.counter("authmilter_auth_results_total",
                                        "Authentication results by method and result (DKIM: one per signature, "
                                        "none when a verified message had none)",
                                        {{"method", method}, {"result", toString(static_cast<E>(i))}}));
    return rc;
  }
  template <class E>
  void count(E result) noexcept {
    auto i = static_cast<size_t>(result);
    if (i < byResult_.size()) byResult_[i]->inc();
  }

 private:
  std::vector<metrics::Counter*> byResult_;
};

class MessageMetrics {
 public:
  explicit MessageMetrics(metrics::Registry& r);

  ResultCounters spf, dkim, dmarc, arc;

  // A message that got a verdict: its action, its SMTP reply code if any ("550"), and the time
  // from MAIL FROM to the verdict.
  void message(Action action, std::string_view replyCode, std::chrono::nanoseconds elapsed) noexcept;
  void signaturesAdded(size_t n) noexcept { signatures_->inc(n); }
  void aborted() noexcept { aborted_->inc(); }
  void reload(bool ok) noexcept { (ok ? reloadsOk_ : reloadsFailed_)->inc(); }

 private:
  static constexpr int kActions = static_cast<int>(Action::Discard) + 1;
  std::array<metrics::Counter*, kActions> byAction_{};
  std::array<metrics::Counter*, 200> byReply_{};  // 400..599
  metrics::Counter *signatures_, *aborted_, *reloadsOk_, *reloadsFailed_;
  metrics::Histogram* latency_;
};

}  // namespace am::core
