// filter/dns/zone_file.h — an RFC 1035 §5 master ("zone") file reader, for answering DNS from a
// file instead of a nameserver (`authmilter test-message --dns-zone FILE`, filter/dns/zone_resolver.h).
//
// Understood: $ORIGIN, $TTL, '@', relative and absolute owner names, an omitted owner (the previous
// one), optional TTL (with s/m/h/d/w units) and class IN in either order, parentheses spanning lines,
// ';' comments, quoted strings with \X and \DDD escapes, TXT records of several character-strings,
// and the record types A, AAAA, MX, TXT, PTR and CNAME. Any other type (SOA, NS, SRV, ...) is
// accepted and only makes its owner name exist. $INCLUDE and classes other than IN are refused.
// Errors are "FILE:LINE: message"; the input is untrusted (fuzzed: tests/fuzz/zone_file_fuzz.cpp).
// ZoneData is a plain value, safe to read from many threads once built.
#pragma once
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns.h"
#include "common/ip.h"

namespace am::dns {

struct ZoneNode {
  std::vector<std::string> txt;  // one entry per TXT record, its strings joined
  std::vector<IpAddress> a, aaaa;
  std::vector<MxHost> mx;        // host "" is the null MX of RFC 7505 ("MX 0 .")
  std::vector<std::string> ptr;
  std::string cname;             // target, when the name is an alias
  bool otherTypes = false;       // records of types not answered here (SOA, NS, ...)
  bool hasData() const { return !txt.empty() || !a.empty() || !aaaa.empty() || !mx.empty() || !ptr.empty() || otherTypes; }
};

struct ZoneData {
  std::map<std::string, ZoneNode> nodes;  // owner names: lowercase, no trailing dot
  // Names that own no record but have descendants in the same zone (empty non-terminals): they
  // exist, so a query for them gets NODATA, not NXDOMAIN.
  std::set<std::string> interior;
};

// Adds the records of one file's text to `into`. `fileName` is used in the messages. Returns
// false (with at least one "FILE:LINE: message" in `errors`) when anything is wrong; what was read
// is then incomplete and must not be used.
bool parseZoneText(std::string_view text, std::string_view fileName, ZoneData& into, std::vector<std::string>& errors);

// Reads `path` and parses it (a file that cannot be read is "FILE: cannot read: ...").
bool loadZoneFile(const std::string& path, ZoneData& into, std::vector<std::string>& errors);

}  // namespace am::dns
