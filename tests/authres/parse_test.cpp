// tests/authres/parse_test.cpp — parse() on well-formed RFC 8601 values: CFWS everywhere, versions,
// quoting, pvalue forms, folding, the documented leniencies and the errors next to them.
#include "tests/authres/test_util.h"

namespace am::authres::test {
namespace {

TEST(AuthresParse, SimpleSpf) {
  Parsed p = mustParse("example.com; spf=pass smtp.mailfrom=example.net");
  EXPECT_EQ(p.authservId, "example.com");
  EXPECT_FALSE(p.version.has_value());
  EXPECT_FALSE(p.none);
  expectSameResults(p.results, {{"spf", "pass", "", "", {{"smtp", "mailfrom", "example.net"}}}}, true);
}

TEST(AuthresParse, VersionAndNone) {
  Parsed p = mustParse("example.com 1; none");
  EXPECT_EQ(p.version, "1");
  EXPECT_TRUE(p.none);
  EXPECT_TRUE(p.results.empty());
  Parsed q = mustParse("example.com (v) 12 (after) ; (x) none (SPF not checked)");
  EXPECT_EQ(q.version, "12");
  EXPECT_TRUE(q.none);
  EXPECT_EQ(q.noneComment, "SPF not checked");
}

TEST(AuthresParse, NoneIsAMethodWhenFollowedByEquals) {
  Parsed p = mustParse("example.com; none=pass");
  EXPECT_FALSE(p.none);
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].method, "none");
}

TEST(AuthresParse, NoneMustBeAlone) {
  EXPECT_FALSE(parse("example.com; none; spf=pass", nullptr));
  EXPECT_FALSE(parse("example.com; spf=pass; none", nullptr));
  EXPECT_FALSE(parse("example.com; none smtp.mailfrom=x", nullptr));
}

TEST(AuthresParse, CommentsAnywhereAreAttachedOrDropped) {
  Parsed p = mustParse(
      "(lead) example.com (c1); (c2) spf (c3) = (c4) pass (c5) reason (c6) = (c7) \"why\" (c8) smtp (c9) . "
      "(c10) mailfrom (c11) = (c12) user@example.net (c13) (c14)");
  EXPECT_EQ(p.authservId, "example.com");
  ASSERT_EQ(p.results.size(), 1u);
  const ResInfo& r = p.results[0];
  EXPECT_EQ(r.method, "spf");
  EXPECT_EQ(r.result, "pass");
  EXPECT_EQ(r.reason, "why");
  EXPECT_EQ(r.comment, "c5 c8");
  ASSERT_EQ(r.props.size(), 1u);
  EXPECT_EQ(r.props[0].value, "user@example.net");
  EXPECT_EQ(r.props[0].comment, "c13 c14");
}

TEST(AuthresParse, NestedCommentKeepsInnerParentheses) {
  Parsed p = mustParse("example.com; dkim=pass (outer (inner \\) escaped) done) header.d=example.org");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].comment, "outer (inner ) escaped) done");
}

TEST(AuthresParse, MethodVersionIsAcceptedAndDropped) {
  Parsed p = mustParse("example.com; dkim/1 = pass header.d=example.org");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].method, "dkim");
  EXPECT_FALSE(parse("example.com; dkim/=pass", nullptr));
}

TEST(AuthresParse, KeywordsAreLowerCasedValuesAreNot) {
  Parsed p = mustParse("Example.COM; SPF=Pass SMTP.MailFrom=User@Example.NET");
  EXPECT_EQ(p.authservId, "Example.COM");
  expectSameResults(p.results, {{"spf", "pass", "", "", {{"smtp", "mailfrom", "User@Example.NET"}}}}, true);
}

TEST(AuthresParse, QuotedValuesAreDecoded) {
  Parsed p = mustParse(R"("mx \"1\".example.com"; dkim=fail reason="bad \\ sig; spf=pass" header.b="a/b+c=")");
  EXPECT_EQ(p.authservId, "mx \"1\".example.com");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].reason, "bad \\ sig; spf=pass");
  ASSERT_EQ(p.results[0].props.size(), 1u);
  EXPECT_EQ(p.results[0].props[0].value, "a/b+c=");
}

