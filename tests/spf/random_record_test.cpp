// tests/spf/random_record_test.cpp — seeded random records built from SPF-ish tokens (valid and
// broken mechanisms, macros, CIDRs, 8-bit and NUL bytes), published at example.com and at an
// include target. Whatever the record, the check must end in a non-"none" RFC result (a record
// was selected), with a reason, and within a fixed DNS query budget (no amplification).
#include <random>

#include "tests/spf/spf_fixture.h"

namespace am::spftest {
namespace {

const std::vector<std::string> kTokens = {
    "a", "mx", "ptr", "all", "include:", "exists:", "ip4:", "ip6:", "redirect=", "exp=", "x=", "+", "-", "~", "?",
    ":", "/", "//", "0", "24", "33", "128", ".", "-", "example.com", "inc.example.com", "nx.example.com",
    "mx.example.com", "192.0.2.1", "2001:db8::1", "%{", "}", "%", "%%", "%_", "%-", "%{d}", "%{i}", "%{ir}", "%{l1r-}",
    "%{p}", "%{h}", "%{o}", "%{s}", "%{v}", "%{d2}", "%{c}", "r", " ", " ", " ", std::string("\0", 1), "\x80", "\t"};

const std::vector<std::string> kTerms = {
    "a", "-a/24", "mx", "~mx:mx.example.com//64", "ptr", "?ptr:example.com", "include:inc.example.com",
    "exists:%{ir}.%{v}.x.example.com", "exists:%{l1r-}.%{d2}", "ip4:192.0.2.0/24", "ip6:2001:db8::/32",
    "a:nx.example.com", "redirect=inc.example.com", "exp=e.%{d}", "x-y=%{s}", "-all", "~all"};

// Mostly well-formed terms, one in four a soup of tokens (often a syntax error).
std::string randomRecord(std::mt19937& rng) {
  std::uniform_int_distribution<size_t> tok(0, kTokens.size() - 1), term(0, kTerms.size() - 1), len(1, 12),
      soup(1, 4), coin(0, 3);
  std::string r = "v=spf1";
  for (size_t i = 0, n = len(rng); i < n; ++i) {
    r += " ";
    if (coin(rng)) {
      r += kTerms[term(rng)];
      continue;
    }
    for (size_t k = 0, m = soup(rng); k < m; ++k) r += kTokens[tok(rng)];
  }
  return r;
}

TEST_F(SpfFixture, RandomRecordsEndInAResultWithinTheQueryBudget) {
  std::mt19937 rng(7208);
  // Worst case per check: 1 TXT + 10 terms x (1 + 10 MX hosts) + 1 exp + %{p} (1 PTR + 10 A).
  constexpr unsigned kMaxQueries = 1 + 10 * 11 + 1 + 11;
  int permerrors = 0, others = 0;
  for (int i = 0; i < 2000; ++i) {
    dns.clear();
    dns.addTxt("example.com", randomRecord(rng));
    dns.addTxt("inc.example.com", randomRecord(rng));
    for (int m = 0; m < 5; ++m) dns.addMx("example.com", 10, "mx.example.com");
    dns.addA("mx.example.com", "192.0.2.1");
    dns.addPtr(ip("192.0.2.1"), "mx.example.com");
    dns.resetQueryCount();
    SpfOutput out = mailFrom(i % 2 ? "192.0.2.1" : "2001:db8::1", "joe-x@example.com");
    ASSERT_TRUE(out.checked);
    ASSERT_NE(out.result, SpfResult::None) << i;
    ASSERT_FALSE(out.reason.empty()) << i;
    ASSERT_LE(dns.queries(), kMaxQueries) << i;
    (out.result == SpfResult::PermError ? permerrors : others)++;
  }
  EXPECT_GT(others, 100);  // the generator must also produce records that evaluate
  EXPECT_GT(permerrors, 100);
}

}  // namespace
}  // namespace am::spftest
