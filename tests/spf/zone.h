// tests/spf/zone.h — test-side DNS data for SPF: an ordered record list per name, with the
// answer rules of the openspf suite's reference driver (pyspf test/testspf.py): a bare TIMEOUT
// item times out every type that has no record listed before it; "<type>: TIMEOUT" times out
// that type. A Zone fills am::InMemoryResolver and also backs the libspf2 DNS layer of the
// differential test, so both engines see the same answers. Test code only; not thread-safe.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/dns.h"
#include "common/ip.h"
#include "tests/support/memorydns/memory_resolver.h"

namespace am::spftest {

struct Rr {
  std::string type;   // "TXT", "A", "AAAA", "MX", "PTR", "CNAME", or "TIMEOUT" (bare)
  std::string value;  // TXT strings already joined; "TIMEOUT" = this type times out
  uint16_t pref = 0;  // MX
};

// Lowercase owner name (no trailing dot) -> records in listed order.
using Zone = std::map<std::string, std::vector<Rr>>;

// What the driver answers for (name, type): records before the first bare TIMEOUT, or timeout.
struct TypeAnswer {
  bool exists = false;  // the name is in the zone
  bool timeout = false;
  std::vector<Rr> records;
};
TypeAnswer lookup(const Zone& zone, const std::string& name, const std::string& type);

// Loads the zone into the resolver (timeouts become forced TempFail for that name and type).
void loadZone(const Zone& zone, InMemoryResolver& dns);

// "4.3.2.1.in-addr.arpa" / 32-nibble ".ip6.arpa" names back to an address.
std::optional<IpAddress> ipFromReverseName(std::string_view name);

}  // namespace am::spftest
