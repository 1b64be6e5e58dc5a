// tests/fuzz/zone_file_fuzz.cpp — libFuzzer target: the zone-file reader (filter/dns/zone_file.h)
// and the ZoneResolver over what it accepted. Invariants: a refused file says why in
// "FILE:LINE: message" form, an accepted one carries no errors; every lookup of every owner name
// returns (CNAME loops and wildcards included) and an Ok answer is never empty. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/dns/zone_resolver.h"

using namespace am;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  dns::ZoneData z;
  std::vector<std::string> errors;
  bool ok = dns::parseZoneText(text, "fuzz.zone", z, errors);
  if (ok != errors.empty()) std::abort();
  if (!ok) {
    if (errors[0].rfind("fuzz.zone:", 0) != 0) std::abort();
    return 0;
  }
  std::vector<std::string> names;
  for (auto& [n, node] : z.nodes) names.push_back(n);
  dns::ZoneResolver r(std::move(z));
  for (auto& n : names) {
    for (const std::string& q : {n, "x." + n, n.size() > 2 ? n.substr(2) : n}) {
      auto t = r.txt(q);
      if (t.status == DnsStatus::Ok && t.records.empty()) std::abort();
      auto a = r.addrs(q, Family::V4);
      if (a.status == DnsStatus::Ok && a.addrs.empty()) std::abort();
      auto m = r.mx(q);
      if (m.status == DnsStatus::Ok && m.hosts.empty()) std::abort();
    }
  }
  (void)r.ptr(IpAddress::v4(192, 0, 2, 1));
  return 0;
}
