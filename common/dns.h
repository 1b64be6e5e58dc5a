// common/dns.h — the one DNS resolver interface that SPF, DKIM and DMARC share.
//
// Implementation: am::dns::UdpResolver (filter/dns/, real nameserver, cache, timeout, retries).
// Tests use am::InMemoryResolver (tests/support/memorydns/, library am_test_dns).
// Contract: names are given with or without a trailing dot, any case; implementations
// normalise. Every call returns a value (never throws for DNS outcomes) and must be safe to
// call from many threads at once. A TXT record's character-strings arrive already joined.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"

namespace am {

enum class DnsStatus {
  Ok,        // answer present (records non-empty)
  NxDomain,  // RCODE 3: the name does not exist
  NoData,    // name exists, no record of that type
  TempFail,  // timeout, SERVFAIL, network error: try again later
  PermFail,  // malformed name, REFUSED/FORMERR, undecodable answer
};

const char* toString(DnsStatus s);

// Whether `name` can be sent as a query at all: 1..253 octets without a trailing dot, labels of
// 1..63 octets, no control characters or DEL. Spaces, backslashes and other printable octets are
// ordinary label octets on the wire (SPF macros put them there: RFC 7208 §7.1, "%_"). Every
// Resolver answers PermFail for any other name without asking a server; callers that must treat
// such a name as "does not exist" (SPF void lookups, DMARC discovery) check it first.
bool queryableName(std::string_view name);

enum class Family { V4, V6 };

struct TxtAnswer {
  DnsStatus status = DnsStatus::NxDomain;
  std::vector<std::string> records;  // one entry per TXT RR, its strings joined
};
struct AddrAnswer {
  DnsStatus status = DnsStatus::NxDomain;
  std::vector<IpAddress> addrs;
};
struct MxHost {
  uint16_t preference = 0;
  std::string host;  // lowercase, no trailing dot
};
struct MxAnswer {
  DnsStatus status = DnsStatus::NxDomain;
  std::vector<MxHost> hosts;
};
struct PtrAnswer {
  DnsStatus status = DnsStatus::NxDomain;
  std::vector<std::string> names;  // lowercase, no trailing dot
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual TxtAnswer txt(std::string_view name) = 0;
  virtual AddrAnswer addrs(std::string_view name, Family family) = 0;
  virtual MxAnswer mx(std::string_view name) = 0;
  virtual PtrAnswer ptr(const IpAddress& addr) = 0;
};

}  // namespace am
