// tests/dmarc/from_header_test.cpp — the strict From parser: every status, and the tricky
// shapes (comments, quoted strings, quoted local parts, encoded words, groups, IDN, case).
#include <random>

#include <gtest/gtest.h>

#include "policy/from_header.h"

using namespace am::policy;
using S = FromResult::Status;

namespace {

struct FromCase {
  const char* name;
  std::vector<std::string> values;
  S status;
  const char* domain;
};

class FromCases : public ::testing::TestWithParam<FromCase> {};

TEST_P(FromCases, Parse) {
  const FromCase& c = GetParam();
  FromResult r = parseFrom(c.values);
  EXPECT_EQ(toString(r.status), std::string(toString(c.status))) << r.error;
  EXPECT_EQ(r.domain, c.domain);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FromCases,
    ::testing::Values(
        FromCase{"plain", {"user@example.com"}, S::Ok, "example.com"},
        FromCase{"name_addr", {"Joe User <user@example.com>"}, S::Ok, "example.com"},
        FromCase{"uppercase", {"USER@Example.COM"}, S::Ok, "example.com"},
        FromCase{"comment_nested", {"(a (nested) comment) user@example.com (trailing)"}, S::Ok, "example.com"},
        FromCase{"comment_with_at", {"(evil@evil.example) user@example.com"}, S::Ok, "example.com"},
        FromCase{"quoted_display_with_address", {"\"evil@evil.example\" <user@example.com>"}, S::Ok, "example.com"},
        FromCase{"quoted_local_with_angle", {"\"a <x@junk.example>\"@example.com"}, S::Ok, "example.com"},
        FromCase{"quoted_local_with_comma", {"\"a,b\"@example.com"}, S::Ok, "example.com"},
        FromCase{"quoted_pair", {"\"a\\\"b\" <user@example.com>"}, S::Ok, "example.com"},
        FromCase{"encoded_word", {"=?UTF-8?B?SsO2cmc=?= <j@example.com>"}, S::Ok, "example.com"},
        FromCase{"obs_phrase_dot", {"J. Smith <j@example.com>"}, S::Ok, "example.com"},
        FromCase{"folded", {"Joe\r\n <user@example.com>"}, S::Ok, "example.com"},
        FromCase{"idn", {"u@b\xC3\xBC" "cher.example"}, S::Ok, "xn--bcher-kva.example"},
        FromCase{"group_one", {"Team: a@example.com;"}, S::Ok, "example.com"},
        FromCase{"group_two", {"Team: a@example.com, b@example.org;"}, S::MultipleAddresses, ""},
        FromCase{"group_empty", {"undisclosed-recipients:;"}, S::NoDomain, ""},
        FromCase{"missing", {}, S::Missing, ""},
        FromCase{"multiple_headers", {"a@example.com", "a@example.com"}, S::Multiple, ""},
        FromCase{"two_mailboxes", {"a@example.com, b@example.org"}, S::MultipleAddresses, ""},
        FromCase{"no_at", {"Joe <joe>"}, S::NoDomain, ""},
        FromCase{"display_only", {"\"Test 1.1.5\""}, S::NoDomain, ""},
        FromCase{"domain_literal", {"a@[192.0.2.1]"}, S::NoDomain, ""},
        FromCase{"empty", {""}, S::NoDomain, ""},
        FromCase{"unterminated_quote", {"\"a <a@example.com>"}, S::Unparseable, ""},
        FromCase{"unterminated_comment", {"(a <a@example.com>"}, S::Unparseable, ""},
        FromCase{"unclosed_angle", {"Joe <a@example.com"}, S::Unparseable, ""},
        FromCase{"stray_gt", {"a@example.com>"}, S::Unparseable, ""},
        FromCase{"source_route", {"<@relay.example:a@example.com>"}, S::Unparseable, ""},
        FromCase{"two_at", {"a@b@example.com"}, S::Unparseable, ""},
        FromCase{"bad_domain_char", {"a@exa$mple.com"}, S::Unparseable, ""},
        FromCase{"empty_label", {"a@example..com"}, S::Unparseable, ""},
        FromCase{"trailing_dot_domain", {"a@example.com."}, S::Unparseable, ""},
        FromCase{"bad_utf8", {"a@\xC3(.example"}, S::Unparseable, ""},
        FromCase{"long_label", {"a@" + std::string(64, 'x') + ".example"}, S::Unparseable, ""}),
    [](const auto& i) { return std::string(i.param.name); });

TEST(FromHeader, HugeHeaderIsBounded) {
  std::string v;
  for (int i = 0; i < 5000; ++i) v += "a" + std::to_string(i) + "@example.com, ";
  FromResult r = parseFrom({v});
  EXPECT_NE(r.status, S::Ok);
}

TEST(FromHeader, DeepCommentsDoNotCrash) {
  std::string v = std::string(5000, '(') + std::string(5000, ')') + " a@example.com";
  EXPECT_EQ(parseFrom({v}).domain, "example.com");
}

TEST(FromHeader, MultipleAddressesListsEveryDomain) {
  FromResult r = parseFrom({"a@Example.com, b@evil.example"});
  ASSERT_EQ(r.domains.size(), 2u);
  EXPECT_EQ(r.domains[1], "evil.example");
}

TEST(Idna, PunycodeKnownValues) {
  EXPECT_EQ(toAsciiDomain("M\xC3\xBCnchen.DE"), "xn--mnchen-3ya.de");
  EXPECT_EQ(toAsciiDomain("\xE4\xBE\x8B\xE3\x81\x88.jp"), "xn--r8jz45g.jp");
  EXPECT_EQ(toAsciiDomain("example.com."), "example.com");
  EXPECT_EQ(toAsciiDomain("exa mple.com"), "");
}

// Found by fuzzing (docs/fuzzing.md, D1): a U-label's ASCII characters follow the ASCII-label rule.
TEST(Idna, PunctuationInAULabelIsRefusedAsInAnAsciiLabel) {
  EXPECT_EQ(toAsciiDomain("bucher#.example"), "");
  EXPECT_EQ(toAsciiDomain("b\xC3\xBCcher#.example"), "");
  EXPECT_EQ(toAsciiDomain("b\xC3\xBC cher.example"), "");
  EXPECT_EQ(toAsciiDomain("b\xC3\xBC-cher_x.example").rfind("xn--b-cher_x-", 0), 0u);
  EXPECT_EQ(parseFrom({"a@b\xC3\xBCcher#.example"}).status, FromResult::Status::Unparseable);
}

}  // namespace

namespace {

// Seeded mini-fuzz: random mixes of the characters that matter to the parsers. Deterministic
// (fixed seed), bounded (2000 inputs each). Invariants: no crash/sanitizer report, and an Ok
// From result always carries a lowercase A-label domain.
std::string randomText(std::mt19937& g, std::string_view alphabet, size_t maxLen) {
  std::uniform_int_distribution<size_t> len(0, maxLen), pick(0, alphabet.size() - 1);
  std::string s;
  for (size_t n = len(g); n > 0; --n) s += alphabet[pick(g)];
  return s;
}

TEST(MiniFuzz, FromParserInvariants) {
  std::mt19937 g(20260523);
  const std::string_view alphabet = "ab@.<>\"(),:;\\[] \t\r\nXZ\xC3\xBC=?";
  for (int i = 0; i < 2000; ++i) {
    FromResult r = parseFrom({randomText(g, alphabet, 40)});
    if (r.status == S::Ok) {
      ASSERT_FALSE(r.domain.empty());
      for (char c : r.domain) ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') << r.domain;
    }
  }
}

}  // namespace
