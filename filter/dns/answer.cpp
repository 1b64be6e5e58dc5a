// filter/dns/answer.cpp — see answer.h.
#include "filter/dns/answer.h"

#include <algorithm>

namespace am::dns {
namespace {

constexpr unsigned kMaxChain = 16;  // CNAME hops followed inside one answer

const wire::Rr* findCname(const wire::Message& m, std::string_view owner) {
  for (const auto& rr : m.answers)
    if (rr.rtype == wire::type::CNAME && rr.rclass == wire::kClassIn && rr.owner == owner)
      return &rr;
  return nullptr;
}

// RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM); no SOA = do not cache.
uint32_t negativeTtl(const wire::Message& m, const TtlCaps& caps) {
  for (const auto& rr : m.authority)
    if (rr.rtype == wire::type::SOA)
      return std::min({rr.ttl, rr.soaMinimum, caps.negativeTtl});
  return 0;
}

}  // namespace

Outcome interpret(const wire::Message& m, std::string_view qname, uint16_t qtype,
                  const TtlCaps& caps) {
  Outcome out;
  unsigned rc = m.header.rcode();
  if (rc == wire::rcode::ServFail) return out;  // TempFail, not cached
  if (rc != wire::rcode::NoError && rc != wire::rcode::NxDomain) {
    out.status = DnsStatus::PermFail;
    return out;
  }
  // Walk the CNAME chain from the question name (bounded: a loop just stops).
  std::string current(qname);
  uint32_t chainTtl = caps.maxTtl;
  bool viaCname = false;
  for (unsigned hop = 0; hop < kMaxChain; ++hop) {
    if (qtype == wire::type::CNAME) break;
    const wire::Rr* c = findCname(m, current);
    if (!c) break;
    chainTtl = std::min(chainTtl, c->ttl);
    current = c->data;
    viaCname = true;
  }
  uint32_t ttl = chainTtl;
  for (const auto& rr : m.answers) {
    if (rr.rtype != qtype || rr.rclass != wire::kClassIn || rr.owner != current) continue;
    ttl = std::min(ttl, rr.ttl);
    out.records.push_back(rr);
  }
  if (!out.records.empty()) {  // records win even if a confused server said NXDOMAIN
    out.status = DnsStatus::Ok;
    out.ttl = ttl;
    return out;
  }
  out.status = rc == wire::rcode::NxDomain ? DnsStatus::NxDomain : DnsStatus::NoData;
  out.ttl = std::min(negativeTtl(m, caps), chainTtl);
  // A chain that ends in a target with neither records nor an SOA for it is incomplete.
  if (viaCname && rc == wire::rcode::NoError && negativeTtl(m, caps) == 0) {
    out.cnameTarget = current;
    out.ttl = chainTtl;
  }
  return out;
}

}  // namespace am::dns
