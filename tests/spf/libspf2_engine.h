// tests/spf/libspf2_engine.h — libspf2 as a reference engine for the differential test, on a
// custom SPF_dns_server_t layer that answers from the same test Zone as our InMemoryResolver.
// libspf2 can abort() the process (SPF_error), so runInChildren() evaluates batches in forked
// children (alarm-bounded) and reports a crash as nullopt. Test code only; single-threaded.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/auth_types.h"
#include "tests/spf/zone.h"

namespace am::spftest {

struct RefCase {
  const Zone* zone = nullptr;
  std::string client;  // as libspf2 gets it (the caller unmaps IPv4-mapped addresses)
  std::string mailFrom, helo;
};

// Runs libspf2 on every case, `batch` cases per forked child; nullopt = libspf2 crashed or hung.
std::vector<std::optional<SpfResult>> runInChildren(const std::vector<RefCase>& cases, size_t batch);

}  // namespace am::spftest