TEST(AuthresParse, PvalueLocalPartForms) {
  Parsed p = mustParse(
      "example.com; spf=pass smtp.mailfrom=a/b=c?d@example.net header.i=@example.org "
      "smtp.rcptto=\"john doe\"@example.com");
  ASSERT_EQ(p.results.size(), 1u);
  ASSERT_EQ(p.results[0].props.size(), 3u);
  EXPECT_EQ(p.results[0].props[0].value, "a/b=c?d@example.net");
  EXPECT_EQ(p.results[0].props[1].value, "@example.org");
  EXPECT_EQ(p.results[0].props[2].value, "\"john doe\"@example.com");
}

TEST(AuthresParse, UnquotedBase64IsAcceptedOtherSpecialsAreNot) {
  Parsed p = mustParse("example.com; dkim=pass header.b=Qgi/FoC0+a= header.s=x?y");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].props[0].value, "Qgi/FoC0+a=");
  EXPECT_EQ(p.results[0].props[1].value, "x?y");
  EXPECT_FALSE(parse("example.com; spf=pass smtp.mailfrom=", nullptr));
  EXPECT_FALSE(parse("example.com; spf=pass smtp.mailfrom=<a@example.net>", nullptr));
  EXPECT_FALSE(parse("example.com; spf=pass smtp.mailfrom=a,b@example.net", nullptr));
  EXPECT_FALSE(parse("example.com; spf=pass smtp.rcptto=\"x\"@[192.0.2.1]", nullptr));
  EXPECT_FALSE(parse("example.com; iprev=pass policy.iprev=2001:db8::1", nullptr));
  EXPECT_TRUE(parse("example.com; iprev=pass policy.iprev=\"2001:db8::1\"", nullptr));
}

TEST(AuthresParse, FoldingWithCrlfOrBareLf) {
  std::string crlf = "example.com;\r\n\tspf=pass\r\n smtp.mailfrom=a@example.net;\r\n\tdkim=pass reason=\"x\r\n y\"";
  std::string lf = "example.com;\n\tspf=pass\n smtp.mailfrom=a@example.net;\n\tdkim=pass reason=\"x\n y\"";
  Parsed a = mustParse(crlf), b = mustParse(lf);
  ASSERT_EQ(a.results.size(), 2u);
  EXPECT_EQ(a.results[1].reason, "x y");
  expectSameResults(a.results, b.results, true);
}

TEST(AuthresParse, TrailingSemicolonAfterResultsIsAccepted) {
  Parsed p = mustParse("example.com; spf=pass smtp.mailfrom=example.net; ");
  EXPECT_EQ(p.results.size(), 1u);
  EXPECT_FALSE(parse("example.com;", nullptr));
  EXPECT_FALSE(parse("example.com; spf=pass;;", nullptr));
}

TEST(AuthresParse, PtypelessPropertiesAreSkipped) {
  Parsed p = mustParse("example.com; x-tls=pass version=TLSv1.2 smtp.helo=mx.example.net bits=256");
  ASSERT_EQ(p.results.size(), 1u);
  ASSERT_EQ(p.results[0].props.size(), 1u);
  EXPECT_EQ(p.results[0].props[0].name, "helo");
}

TEST(AuthresParse, ReasonOnlyRightAfterTheResult) {
  Parsed p = mustParse("example.com; dkim=fail header.d=example.org reason=late");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].reason, "");
  EXPECT_EQ(p.results[0].props.size(), 1u);
}

TEST(AuthresParse, StructuralErrorsCarryAnOffset) {
  std::string err;
  EXPECT_FALSE(parse("example.com spf=pass", &err));
  EXPECT_NE(err.find("offset"), std::string::npos) << err;
  EXPECT_FALSE(parse("example.com", &err));
  EXPECT_FALSE(parse("example.com; spf", &err));
  EXPECT_FALSE(parse("example.com; spf=", &err));
  EXPECT_FALSE(parse("example.com; =pass", &err));
  EXPECT_FALSE(parse("example.com; spf=pass smtp.=x", &err));
  EXPECT_FALSE(parse("example.com; spf=pass smtp.mailfrom x", &err));
  EXPECT_FALSE(parse("example.com; spf=pass smtp", &err));
  EXPECT_FALSE(parse("example.com; spf=pass, dkim=pass", &err));
}

}  // namespace
}  // namespace am::authres::test
