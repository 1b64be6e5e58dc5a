// tests/dmarc/test_util.h — helpers shared by the DMARC tests: a fixed Rng, the PSL loaded from
// the test-data folder, test-name sanitising, and a tiny master-file reader for suite zones.
// Test-only; not thread-safe beyond what GoogleTest needs.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "tests/support/memorydns/memory_resolver.h"
#include "filter/psl/libpsl_suffix.h"
#include "policy/dmarc.h"

namespace am::testing {

class FixedRng final : public am::policy::Rng {
 public:
  explicit FixedRng(unsigned v) : v_(v) {}
  unsigned percent() override { ++calls; return v_; }
  unsigned calls = 0;
 private:
  unsigned v_;
};

std::string testdata(const std::string& rel);  // AM_TESTDATA_DIR + "/" + rel
// The PSL at testdata/<rel> (loaded once per path; aborts the test binary if missing).
const am::psl::LibPsl& pslFrom(const std::string& rel);
// Letters, digits and '_' only; never empty.
std::string testName(std::string_view s);
// Adds one master-file line ("name ttl TXT \"...\" \"...\"" or "name ttl MX pref host") to dns.
bool addZoneLine(am::InMemoryResolver& dns, std::string_view line);

}  // namespace am::testing
