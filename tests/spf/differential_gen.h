// tests/spf/differential_gen.h — seeded generator of SPF test worlds for the differential test:
// a random record at example.com drawn from every mechanism/modifier (with macros, CIDRs,
// qualifiers), up to three include/redirect targets, hosts with A/AAAA, MX sets, PTRs, exists
// targets, NXDOMAIN and timing-out names, plus a client address and sender. Deterministic for
// a given engine state. Test code only.
#pragma once
#include <random>
#include <string>

#include "tests/spf/zone.h"

namespace am::spftest {

struct GenCase {
  Zone zone;
  std::string client;     // what our evaluator gets (may be IPv4-mapped IPv6)
  std::string refClient;  // what libspf2 gets: unmapped, as its caller must do (libraries.md §3)
  std::string mailFrom, helo;
};

GenCase generateCase(std::mt19937& rng);

// Human-readable dump (client, sender, every TXT record) for failure messages.
std::string describe(const GenCase& c);

}  // namespace am::spftest
