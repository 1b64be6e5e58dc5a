// filter/core/failure_input.h — the consumer of a MessageOutcome that feeds DMARC failure reports:
// whether the message gets one (reports::failureReportWanted on its report record, with
// FailureReportsOnNone) and, if so, the FailureInput the Engine's FailureReporter sends from (the
// report record, queue id, envelope, our Authentication-Results value, the header fields, the kept
// start of the body and the RFC 6591 Delivery-Result of the verdict).
// A pure function of its arguments; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "filter/config/config.h"
#include "filter/core/outcome.h"
#include "reports/failure.h"

namespace am::core {

// The RFC 6591 Delivery-Result of the verdict: "reject"; for a quarantined message "policy" when it is
// held (HoldQuarantinedMessages yes: not delivered), else "spam" (delivered with the marking header);
// otherwise "delivered".
std::string deliveryResult(const MessageOutcome& o, bool held);

// None when the message is not one its domain asked failure reports for (or has no report record).
// `body` is what Session kept of the body (FailureReportsContent body), `bodyTruncated` whether
// there was more.
std::optional<reports::FailureInput> failureInput(const MessageOutcome& o, const config::Config& cfg, int64_t now,
                                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                                  std::string body, bool bodyTruncated);

}  // namespace am::core
