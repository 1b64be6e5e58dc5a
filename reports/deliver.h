// reports/deliver.h — one run of `authmilter report`: for the requested period and every earlier
// period with a delivery still to retry, build the reports from the store and hand each to its
// rua destinations. Before any report goes to a destination outside the report domain, the
// destination must authorize it (RFC 9990 / RFC 7489 §7.1: a TXT record at
// <report-domain>._report._dmarc.<destination-domain> starting with v=DMARC1), looked up through
// the injected Resolver. A "!size" limit smaller than the message refuses that destination. Every
// outcome is marked in the store (sent only after the relay accepted the message; failed ones are
// retried by the next run; refused ones are final); then ReportRetention expires what may go.
// Single-threaded; the store, resolver and sender are used from the caller's thread.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "common/dns.h"
#include "reports/aggregate.h"
#include "reports/mail.h"
#include "reports/store.h"

namespace am::reports {

struct RunOptions {
  Reporter who;
  Format format = Format::Rfc9990;
  int64_t now = 0;
  unsigned retentionDays = 31;
  // Hands one message to the relay (smtpSend in production).
  std::function<SmtpResult(const std::string& to, const std::string& message)> send;
  std::function<void(const std::string&)> log;  // one line per report and destination
};

struct RunSummary {
  unsigned reports = 0, sent = 0, refused = 0, failed = 0, skipped = 0;
};

// "" when the run finished (individual deliveries may have failed: see the summary); else the
// store error that stopped it.
std::string runReports(Store& store, Resolver& dns, int64_t begin, int64_t end, const RunOptions& o, RunSummary& sum);

// RFC 7489 §7.1 / RFC 9990: whether `destDomain` accepts reports about `reportDomain` (a TXT record
// at <reportDomain>._report._dmarc.<destDomain> whose first tag is v=DMARC1); TryLater on a
// temporary DNS failure. Ask only when !sameReportDomain().
enum class Authorization { Yes, No, TryLater };
Authorization destinationAuthorized(Resolver& dns, const std::string& reportDomain, const std::string& destDomain);

// Whether `dest` may receive reports for `reportDomain` without an authorization record: the same
// domain, or one is a subdomain of the other.
bool sameReportDomain(const std::string& reportDomain, const std::string& destDomain);

}  // namespace am::reports
