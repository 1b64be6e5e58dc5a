// filter/dns/zone_resolver.h — a Resolver (common/dns.h) that answers from zone files
// (filter/dns/zone_file.h) instead of a nameserver: `authmilter test-message --dns-zone FILE` runs
// a message fully offline on the same SPF, DKIM and DMARC code as the milter.
//
// Answers as an authoritative server would: a name with records of the type asked is Ok; a name
// that exists (it owns records of other types, or names below it exist) is NoData; any other name
// is NxDomain, unless a wildcard ("*.example.org") covers it (RFC 4592: the closest existing
// ancestor owns the wildcard). CNAMEs are followed (at most 8); a loop or a longer chain is
// TempFail, as a resolver's SERVFAIL. A name the real resolver would not query is PermFail.
// The data is never changed after load(): thread-safe.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "common/dns.h"
#include "filter/dns/zone_file.h"

namespace am::dns {

class ZoneResolver final : public Resolver {
 public:
  // Parses every file; null with "FILE:LINE: message" errors when any of them is wrong.
  static std::unique_ptr<ZoneResolver> load(const std::vector<std::string>& paths, std::vector<std::string>& errors);
  explicit ZoneResolver(ZoneData data) : data_(std::move(data)) {}

  TxtAnswer txt(std::string_view name) override;
  AddrAnswer addrs(std::string_view name, Family family) override;
  MxAnswer mx(std::string_view name) override;
  PtrAnswer ptr(const IpAddress& addr) override;

 private:
  // The node answering for `name` after CNAMEs and wildcards; status NxDomain/TempFail/PermFail
  // when there is none, Ok when `node` is set (its records may still lack the type asked).
  struct Found {
    DnsStatus status = DnsStatus::NxDomain;
    const ZoneNode* node = nullptr;
  };
  Found find(std::string_view name) const;
  const ZoneNode* exact(const std::string& name, bool& exists) const;

  const ZoneData data_;
};

}  // namespace am::dns
