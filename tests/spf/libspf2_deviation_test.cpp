// tests/spf/libspf2_deviation_test.cpp — each documented libspf2 1.2.10 deviation, shown on one
// small input: our engine must give the RFC 7208 answer (asserted), and libspf2 (run in a forked
// child, same Zone) must still differ, so docs/spf.md lists only deviations that are measured.
// One TEST_P case per deviation, named after it.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "tests/support/memorydns/memory_resolver.h"
#include "filter/auth/spf/spf.h"
#include "tests/spf/libspf2_engine.h"

namespace am::spftest {
namespace {

struct Deviation {
  const char* name;
  const char* rfc;  // the section that decides
  std::vector<std::pair<std::string, Rr>> records;
  std::string client, mailFrom;
  SpfResult rfcResult;
  std::string refClient = "";  // if libspf2 gets a different address (empty = same)
};

std::vector<Deviation> deviations() {
  auto txt = [](const char* name, std::string v) { return std::pair<std::string, Rr>{name, Rr{"TXT", std::move(v), 0}}; };
  auto a = [](const char* name, const char* v) { return std::pair<std::string, Rr>{name, Rr{"A", v, 0}}; };
  std::vector<Deviation> d;
  d.push_back({"cidr_zero", "§5.6 ip4-cidr-length = \"/\" (\"0\" / ...)", {txt("example.com", "v=spf1 ip4:198.51.100.0/0 -all")},
               "192.0.2.1", "u@example.com", SpfResult::Pass});
  std::vector<std::pair<std::string, Rr>> nested = {
      txt("example.com", "v=spf1 include:i1.example.com include:i2.example.com include:i3.example.com "
                         "include:i4.example.com ip4:192.0.2.1 -all"),
      a("h.example.com", "198.51.100.1")};
  for (const char* i : {"i1.example.com", "i2.example.com", "i3.example.com", "i4.example.com"})
    nested.push_back(txt(i, "v=spf1 a:h.example.com a:h.example.com a:h.example.com a:h.example.com"));
  d.push_back({"global_term_limit", "§4.6.4 at most 10 DNS terms per evaluation", nested, "192.0.2.1", "u@example.com",
               SpfResult::PermError});
  d.push_back({"void_limit", "§4.6.4 more than 2 void lookups is permerror",
               {txt("example.com", "v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com a:nx4.example.com -all")},
               "192.0.2.1", "u@example.com", SpfResult::PermError});
  d.push_back({"loopback", "§4 check_host() has no loopback exception", {txt("example.com", "v=spf1 -all")}, "127.0.0.1",
               "u@example.com", SpfResult::Fail});
  d.push_back({"mapped_client", "§5 IPv4-mapped IPv6 MUST be treated as IPv4",
               {txt("example.com", "v=spf1 ip4:192.0.2.1 -all")}, "::ffff:192.0.2.1", "u@example.com", SpfResult::Pass,
               "::ffff:192.0.2.1"});
  d.push_back({"nul_in_record", "§4.6 / §7.1 any syntax error is permerror",
               {txt("example.com", std::string("v=spf1 +all\0 -all", 17))}, "192.0.2.1", "u@example.com",
               SpfResult::PermError});
  d.push_back({"bare_toplabel", "§7.1 domain-end = \".\" toplabel", {txt("example.com", "v=spf1 a:museum -all")},
               "192.0.2.1", "u@example.com", SpfResult::PermError});
  d.push_back({"redirect_as_mechanism", "§4.6.1 redirect is a modifier", {txt("example.com", "v=spf1 ip4:192.0.2.1 redirect:x.example.com")},
               "192.0.2.1", "u@example.com", SpfResult::PermError});
  std::vector<std::pair<std::string, Rr>> ptr = {txt("example.com", "v=spf1 ptr ip4:192.0.2.1 -all")};
  for (int i = 0; i < 11; ++i)
    ptr.push_back({"1.2.0.192.in-addr.arpa", Rr{"PTR", "h" + std::to_string(i) + ".other.example", 0}});
  d.push_back({"ptr_over_ten", "§4.6.4 PTR names beyond 10 are ignored, not permerror", ptr, "192.0.2.1", "u@example.com",
               SpfResult::Pass});
  d.push_back({"macro_l1r_dash", "§7.3 %{l1r-} of \"strong\" is \"strong\" (libspf2 issue #42)",
               {txt("example.com", "v=spf1 exists:%{l1r-}.users.example.com -all"), a("strong.users.example.com", "127.0.0.2")},
               "192.0.2.1", "strong@example.com", SpfResult::Pass});
  return d;
}

// Readable parameter name in failure messages (found by ADL in this namespace).
[[maybe_unused]] void PrintTo(const Deviation& d, std::ostream* os) { *os << d.name; }

class Libspf2Deviation : public ::testing::TestWithParam<Deviation> {};

TEST_P(Libspf2Deviation, OursFollowsTheRfcLibspf2DoesNot) {
  const Deviation& d = GetParam();
  Zone zone;
  for (const auto& [name, rr] : d.records) zone[name].push_back(rr);
  InMemoryResolver dns;
  loadZone(zone, dns);
  FixedClock clock(1700000000);
  spf::Evaluator ev(dns, spf::Options{}, clock);
  SpfOutput our = ev.checkMailFrom(*IpAddress::parse(d.client), d.mailFrom, "client.example.org");
  EXPECT_EQ(our.result, d.rfcResult) << d.name << " (" << d.rfc << "): " << our.reason;

  std::string refClient = d.refClient.empty() ? d.client : d.refClient;
  auto ref = runInChildren({RefCase{&zone, refClient, d.mailFrom, "client.example.org"}}, 1);
  ASSERT_EQ(ref.size(), 1u);
  ASSERT_TRUE(ref[0].has_value()) << "libspf2 crashed on " << d.name;
  RecordProperty("libspf2", toString(*ref[0]));
  EXPECT_NE(*ref[0], our.result) << d.name << ": libspf2 now agrees; drop it from docs/spf.md";
}

INSTANTIATE_TEST_SUITE_P(Measured, Libspf2Deviation, ::testing::ValuesIn(deviations()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace am::spftest
