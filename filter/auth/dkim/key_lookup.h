// filter/auth/dkim/key_lookup.h — the facts about one key lookup that the result table
// (classify.h) reads: what was asked, the resolver's status, how many records came back and how
// long they were. The native engine fills one per signature; the libopendkim engine's DNS
// bridge (dns_bridge.h) records one per query the library makes.
// Plain value; thread-safe.
#pragma once
#include <cstddef>
#include <string>

#include "common/dns.h"

namespace am::dkim {

// libopendkim copies at most this many bytes of a key record (dkim_get_key's BUFRSZ buffer).
inline constexpr size_t kLibopendkimKeyRecordMax = 1024;

struct DnsLookup {
  std::string name;                    // queried name, lowercase, no trailing dot
  DnsStatus status = DnsStatus::NxDomain;
  size_t records = 0;                  // number of TXT RRs in the answer
  size_t longestRecord = 0;            // bytes of the longest joined record
  bool tooLongForLibrary() const { return longestRecord > kLibopendkimKeyRecordMax; }
  bool replyOverflow = false;          // the synthesized reply did not fit the library's buffer
};

}  // namespace am::dkim
