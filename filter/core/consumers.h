// filter/core/consumers.h — the readers of a MessageOutcome that the filter has today: the
// Authentication-Results header (RFC 8601), Received-SPF (RFC 7208 §9.1), the one log line per
// message (key=value or, with LogFormat json, a JSON object with the same fields), the Verdict the
// milter layer applies (reply, quarantine, header edits), the metrics (counts by result, action
// and reply code; the message's latency) and the DMARC report record (reports/record.h) that the
// Engine's Recorder queues.
// Each is a pure function of the outcome and the configuration; none decides anything.
// Thread-safe.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "filter/config/config.h"
#include "filter/core/message_metrics.h"
#include "filter/core/outcome.h"
#include "filter/core/verdict.h"
#include "reports/record.h"

namespace am::core {

// The value of our Authentication-Results header; with TLS, "(tls=... cipher=... bits=...)" after
// the authserv-id.
std::string authResultsHeader(const MessageOutcome& o, std::string_view authservId);
// The value of a Received-SPF header, when AddReceivedSPF is on and SPF ran on MAIL FROM.
std::optional<std::string> receivedSpfHeader(const MessageOutcome& o, const config::Config& cfg);
// The client as the log line names it: "ADDRESS[verified name or unknown]".
std::string clientField(const ClientInfo& c);
// The key=value log line ("qid=... client=... action=... reason=...").
std::string logLine(const MessageOutcome& o);
// LogFormat json: the same fields, in the same order, as one JSON object on one line.
std::string logLineJson(const MessageOutcome& o);
// Fields a consumer that runs after the outcome (the ARC sealer) adds at the end of the log line.
using LogExtra = std::vector<std::pair<std::string, std::string>>;
std::string logLine(const MessageOutcome& o, bool json, const LogExtra& extra = {});
// The line of a message whose headers went over MaxHeaderBytes (no outcome: tempfailed early).
std::string overflowLogLine(std::string_view queueId, bool json);
// The log line of a transaction on a connection refused while draining (answered 421, not evaluated).
std::string refusedLogLine(std::string_view queueId, const ClientInfo& client, bool json);
// LogDebug: what an operator needs to understand one verdict, as one more key=value line: each SPF
// reason, each signature (domain, selector, algorithm, result, reason), the DMARC record as
// published, where it was found, the organizational domain and how, the alignment of each
// identifier, and the policy rule that decided. (The DNS answers used are logged as they arrive.)
std::string debugLine(const MessageOutcome& o);
// What the milter layer does: the reply or quarantine of the disposition, then header edits in
// order — deletes of forged AR headers (highest index first), our AR header at the top,
// Received-SPF, DKIM-Signature headers, a quarantine marking header.
Verdict verdictFor(const MessageOutcome& o, const config::Config& cfg);
// Metrics (MetricsListen): SPF of MAIL FROM when it was checked; DKIM when verification ran (one
// count per signature, `none` when there was none); DMARC when it was evaluated; the action, the
// reply code and `elapsed` (MAIL FROM to verdict); signatures added. Relaxed atomic adds only.
void countOutcome(const MessageOutcome& o, std::chrono::nanoseconds elapsed, MessageMetrics& m) noexcept;
// The DMARC report record of a message made at `now` (unix seconds): for every DMARC-evaluated
// message whose From domain has a DMARC record, rejected and quarantined ones included. None when
// there is nobody to report to (no record), no client address, or the verdict is a temporary
// failure or a DMARC temperror/permerror (the message is not accepted or refused for DMARC).
std::optional<reports::Record> reportRecord(const MessageOutcome& o, int64_t now);

}  // namespace am::core
