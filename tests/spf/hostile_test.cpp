// tests/spf/hostile_test.cpp — hostile and malformed input: every case must end in the RFC
// result (asserted), never a crash, hang or leak (ASan/UBSan/LSan run this file in CI).
#include "tests/spf/spf_fixture.h"

namespace am::spftest {
namespace {

using R = SpfResult;

struct HostileRecord {
  const char* name;
  std::string record;
  R expected;
};

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<HostileRecord> hostileRecords() {
  return {
      {"unknown_mechanism", "v=spf1 ip4:192.0.2.2 foo -all", R::PermError},
      {"error_after_match", "v=spf1 ip4:192.0.2.1 -all moo", R::PermError},
      {"nul_byte", std::string("v=spf1 a\0 -all", 14), R::PermError},
      {"eight_bit", "v=spf1 \xff\xfe -all", R::PermError},
      {"control_char", "v=spf1 a:x.example.com\rptr -all", R::PermError},
      {"huge_cidr", "v=spf1 ip4:192.0.2.1/4294967328 -all", R::PermError},
      {"negative_cidr", "v=spf1 a/-1 -all", R::PermError},
      {"lone_percent", "v=spf1 exists:%.example.com -all", R::PermError},
      {"unterminated_macro", "v=spf1 exists:%{l.example.com -all", R::PermError},
      {"zero_digit_macro", "v=spf1 exists:%{l0r}.example.com -all", R::PermError},
      {"cve_2023_42118_style", "v=spf1 exists:%{l1r-}.%{l9999999999r+-.}.%{s2r_}.x.example.com -all", R::Fail},
      {"giant_digits", "v=spf1 exists:%{d18446744073709551617}.x.example.com -all", R::Fail},
      {"many_macros", "v=spf1 exists:" + repeat("%{s}", 400) + ".x.example.com -all", R::Fail},
      {"over_450_bytes", "v=spf1 " + repeat("ip4:198.51.100.1 ", 60) + "-all", R::Fail},
      {"64k_record", "v=spf1 " + repeat("ip4:198.51.100.1 ", 3800) + "+all", R::Pass},
      {"only_spaces", "v=spf1           ", R::Neutral},
      {"redirect_to_self_via_macro", "v=spf1 redirect=%{d}", R::PermError},
      {"redirect_to_missing_domain", "v=spf1 redirect=%{l}.x.example.com", R::PermError},
      {"exp_with_macro_loop_bait", "v=spf1 -all exp=%{d}", R::Fail},
  };
}

[[maybe_unused]] void PrintTo(const HostileRecord& h, std::ostream* os) { *os << h.name; }

class Hostile : public SpfFixture, public ::testing::WithParamInterface<HostileRecord> {};
TEST_P(Hostile, Record) {
  // local-part full of delimiters and empty labels, to stress transformers.
  SpfResult got = record(GetParam().record, "192.0.2.1");
  EXPECT_EQ(got, GetParam().expected) << GetParam().name;
}
INSTANTIATE_TEST_SUITE_P(Spf, Hostile, ::testing::ValuesIn(hostileRecords()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(SpfFixture, SeveralSpfRecordsArePermError) {
  dns.addTxt("example.com", "v=spf1 -all");
  dns.addTxt("example.com", "v=spf1 -all");
  dns.addTxt("example.com", "some other text");
  SpfOutput out = mailFrom("192.0.2.1", "u@example.com");
  EXPECT_EQ(out.result, R::PermError);
  EXPECT_EQ(out.reason, "multiple SPF records for example.com");
}

TEST_F(SpfFixture, TxtSplitInManyStringsIsOneRecord) {
  // The resolver joins character-strings without separator (RFC 7208 §3.3); 255-octet pieces.
  std::string rec = "v=spf1 " + repeat("ip4:198.51.100.7 ", 40) + "ip4:192.0.2.1 -all";
  std::string joined;
  for (size_t i = 0; i < rec.size(); i += 255) joined += rec.substr(i, 255);
  dns.addTxt("example.com", joined);
  EXPECT_EQ(mailFrom("192.0.2.1", "u@example.com").result, R::Pass);
}

TEST_F(SpfFixture, EightBitAndOversizedIdentities) {
  dns.addTxt("example.com", "v=spf1 +all");
  EXPECT_EQ(mailFrom("192.0.2.1", "u@ex\xe4mple.com").result, R::None);
  EXPECT_EQ(mailFrom("192.0.2.1", "u@" + std::string(300, 'a') + ".com").result, R::None);
  EXPECT_EQ(mailFrom("192.0.2.1", "u@" + std::string(64, 'a') + ".com").result, R::None);
  EXPECT_EQ(helo("192.0.2.1", "\xff\xfe.example.com").result, R::None);
  // An 8-bit HELO expanded through %{h} / %{H} stays a value, never a crash.
  dns.addTxt("h.example.com", "v=spf1 a:%{h}.x.example.com exists:%{H}.y.example.com -all");
  EXPECT_EQ(mailFrom("192.0.2.1", "u@h.example.com", "\xc3\xa9\x01\x7f").result, R::Fail);
}

TEST_F(SpfFixture, HugeLocalPartThroughMacros) {
  dns.addTxt("example.com", "v=spf1 exists:%{l}.%{lr}.%{l1r.}.%{L}.chk.example.com -all exp=e.example.com");
  dns.addTxt("e.example.com", "%{l}%{L}%{s}%{S}");
  std::string local = repeat("a.-+,/_=", 2000);
  SpfOutput out = mailFrom("192.0.2.1", local + "@example.com");
  EXPECT_EQ(out.result, R::Fail);
  EXPECT_LE(out.explanation.size(), 1024u);
  EXPECT_FALSE(out.explanation.empty());
}

// A sender's local part that expands to a name no resolver will send ("a b", "a\\b") is a name
// that does not exist: a void lookup (§4.6.4), never a DNS error the sender could use to turn
// a fail into a temperror (451).
TEST_F(SpfFixture, UnqueryableMacroExpansionIsAVoidLookupNotATempError) {
  dns.addTxt("example.com", "v=spf1 exists:%{l}.x.example.com a:%{l}.y.example.com -all");
  for (const char* local : {"\"a b\"", "a b", "a\\b", "tab\there"}) {
    SpfOutput out = mailFrom("192.0.2.1", std::string(local) + "@example.com");
    EXPECT_EQ(out.result, R::Fail) << local << ": " << out.reason;
  }
  // Each counts against the void limit (2): a third is a permerror, as for any name that does not exist.
  dns.addTxt("v.example.com", "v=spf1 exists:%{l}.1.example.com exists:%{l}.2.example.com exists:%{l}.3.example.com -all");
  EXPECT_EQ(mailFrom("192.0.2.1", "a b@v.example.com").result, R::PermError);
}

TEST_F(SpfFixture, DeepIncludeChainStopsAtTheTermLimit) {
  for (int i = 0; i < 50; ++i)
    dns.addTxt("d" + std::to_string(i) + ".example.com", "v=spf1 include:d" + std::to_string(i + 1) + ".example.com");
  dns.addTxt("example.com", "v=spf1 include:d0.example.com -all");
  EXPECT_EQ(mailFrom("192.0.2.1", "u@example.com").result, R::PermError);
}

TEST_F(SpfFixture, CnameLoopInTargetIsATempErrorNotAHang) {
  dns.addCname("loop.example.com", "loop2.example.com");
  dns.addCname("loop2.example.com", "loop.example.com");
  EXPECT_EQ(record("v=spf1 a:loop.example.com -all"), R::TempError);
}

}  // namespace
}  // namespace am::spftest
