// filter/core/failure_input.cpp — see failure_input.h.
#include "filter/core/failure_input.h"

#include "filter/core/consumers.h"

namespace am::core {

std::string deliveryResult(const MessageOutcome& o, bool held) {
  switch (o.disposition.action) {
    case Action::Reject: return "reject";
    case Action::Quarantine: return held ? "policy" : "spam";
    default: return "delivered";
  }
}

std::optional<reports::FailureInput> failureInput(const MessageOutcome& o, const config::Config& cfg, int64_t now,
                                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                                  std::string body, bool bodyTruncated) {
  auto rec = reportRecord(o, now);
  if (!rec || !reports::failureReportWanted(*rec, cfg.failureReportsOnNone)) return std::nullopt;
  reports::FailureInput in;
  in.record = std::move(*rec);
  in.queueId = o.queueId;
  in.mailFrom = o.mailFrom;
  in.rcpts = o.rcpts;
  in.authResults = authResultsHeader(o, cfg.authservId);
  in.headers = headers;
  if (cfg.failureReportsBody) {
    in.body = std::move(body);
    in.bodyTruncated = bodyTruncated;
  }
  in.deliveryResult = deliveryResult(o, cfg.holdQuarantinedMessages);
  return in;
}

}  // namespace am::core
