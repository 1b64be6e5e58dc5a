// filter/core/message_metrics.cpp — see message_metrics.h.
#include "filter/core/message_metrics.h"

#include <string>

#include "common/auth_types.h"
#include "policy/dmarc.h"

namespace am::core {

MessageMetrics::MessageMetrics(metrics::Registry& r)
    : spf(ResultCounters::make<SpfResult>(r, "spf", static_cast<int>(SpfResult::PermError) + 1)),
      dkim(ResultCounters::make<DkimResult>(r, "dkim", static_cast<int>(DkimResult::PermError) + 1)),
      dmarc(ResultCounters::make<policy::DmarcResult>(r, "dmarc", static_cast<int>(policy::DmarcResult::PermError) + 1)),
      arc(ResultCounters::make<arc::Cv>(r, "arc", static_cast<int>(arc::Cv::Fail) + 1)) {
  for (int a = 0; a < kActions; ++a)
    if (static_cast<Action>(a) != Action::Continue)
      byAction_[a] = &r.counter("authmilter_messages_total", "Messages that got a verdict, by action",
                                {{"action", toString(static_cast<Action>(a))}});
  for (int code = 400; code < 600; ++code)
    byReply_[code - 400] = &r.counter("authmilter_replies_total", "SMTP replies given at end of message, by code",
                                      {{"code", std::to_string(code)}});
  r.hideZeroSeries("authmilter_replies_total");
  latency_ = &r.histogram("authmilter_message_duration_seconds",
                          "Time from MAIL FROM to the verdict at end of message (includes the time the MTA "
                          "takes to send the message)",
                          metrics::messageLatencyBounds());
  aborted_ = &r.counter("authmilter_messages_aborted_total",
                        "Transactions that ended without end of message (MTA abort, client gone)");
  signatures_ = &r.counter("authmilter_dkim_signatures_added_total", "DKIM-Signature headers added");
  reloadsOk_ = &r.counter("authmilter_reloads_total", "Configuration reloads (SIGHUP), by outcome", {{"outcome", "ok"}});
  reloadsFailed_ = &r.counter("authmilter_reloads_total", "Configuration reloads (SIGHUP), by outcome",
                              {{"outcome", "failed"}});
}

void MessageMetrics::message(Action action, std::string_view replyCode, std::chrono::nanoseconds elapsed) noexcept {
  if (auto* c = byAction_[static_cast<size_t>(action)]) c->inc();
  if (replyCode.size() == 3 && replyCode[0] >= '4' && replyCode[0] <= '5' && replyCode[1] >= '0' &&
      replyCode[1] <= '9' && replyCode[2] >= '0' && replyCode[2] <= '9')
    byReply_[(replyCode[0] - '4') * 100 + (replyCode[1] - '0') * 10 + (replyCode[2] - '0')]->inc();
  latency_->observe(elapsed);
}

}  // namespace am::core
