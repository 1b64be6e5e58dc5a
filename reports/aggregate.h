// reports/aggregate.h — DMARC aggregate reports from stored rows: the XML of one report in the
// RFC 9990 format (namespace urn:ietf:params:xml:ns:dmarc-2.0, the default) or the RFC 7489
// Appendix C format, the RFC's file name, gzip, and the rua URIs with their "!size" limits.
// buildReports() turns the rows and policies of a period into one report per report domain.
// Pure functions (zlib aside); thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/store.h"

namespace am::reports {

enum class Format { Rfc9990, Rfc7489 };

struct Reporter {
  std::string orgName;  // ReportingOrganization
  std::string email;    // ReportingEmail: <email> of the metadata and the From of the message
  std::string generator = "authmilter";
};

struct Report {
  std::string domain;          // the report domain (policy_published/domain)
  int64_t begin = 0, end = 0;  // [begin, end) in unix seconds
  std::string reportId;
  PublishedPolicy published;   // the last published in the period: its rua list says where it goes
  std::vector<AggregateRow> rows;
  uint64_t messages = 0;       // the sum of the counts
};

// One report per report domain that has rows in [begin, end), with the policy last published.
std::vector<Report> buildReports(const std::vector<AggregateRow>& rows, const std::vector<PolicyRow>& policies,
                                 int64_t begin, int64_t end);

// The report as XML (UTF-8, with the XML declaration).
std::string reportXml(const Report& r, const Reporter& who, Format f);
// "receiver!policy-domain!begin!end!unique-id.xml.gz" (RFC 9990 §5.2.1.1 / RFC 7489 §7.2.1.1);
// receiver is the domain of the reporter's email; end is the last second of the period.
std::string reportFileName(const Report& r, const Reporter& who);

// gzip (RFC 1952) of `data`; nullopt when zlib fails.
std::optional<std::string> gzip(std::string_view data);

// A mailto: rua URI: the address (percent-decoded) and the "!size" limit in bytes (0 = none).
struct RuaDestination {
  std::string address;
  uint64_t maxBytes = 0;
  std::string domain() const;  // lowercased domain of the address
};
// nullopt for other schemes (http/https aggregate reporting is not implemented) or bad URIs.
std::optional<RuaDestination> parseRua(std::string_view uri);

}  // namespace am::reports
