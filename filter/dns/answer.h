// filter/dns/answer.h — turns a decoded reply into an outcome: RCODE mapping, the CNAME chain
// inside the answer section, the records of the asked type, and the TTL to cache it for
// (RFC 2181 §5.2 minimum of the RRset TTLs; RFC 2308 negative TTL from the SOA).
//
// Pure functions over wire::Message values; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns.h"
#include "filter/dns/wire.h"

namespace am::dns {

struct TtlCaps {
  uint32_t maxTtl = 86400;      // cap for positive answers
  uint32_t negativeTtl = 300;   // cap for NXDOMAIN/NODATA
};

struct Outcome {
  DnsStatus status = DnsStatus::TempFail;
  std::vector<wire::Rr> records;  // the RRs of the asked type at the end of the CNAME chain
  uint32_t ttl = 0;               // seconds to cache; 0 = do not cache
  // Set when the answer ends in a CNAME whose target is not in the answer (typical of an
  // authoritative server for an out-of-zone target): the caller may look the target up.
  std::string cnameTarget;
};

// Interprets `m`, a reply to (qname, qtype) that already matched the question.
// NOERROR with records -> Ok; NOERROR without -> NoData; NXDOMAIN -> NxDomain;
// SERVFAIL -> TempFail; any other RCODE -> PermFail.
Outcome interpret(const wire::Message& m, std::string_view qname, uint16_t qtype,
                  const TtlCaps& caps);

}  // namespace am::dns
