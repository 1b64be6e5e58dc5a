// reports/failure.h — DMARC failure reports (ruf; RFC 9991, in the RFC 6591 authentication failure
// format of RFC 5965): whether one message gets one (the fo= options of the published record and
// FailureReportsOnNone), and the report message itself — multipart/report; report-type=
// feedback-report with a human-readable part, a message/feedback-report part (Feedback-Type:
// auth-failure, Auth-Failure: dmarc, Source-IP, Reported-Domain, Authentication-Results,
// Identity-Alignment, DKIM-*/SPF-DNS fields...) and the original header fields
// (text/rfc822-headers) or, with the body, the message (message/rfc822), redacted (RFC 6590: the
// local parts of the receiving side's addresses are replaced) and bounded in size.
// The Engine's FailureReporter (reports/failure_sender.h) queues one FailureInput per failing
// message and sends the message built here through reports::sendMessage (reports/mail.h).
// Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/record.h"

namespace am::reports {

// Whether the message of `r` (its DMARC result, alignment and authentication results, and the fo=
// of r.published) is one the domain asked failure reports for:
//   fo=0 (default): DMARC failed (no aligned pass from DKIM nor SPF);
//   fo=1: DKIM or SPF did not give an aligned pass;
//   fo=d: a DKIM signature failed to verify (aligned or not);  fo=s: SPF failed (aligned or not).
// fo= holds a colon-separated list; any option that matches is enough; unknown options are ignored
// and a list without a known one counts as 0. Nothing when r.published.ruf is empty, nor for a
// record with psd=y (RFC 9991 §2). With `onNone` false (FailureReportsOnNone no, the default), a
// domain whose policy for this message is "none" gets none: p for the domain itself, sp (else p)
// for a subdomain (r.headerFrom below r.reportDomain), np when the disposition shows that np was
// applied (a non-existent subdomain).
bool failureReportWanted(const Record& r, bool onNone);

// What one failure report needs that the aggregate record does not keep.
struct FailureInput {
  Record record;                 // reportRecord() of the message: identities, results, the published record
  std::string queueId;
  std::string mailFrom;          // the MAIL FROM address as given (may be "")
  std::vector<std::string> rcpts;
  std::string authResults;       // the value of the Authentication-Results header we added
  std::vector<std::pair<std::string, std::string>> headers;  // the message's header fields as delivered
  std::string body;              // the first bytes of the body (only when the body is to be sent)
  bool bodyTruncated = false;    // the body was longer than what was kept
  std::string deliveryResult;    // RFC 6591 Delivery-Result: "delivered" | "spam" | "policy" | "reject" |
                                 // "other" ("quarantine" is written as "spam"; anything else leaves it out)
  std::string spfRecord;         // the SPF TXT record of record.spfDomain as fetched, when known: gives the
                                 // SPF-DNS field ("txt : DOMAIN : RECORD"); "" leaves the field out
};

struct FailureSettings {
  std::string sentBy;          // FailureReportsSentBy: From of the report and the envelope sender
  std::string reportingMta;    // AuthservID: Reporting-MTA and the Message-ID's domain
  std::string userAgent;       // "authmilter/VERSION"
  bool includeBody = false;    // FailureReportsContent body: message/rfc822 with the (redacted) body
  size_t maxBytes = 65536;     // the whole report is kept under this (the body is cut first)
};

// The report message for one destination `to` (an address, not a URI), CRLF line endings, ready for
// sendMessage. Subject "DMARC failure report for DOMAIN"-like; Date and Message-ID from `now`.
// Header values from the message are re-folded and stripped of CR/LF/NUL so that they can add
// neither fields nor parts (reports/failure_text.h). The result is never longer than s.maxBytes:
// the body is cut first, then header fields are left out, and the text part says so. When not
// even a report without any original header field fits (maxBytes below about 2 KB), the result
// is "" and no report should be sent.
std::string failureMessage(const FailureInput& in, const FailureSettings& s, const std::string& to, int64_t now);

// RFC 6590 redaction: every address whose domain is not `keepDomain` (nor a subdomain of it) in
// `text` gets its local part replaced by "redacted". (The sender's side — the From domain the
// report is about — stays readable; the receiving side's users are hidden.)
std::string redactAddresses(std::string_view text, std::string_view keepDomain);

}  // namespace am::reports
