// tests/spf/parser_test.cpp — the strict RFC 7208 record parser (record.h): record selection
// prefix, every mechanism's ABNF, CIDR forms incl. /0, modifiers, and rejected syntax.
#include <gtest/gtest.h>

#include <cctype>

#include "filter/auth/spf/record.h"

namespace am::spf {
namespace {

TEST(SpfParser, VersionPrefix) {
  EXPECT_TRUE(isSpfRecord("v=spf1"));
  EXPECT_TRUE(isSpfRecord("V=SpF1 -all"));
  EXPECT_FALSE(isSpfRecord("v=spf10"));
  EXPECT_FALSE(isSpfRecord("v=spf1mx"));
  EXPECT_FALSE(isSpfRecord(" v=spf1 -all"));
  EXPECT_FALSE(isSpfRecord("v=spf2.0/pra -all"));
  EXPECT_FALSE(isSpfRecord(""));
}

TEST(SpfParser, EveryMechanism) {
  auto p = parseRecord(
      "v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx:%{d}/0 ptr ptr:example.org "
      "ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.bl.example.net");
  ASSERT_TRUE(p.record) << p.error;
  const auto& m = p.record->mechanisms;
  ASSERT_EQ(m.size(), 10u);
  EXPECT_EQ(m[0].kind, MechKind::All);
  EXPECT_EQ(m[0].qualifier, Qualifier::Pass);
  EXPECT_EQ(m[1].kind, MechKind::Include);
  EXPECT_EQ(m[1].qualifier, Qualifier::Fail);
  EXPECT_EQ(m[1].domainSpec, "_spf.example.com");
  EXPECT_EQ(m[2].qualifier, Qualifier::SoftFail);
  EXPECT_TRUE(m[2].domainSpec.empty());
  EXPECT_EQ(m[3].qualifier, Qualifier::Neutral);
  EXPECT_EQ(m[3].domainSpec, "mail.example.com");
  EXPECT_EQ(m[3].cidr4, 24);
  EXPECT_EQ(m[3].cidr6, 64);
  EXPECT_EQ(m[4].kind, MechKind::Mx);
  EXPECT_EQ(m[4].cidr4, 0);
  EXPECT_EQ(m[4].cidr6, 128);
  EXPECT_EQ(m[6].domainSpec, "example.org");
  EXPECT_EQ(m[7].network.str(), "192.0.2.0");
  EXPECT_EQ(m[7].cidr4, 24);
  EXPECT_EQ(m[8].network.str(), "2001:db8::");
  EXPECT_EQ(m[8].cidr6, 32);
  EXPECT_EQ(m[9].kind, MechKind::Exists);
}

TEST(SpfParser, ZeroPrefixesAreValid) {
  auto p = parseRecord("v=spf1 ip4:0.0.0.0/0 ip6:::/0 a/0//0");
  ASSERT_TRUE(p.record) << p.error;
  EXPECT_EQ(p.record->mechanisms[0].cidr4, 0);
  EXPECT_EQ(p.record->mechanisms[1].cidr6, 0);
  EXPECT_EQ(p.record->mechanisms[2].cidr4, 0);
  EXPECT_EQ(p.record->mechanisms[2].cidr6, 0);
}

TEST(SpfParser, Modifiers) {
  auto p = parseRecord("v=spf1 exp=explain.%{d} redirect=_spf.example.com moo.cow-far_out=man:dog/cat x=%{l}");
  ASSERT_TRUE(p.record) << p.error;
  EXPECT_EQ(*p.record->exp, "explain.%{d}");
  EXPECT_EQ(*p.record->redirect, "_spf.example.com");
  EXPECT_TRUE(p.record->mechanisms.empty());
}

TEST(SpfParser, TermsSeparatedBySpacesOnlyAndTrailingSpacesAllowed) {
  EXPECT_TRUE(parseRecord("v=spf1   a    -all   ").record);
  EXPECT_FALSE(parseRecord("v=spf1 a\t-all").record);
  EXPECT_FALSE(parseRecord("v=spf1 a\r\n-all").record);
}

class SpfParserRejects : public ::testing::TestWithParam<const char*> {};
TEST_P(SpfParserRejects, Record) {
  auto p = parseRecord(GetParam());
  EXPECT_FALSE(p.record.has_value()) << GetParam();
  EXPECT_FALSE(p.error.empty());
}
INSTANTIATE_TEST_SUITE_P(
    Syntax, SpfParserRejects,
    ::testing::Values("v=spf1 moo", "v=spf1 -all.", "v=spf1 -all:foo", "v=spf1 all/8", "v=spf1 redirect:x.example.com",
                      "v=spf1 1up=foo", "v=spf1 =all", "v=spf1 -x=y", "v=spf1 exp=", "v=spf1 redirect=",
                      "v=spf1 exp=a.example.com exp=b.example.com", "v=spf1 redirect=a.com redirect=b.com",
                      "v=spf1 redirect=-all", "v=spf1 include", "v=spf1 include:", "v=spf1 exists",
                      "v=spf1 exists:example.com/24", "v=spf1 include:example.com/24", "v=spf1 ptr/0",
                      "v=spf1 ptr:", "v=spf1 a:", "v=spf1 a:museum", "v=spf1 a:museum.", "v=spf1 a:abc.123",
                      "v=spf1 a:111.222.33.44", "v=spf1 a:example.-com", "v=spf1 a:example.com-",
                      "v=spf1 a:example.com:8080", "v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/24/64",
                      "v=spf1 a/024", "v=spf1 ip4", "v=spf1 ip4:", "v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4/33",
                      "v=spf1 ip4:1.2.3.4/032", "v=spf1 ip4:1.2.3.4//32", "v=spf1 ip4:1.2.3.4:8080",
                      "v=spf1 ip4:01.2.3.4", "v=spf1 ip4:256.2.3.4", "v=spf1 ip4:1.2.3.4/", "v=spf1 ip6",
                      "v=spf1 ip6::CAFE::BABE", "v=spf1 ip6:::1/129", "v=spf1 ip6:::1//33", "v=spf1 ip6:1.2.3.4",
                      "v=spf1 ip6:2001:db8::1%eth0", "v=spf1 a:foo.example.com\x01", "v=spf1 \x80" "a",
                      "v=spf1 a:\xef\xbb\xbfx.example.net", "v=spf1 exists:%(ir).example.com",
                      "v=spf1 exists:foo%.example.com", "v=spf1 exists:%{x}.example.com",
                      "v=spf1 exists:%{r}.example.com", "v=spf1 exists:%{c}.example.com",
                      "v=spf1 exists:%{t}.example.com", "v=spf1 exists:%{d0}.example.com",
                      "v=spf1 exists:%{d.example.com", "v=spf1 exists:%{}.example.com", "v=spf1 foo=%abc",
                      "v=spf1 foo=a b", "v=spf1 exists:%{d}.", "v=spf1 a:%"),
    [](const ::testing::TestParamInfo<const char*>& info) {  // "<index>_<record as [A-Za-z0-9_]>"
      std::string name = std::to_string(info.index) + "_";
      for (const char* p = info.param + 7; *p && name.size() < 48; ++p)
        name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
      return name;
    });

TEST(SpfParser, NulByteInRecordIsASyntaxError) {
  std::string rec("v=spf1 a:foo.example.com\0 -all", 30);
  EXPECT_FALSE(parseRecord(rec).record);
}

TEST(SpfParser, DomainSpecMayEndInAMacroOrCarryOddCharacters) {
  EXPECT_TRUE(parseRecord("v=spf1 a:%{d} exists:%{i}.%{l2r-}.user.%{d2} a:%%").record);
  EXPECT_TRUE(parseRecord("v=spf1 a:foo:bar/baz.example.com a:foo.example.xn--zckzah a:x.123-456").record);
  auto p = parseRecord("v=spf1 a:foo:bar/baz.example.com/16");
  ASSERT_TRUE(p.record);
  EXPECT_EQ(p.record->mechanisms[0].domainSpec, "foo:bar/baz.example.com");
  EXPECT_EQ(p.record->mechanisms[0].cidr4, 16);
}

TEST(SpfParser, LongRecordsParse) {
  std::string rec = "v=spf1";
  for (int i = 0; i < 200; ++i) rec += " ip4:198.51.100." + std::to_string(i);
  rec += " -all";
  ASSERT_GT(rec.size(), 450u);
  auto p = parseRecord(rec);
  ASSERT_TRUE(p.record);
  EXPECT_EQ(p.record->mechanisms.size(), 201u);
}

}  // namespace
}  // namespace am::spf
