// reports/record.h — what the DMARC reports need of one message, as a plain value: the client
// address, the three identities, the DMARC record as published and how it was found, the policy
// evaluated (disposition, alignment, override) and the authentication results with their domains.
// filter/core/consumers.h builds one from a MessageOutcome (reportRecord); the Recorder queues it
// and a Store aggregates it (AggregateKey: report domain, hour, source IP and the result tuple).
// Strings hold RFC 7489/9990 report vocabulary ("pass", "fail", "reject", "mfrom"...).
// Pure values; thread-safe to read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace am::reports {

struct DkimAuth {
  std::string domain, selector, result;  // result: RFC 8601 name ("pass", "fail", "temperror"...)
  bool operator==(const DkimAuth&) const = default;
};

// The DMARC record of the report domain as it was published when the message came.
struct PublishedPolicy {
  std::string p, sp, np;             // "none" | "quarantine" | "reject"; "" when not published
  std::string adkim = "r", aspf = "r";
  unsigned pct = 100;                // RFC 7489 only (RFC 9989 ignores it)
  std::string fo = "0";
  std::string testing = "n";         // t= (RFC 9989): "y" | "n"
  std::string psd;                   // "y" | "n" | "u"; "" when not published
  std::string discovery;             // "treewalk" (RFC 9989) | "psl" (RFC 7489)
  std::vector<std::string> rua, ruf;
  bool operator==(const PublishedPolicy&) const = default;
};

struct Record {
  int64_t time = 0;           // unix seconds, when the verdict was made
  std::string reportDomain;   // where the DMARC record was found: whose owner gets the report
  std::string sourceIp;
  std::string headerFrom, envelopeFrom, envelopeTo;  // domains; envelope ones may be ""
  PublishedPolicy published;
  // The policy evaluated.
  std::string dmarcResult;    // "pass" | "fail" | "none"
  std::string disposition;    // what was done: "none" | "quarantine" | "reject"
  std::string dkimAligned, spfAligned;  // "pass" | "fail"
  std::string overrideReason;           // "" or local_policy, trusted_forwarder, mailing_list, sampled_out...
  std::vector<DkimAuth> dkim;
  std::string spfDomain, spfScope = "mfrom", spfResult;  // SPF of the MAIL FROM (or HELO) identity
};

// The aggregation key of a record: rows with equal keys are one row with a count.
struct AggregateKey {
  std::string reportDomain;
  int64_t hour = 0;  // start of the UTC hour (unix seconds)
  std::string sourceIp, headerFrom, envelopeFrom, envelopeTo;
  std::string dmarcResult, disposition, dkimAligned, spfAligned, overrideReason;
  std::string dkim;  // encodeDkim()
  std::string spfDomain, spfScope, spfResult;
  bool operator==(const AggregateKey&) const = default;
  auto operator<=>(const AggregateKey&) const = default;
};

AggregateKey keyOf(const Record& r);
int64_t hourOf(int64_t unixSeconds);

// DKIM results as one text column: "domain selector result" per signature, joined by ';'. Domains,
// selectors and results never hold ' ' or ';' (they are DNS labels and RFC 8601 words); anything
// else is replaced by '_' so that decodeDkim(encodeDkim(x)) always splits as written.
std::string encodeDkim(const std::vector<DkimAuth>& d);
std::vector<DkimAuth> decodeDkim(const std::string& s);
// rua/ruf lists as one text column (URIs never hold a space: joined by ' ').
std::string encodeList(const std::vector<std::string>& v);
std::vector<std::string> decodeList(const std::string& s);

}  // namespace am::reports
