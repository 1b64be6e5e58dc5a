// policy/dmarc_dns.h — internal to policy/: DMARC record lookups with a per-evaluation cache,
// the RFC 9989 DNS tree walk (policy discovery and organizational-domain discovery) and the
// non-existent-domain test for np. One DmarcDns lives for one evaluate() call (not shared, not
// thread-safe; the Resolver it borrows must outlive it). Never throws for DNS outcomes.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns.h"
#include "policy/dmarc.h"

namespace am::policy::detail {

// What _dmarc.<domain> holds.
struct DmarcLevel {
  am::DnsStatus status = am::DnsStatus::NxDomain;
  std::vector<DmarcRecord> records;  // TXT strings that start with v=DMARC1
  const DmarcRecord* single() const { return records.size() == 1 ? &records[0] : nullptr; }
};

struct Found {
  std::string domain;         // where the record was found; empty when none
  DmarcRecord record;
  bool tempFail = false;      // a lookup failed temporarily: the answer is unknown
  bool permFail = false;      // a lookup failed permanently (kept going)
  std::string note;           // multiple records discarded, DNS failures...
};

struct OrgDomain {
  std::string domain;
  bool tempFail = false;
};

size_t labelCount(std::string_view domain);
std::string lastLabels(std::string_view domain, size_t n);  // the n rightmost labels
bool isSameOrSubdomain(std::string_view d, std::string_view parent);
// The names the RFC 9989 tree walk queries, in order: the domain itself, then (if it has 8 or
// more labels) its 7 rightmost labels, then one label fewer at a time down to the TLD. At
// most 8 names.
std::vector<std::string> walkTargets(std::string_view domain);

class DmarcDns {
 public:
  explicit DmarcDns(am::Resolver& dns) : dns_(dns) {}
  const DmarcLevel& level(const std::string& domain);
  Found walkPolicy(const std::string& fromDomain);         // RFC 9989 policy discovery
  OrgDomain walkOrg(const std::string& domain);            // RFC 9989 org-domain discovery
  Found lookup7489(const std::string& fromDomain, const std::string& orgDomain);
  // RFC 9989 non-existent domain: NXDOMAIN, or NODATA for A, AAAA and MX. tempFail set when
  // the answer is unknown (then the domain is treated as existing).
  bool nonExistent(const std::string& domain, bool& tempFail);
  unsigned queries() const { return queries_; }

 private:
  am::Resolver& dns_;
  std::map<std::string, DmarcLevel> cache_;
  std::map<std::string, OrgDomain> orgCache_;
  unsigned queries_ = 0;
};

}  // namespace am::policy::detail
