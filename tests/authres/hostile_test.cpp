// tests/authres/hostile_test.cpp — parse() and authservIdOf() on hostile values: many results, no
// authserv-id, '(' and ';' tricks, unterminated comments/quotes, deep nesting, 64 KB and 1 MB values,
// NUL and 8-bit bytes. Each must end in a value or nullopt, never a crash (ASan/UBSan build in CI).
#include "tests/authres/test_util.h"

namespace am::authres::test {
namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(AuthresHostile, MoreThanSixteenResults) {
  std::string v = "mx.example.org";
  for (int i = 0; i < 40; ++i) v += "; dkim=pass header.d=d" + std::to_string(i) + ".example";
  Parsed p = mustParse(v);
  ASSERT_EQ(p.results.size(), 40u);
  EXPECT_EQ(p.results[39].props[0].value, "d39.example");
}

TEST(AuthresHostile, NoAuthservId) {
  std::string err;
  EXPECT_FALSE(parse("; spf=pass smtp.mailfrom=example.net", &err));
  EXPECT_NE(err.find("authserv-id"), std::string::npos) << err;
  EXPECT_FALSE(parse("", nullptr));
  EXPECT_FALSE(parse("   (only a comment)  ", nullptr));
  EXPECT_EQ(authservIdOf("; spf=pass"), "");
  EXPECT_EQ(authservIdOf(""), "");
  // Office 365 style: results without an authserv-id; the "id" is the method name, and it is rejected.
  EXPECT_FALSE(parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.net", nullptr));
  EXPECT_EQ(authservIdOf("spf=pass (sender IP is 192.0.2.1)"), "spf");
}

TEST(AuthresHostile, SemicolonInsideACommentIsNotASeparator) {
  EXPECT_FALSE(parse("example.org (; spf=pass) spf=fail", nullptr));
  EXPECT_EQ(authservIdOf("example.org (; spf=pass) spf=fail"), "example.org");
  Parsed p = mustParse("example.org; spf=fail (; spf=pass) smtp.mailfrom=a@example.org");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].result, "fail");
  EXPECT_EQ(p.results[0].comment, "; spf=pass");
}

TEST(AuthresHostile, SemicolonInsideAQuotedAuthservId) {
  Parsed p = mustParse("\"ex;ample\"; spf=pass");
  EXPECT_EQ(p.authservId, "ex;ample");
  EXPECT_EQ(p.results.size(), 1u);
  EXPECT_EQ(authservIdOf("\"ex;ample\" garbage"), "ex;ample");
}

TEST(AuthresHostile, UnterminatedCommentsAndQuotes) {
  std::string err;
  EXPECT_FALSE(parse("example.org; spf=pass (unterminated", &err));
  EXPECT_NE(err.find("comment"), std::string::npos) << err;
  EXPECT_FALSE(parse("example.org; dkim=fail reason=\"abc", &err));
  EXPECT_NE(err.find("quoted"), std::string::npos) << err;
  EXPECT_FALSE(parse("\"example.org; spf=pass", nullptr));
  EXPECT_FALSE(parse("example.org; spf=pass (a \\", nullptr));
  EXPECT_FALSE(parse("example.org; spf=pass reason=\"a \\", nullptr));
  EXPECT_EQ(authservIdOf("(mx.example.org; spf=pass"), "");
  EXPECT_EQ(authservIdOf("\"mx.example.org; spf=pass"), "");
}

TEST(AuthresHostile, ThousandDeepNesting) {
  std::string balanced = "example.org; spf=pass " + repeat("(", 1000) + "x" + repeat(")", 1000);
  Parsed p = mustParse(balanced);
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].comment, repeat("(", 999) + "x" + repeat(")", 999));
  EXPECT_FALSE(parse("example.org; spf=pass " + repeat("(", 1000) + "x" + repeat(")", 999), nullptr));
  EXPECT_EQ(authservIdOf(repeat("(", 100000) + repeat(")", 100000) + " mx.example.org"), "mx.example.org");
  EXPECT_EQ(authservIdOf(repeat("(", 100000) + " mx.example.org"), "");
}

TEST(AuthresHostile, SixtyFourKilobyteHeader) {
  std::string v = "mx.example.org";
  while (v.size() < 64 * 1024) v += "; dkim=pass header.d=example.com header.b=\"abc/def+\"";
  Parsed p = mustParse(v);
  EXPECT_GT(p.results.size(), 1000u);
  std::string comment = "mx.example.org; spf=pass (" + repeat("x", 64 * 1024) + ")";
  EXPECT_EQ(mustParse(comment).results.at(0).comment.size(), 64u * 1024);
}

TEST(AuthresHostile, OneMegabyteHeader) {
  std::string many = "mx.example.org" + repeat("; a=b", 200000);
  std::string err;
  EXPECT_FALSE(parse(many, &err));
  EXPECT_NE(err.find("too many"), std::string::npos) << err;
  EXPECT_EQ(authservIdOf(many), "mx.example.org");
  std::string oneToken = "mx.example.org; spf=pass smtp.helo=" + repeat("a", 1 << 20);
  EXPECT_EQ(mustParse(oneToken).results.at(0).props.at(0).value.size(), size_t{1} << 20);
  EXPECT_FALSE(parse(repeat(";(", 1 << 19), nullptr));
  EXPECT_FALSE(parse("x;" + repeat("\"", 1 << 20), nullptr));
}

TEST(AuthresHostile, NulBytes) {
  using namespace std::string_literals;
  EXPECT_FALSE(parse("example.org; spf=pass\0 smtp.mailfrom=a@example.org"s, nullptr));
  EXPECT_FALSE(parse("example.org; spf=pass (a\0b)"s, nullptr));
  EXPECT_FALSE(parse("example.org; spf=pass reason=\"a\0b\""s, nullptr));
  EXPECT_FALSE(parse("example.org\0; spf=pass"s, nullptr));
  EXPECT_EQ(authservIdOf("\0example.org"s), "");
  EXPECT_EQ(authservIdOf("example.org\0.evil"s), "example.org");
  EXPECT_EQ(authservIdOf("(\0) example.org"s), "");
}

TEST(AuthresHostile, EightBitBytes) {
  Parsed p = mustParse("example.org; dkim=pass (caf\xc3\xa9 \xff) reason=\"na\xc3\xafve\"");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].comment, "caf\xc3\xa9 \xff");
  EXPECT_EQ(p.results[0].reason, "na\xc3\xafve");
  EXPECT_FALSE(parse("example.org; dkim=pass header.d=caf\xc3\xa9.example", nullptr));
  EXPECT_FALSE(parse("ex\xe4mple.org; dkim=pass", nullptr));
  EXPECT_EQ(authservIdOf("mx.example.org\xc3\xa9; spf=pass"), "mx.example.org");
}

TEST(AuthresHostile, ControlCharactersOutsideQuotes) {
  EXPECT_FALSE(parse("example.org; spf=pass\x01", nullptr));
  EXPECT_FALSE(parse("example.org;\x0bspf=pass", nullptr));
  EXPECT_FALSE(parse("example.org; spf\x7f=pass", nullptr));
}

}  // namespace
}  // namespace am::authres::test
