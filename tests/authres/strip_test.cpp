// tests/authres/strip_test.cpp — authservIdOf() and claimsAuthservId(): the checks used to delete
// forged Authentication-Results headers that carry our authserv-id, including the tricks attackers
// use (comments, folding, quoting, case, trailing dot) and superstrings that must NOT match.
#include "tests/authres/test_util.h"

namespace am::authres::test {
namespace {

constexpr std::string_view kOurs = "mx.example.org";

TEST(AuthresStrip, LeadingCommentAndCase) {
  std::string_view v = "  (comment) MX.Example.ORG ; spf=pass";
  EXPECT_EQ(authservIdOf(v), "MX.Example.ORG");
  EXPECT_TRUE(claimsAuthservId(v, kOurs));
  EXPECT_TRUE(claimsAuthservId("((nested) comment (x)) mx.example.org; none", kOurs));
}

TEST(AuthresStrip, NoSpaceBeforeSemicolon) {
  EXPECT_EQ(authservIdOf("mx.example.org;spf=pass"), "mx.example.org");
  EXPECT_TRUE(claimsAuthservId("mx.example.org;spf=pass", kOurs));
}

TEST(AuthresStrip, QuotedAuthservId) {
  EXPECT_EQ(authservIdOf("\"mx.example.org\"; spf=pass"), "mx.example.org");
  EXPECT_TRUE(claimsAuthservId("\"mx.example.org\"; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId("\"mx.example\\.org\"; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId("\" mx.example.org \"; spf=pass", kOurs));
  EXPECT_FALSE(claimsAuthservId("\"mx.example.org evil\"; spf=pass", kOurs));
}

TEST(AuthresStrip, FoldedBeforeTheId) {
  EXPECT_TRUE(claimsAuthservId("\n\tmx.example.org; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId("\r\n\tmx.example.org; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId(" (a\n\t b)\n mx.example.org\n\t; spf=pass", kOurs));
}

TEST(AuthresStrip, TrailingDotIsTheSameHost) {
  EXPECT_TRUE(claimsAuthservId("mx.example.org.; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId("mx.example.org; spf=pass", "MX.example.org."));
  EXPECT_FALSE(claimsAuthservId("mx.example.org..; spf=pass", kOurs));
}

TEST(AuthresStrip, SuperstringsAndSubstringsDoNotMatch) {
  for (std::string_view v : {"mx.example.org.evil; spf=pass", "evil-mx.example.org; spf=pass",
                             "mx.example.org-evil; spf=pass", "xmx.example.org; spf=pass",
                             "mx.example.organic; spf=pass", "example.org; spf=pass",
                             "mx.example; spf=pass", "mx_example_org; spf=pass"}) {
    EXPECT_FALSE(claimsAuthservId(v, kOurs)) << v;
  }
}

TEST(AuthresStrip, GarbageAfterTheIdStillClaimsIt) {
  // The token ends at the first character a token cannot hold; deleting such a header is harmless.
  EXPECT_TRUE(claimsAuthservId("mx.example.org/evil; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId("mx.example.org(x)garbage", kOurs));
  EXPECT_TRUE(claimsAuthservId("mx.example.org\xc3\xa9; spf=pass", kOurs));
  EXPECT_TRUE(claimsAuthservId("mx.example.org", kOurs));
}

TEST(AuthresStrip, NothingToClaim) {
  for (std::string_view v : {"", "   ", "; spf=pass", "(mx.example.org; spf=pass", "\"mx.example.org",
                             "(comment only)", "=mx.example.org"}) {
    EXPECT_EQ(authservIdOf(v), "") << v;
    EXPECT_FALSE(claimsAuthservId(v, kOurs)) << v;
  }
  EXPECT_FALSE(claimsAuthservId("mx.example.org; spf=pass", ""));
  EXPECT_FALSE(claimsAuthservId("\"\"; spf=pass", ""));
}

// A header that no strict parser reads but that a lenient reader downstream (a Sieve :contains
// test, a regex) takes for ours: an unclosed comment, a stray backslash, an unclosed quote.
TEST(AuthresStrip, MalformedHeadersMentioningUsAreForgeries) {
  for (std::string_view v : {"(\\) mx.example.org; dkim=pass header.d=bank.example",
                             "(mx.example.org; spf=pass", "\"mx.example.org", "=mx.example.org",
                             "x (\\) MX.Example.Org.; dmarc=pass", "mx.example.org",
                             "junk \\mx.example.org\\ junk; dkim=pass"}) {
    EXPECT_TRUE(mentionsAuthservId(v, kOurs)) << v;
    EXPECT_TRUE(forgesAuthservId(v, kOurs)) << v;
  }
  EXPECT_FALSE(claimsAuthservId("(\\) mx.example.org; dkim=pass header.d=bank.example", kOurs));
}

TEST(AuthresStrip, MentionsNeedTheWholeTokenBeforeTheFirstSemicolon) {
  for (std::string_view v : {"other.example; dkim=pass (mx.example.org)", "(x mx.example.org.evil; spf=pass",
                             "evil-mx.example.org (; spf=pass", "mx.example.org..; spf=pass", "; mx.example.org",
                             "other.example; spf=pass smtp.helo=mx.example.org"}) {
    EXPECT_FALSE(mentionsAuthservId(v, kOurs)) << v;
    EXPECT_FALSE(forgesAuthservId(v, kOurs)) << v;
  }
  EXPECT_FALSE(mentionsAuthservId("mx.example.org; spf=pass", ""));
  // The strict reading still catches what the lenient one cannot (an escaped dot, a ';' in a comment).
  EXPECT_TRUE(forgesAuthservId("\"mx.example\\.org\"; spf=pass", kOurs));
  EXPECT_TRUE(forgesAuthservId("(;) mx.example.org; spf=pass", kOurs));
}

TEST(AuthresStrip, AgreesWithParse) {
  for (std::string_view v : {"(c) \"Mx.Example.Org\" 1; none", "mx.example.org;spf=pass",
                             "\n\tmx.example.org (x); dkim=pass header.d=example.org"}) {
    Parsed p = mustParse(v);
    EXPECT_EQ(authservIdOf(v), p.authservId);
    EXPECT_TRUE(claimsAuthservId(v, kOurs));
  }
}

}  // namespace
}  // namespace am::authres::test
