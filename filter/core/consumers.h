// filter/core/consumers.h — the readers of a MessageOutcome that the filter has today: the
// Authentication-Results header (RFC 8601), Received-SPF (RFC 7208 §9.1), the one key=value log
// line per message, the Verdict the milter layer applies (reply, quarantine, header edits) and the
// DMARC report record (reports/record.h) that the Engine's Recorder queues.
// Each is a pure function of the outcome and the configuration; none decides anything.
// Thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "filter/config/config.h"
#include "filter/core/outcome.h"
#include "filter/core/verdict.h"
#include "reports/record.h"

namespace am::core {

// The value of our Authentication-Results header.
std::string authResultsHeader(const MessageOutcome& o, std::string_view authservId);
// The value of a Received-SPF header, when AddReceivedSPF is on and SPF ran on MAIL FROM.
std::optional<std::string> receivedSpfHeader(const MessageOutcome& o, const config::Config& cfg);
// The key=value log line ("qid=... client=... action=... reason=...").
std::string logLine(const MessageOutcome& o);
// LogDebug: what an operator needs to understand one verdict, as one more key=value line: each SPF
// reason, each signature (domain, selector, algorithm, result, reason), the DMARC record as
// published, where it was found, the organizational domain and how, the alignment of each
// identifier, and the policy rule that decided. (The DNS answers used are logged as they arrive.)
std::string debugLine(const MessageOutcome& o);
// What the milter layer does: the reply or quarantine of the disposition, then header edits in
// order — deletes of forged AR headers (highest index first), our AR header at the top,
// Received-SPF, DKIM-Signature headers, a quarantine marking header.
Verdict verdictFor(const MessageOutcome& o, const config::Config& cfg);
// The DMARC report record of a message made at `now` (unix seconds): for every DMARC-evaluated
// message whose From domain has a DMARC record, rejected and quarantined ones included. None when
// there is nobody to report to (no record), no client address, or the verdict is a temporary
// failure or a DMARC temperror/permerror (the message is not accepted or refused for DMARC).
std::optional<reports::Record> reportRecord(const MessageOutcome& o, int64_t now);

}  // namespace am::core
