// tests/dkim/zone.h — loaders that turn the external suites' DNS data into an
// InMemoryResolver: master-file TXT records (.zone), Mail::DKIM's FAKE_DNS.dat and dkimpy's
// dns-records.tsv. Test-only; not thread-safe while loading.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "tests/support/memorydns/memory_resolver.h"

namespace am::dkim::test {

// name (lowercase, no trailing dot) → joined TXT strings, from a zone file's TXT records.
std::map<std::string, std::string> loadZoneTxt(const std::string& path);

// Loads FAKE_DNS.dat into `r` (NXDOMAIN lines are left absent, ~~error~~ → TempFail).
void loadFakeDns(const std::string& path, InMemoryResolver& r);

struct DnsRow {
  std::string name;   // lowercase, no trailing dot
  std::string value;  // resolved (@file read and stripped)
  std::string usedBy;
};
std::vector<DnsRow> loadDkimpyDns(const std::string& tsv, const std::string& dataDir);

}  // namespace am::dkim::test
