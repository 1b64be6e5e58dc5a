// tests/authres/format_test.cpp — format(): exact text for the common cases, quoting of non-token
// values, comment sanitising, header-injection attempts, folding limits; every output parses back.
#include "tests/authres/test_util.h"

namespace am::authres::test {
namespace {

ResInfo dkim(std::string result, std::string d, std::string b = "") {
  ResInfo r{"dkim", std::move(result)};
  r.props.push_back({"header", "d", std::move(d)});
  if (!b.empty()) r.props.push_back({"header", "b", std::move(b)});
  return r;
}

TEST(AuthresFormat, NoResultsIsNone) {
  EXPECT_EQ(format("mx.example.org", {}), "mx.example.org; none");
  ResInfo none{"none", "", "", "SPF not checked"};
  EXPECT_EQ(format("mx.example.org", {none}), "mx.example.org; none (SPF not checked)");
  Parsed p = mustParse(format("mx.example.org", {none}));
  EXPECT_TRUE(p.none);
  EXPECT_EQ(p.noneComment, "SPF not checked");
}

TEST(AuthresFormat, NoneMarkerIgnoredNextToRealResults) {
  ResInfo none{"none", "", "", "x"};
  EXPECT_EQ(format("mx", {none, {"spf", "pass"}}), "mx; spf=pass");
}

TEST(AuthresFormat, SpfDkimDmarcLine) {
  ResInfo spf{"spf", "pass", "", "", {{"smtp", "mailfrom", "user@example.net"}}};
  ResInfo dmarc{"dmarc", "pass", "", "p=reject sp=none dis=none", {{"header", "from", "example.net"}}};
  std::string out = format("mx.example.org", {spf, dkim("pass", "example.net", "abcdefgh"), dmarc});
  EXPECT_EQ(unfold(out),
            "mx.example.org; spf=pass smtp.mailfrom=user@example.net; dkim=pass header.d=example.net "
            "header.b=abcdefgh; dmarc=pass (p=reject sp=none dis=none) header.from=example.net");
}

// The transport comment after the authserv-id: RFC 8601 CFWS, so every reader skips it, and a
// hostile one can neither close the comment early nor start a new result.
TEST(AuthresFormat, CommentAfterAuthservId) {
  ResInfo spf{"spf", "pass", "", "", {{"smtp", "mailfrom", "example.net"}}};
  std::string out = format("mx.example.org", {spf}, "tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256");
  EXPECT_EQ(unfold(out), "mx.example.org (tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256); spf=pass "
                         "smtp.mailfrom=example.net");
  Parsed p = mustParse(out);
  EXPECT_EQ(p.authservId, "mx.example.org");
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(format("mx", {}, "tls=TLSv1.2"), "mx (tls=TLSv1.2); none");
  std::string hostile = format("mx", {spf}, "x); dkim=pass (\r\nX-Injected: 1");
  Parsed h = mustParse(hostile);
  ASSERT_EQ(h.results.size(), 1u) << hostile;
  EXPECT_EQ(h.results[0].method, "spf");
  EXPECT_EQ(hostile.find('\r'), std::string::npos);
}

TEST(AuthresFormat, NonTokenValuesAreQuoted) {
  ResInfo r = dkim("fail", "example.net", "ab/cd+e=");
  r.reason = "signature did not verify";
  std::string out = unfold(format("mx.example.org", {r}));
  EXPECT_NE(out.find("header.b=\"ab/cd+e=\""), std::string::npos) << out;
  EXPECT_NE(out.find("reason=\"signature did not verify\""), std::string::npos) << out;
  expectSameResults(mustParse(out).results, {r}, true);
}

TEST(AuthresFormat, QuotesAndBackslashesAreEscaped) {
  ResInfo r{"dkim", "fail", "a \"quoted\" \\ reason", "", {{"header", "i", "\"x\\y\"@example.org"}}};
  std::string out = format("mx.example.org", {r});
  expectSameResults(mustParse(out).results, {r}, true);
}

TEST(AuthresFormat, SemicolonsInValuesDoNotSplitResults) {
  ResInfo r{"spf", "fail", "x; dkim=pass", "", {{"smtp", "mailfrom", "a; dmarc=pass"}}};
  Parsed p = mustParse(format("my host", {r}));
  EXPECT_EQ(p.authservId, "my host");
  expectSameResults(p.results, {r}, true);
}

TEST(AuthresFormat, HeaderInjectionIsNeutralised) {
  ResInfo r{"spf", "pass", "a\r\nX-Evil: 1", "c\r\nX-Evil: 2", {{"smtp", "mailfrom", "x\r\nX-Evil: 3\r\n"}}};
  std::string out = format("mx.example.org\r\nX-Evil: 0", {r});
  EXPECT_EQ(out.find('\r'), std::string::npos);
  for (size_t i = out.find('\n'); i != std::string::npos; i = out.find('\n', i + 1))
    EXPECT_EQ(out[i + 1], '\t') << out;
  Parsed p = mustParse(out);
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.authservId, "mx.example.org  X-Evil: 0");
  EXPECT_EQ(p.results[0].reason, "a  X-Evil: 1");
  EXPECT_EQ(p.results[0].props[0].value, "x  X-Evil: 3  ");
}

TEST(AuthresFormat, CommentsKeepBalancedParenthesesAndEscapeTheRest) {
  ResInfo r{"dkim", "pass", "", "a) ; spf=pass (b (c) \\", {{"header", "d", "example.org", "(x"}}};
  std::string out = format("mx", {r});
  Parsed p = mustParse(out);
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].comment, "a) ; spf=pass (b (c) \\");
  EXPECT_EQ(p.results[0].props[0].comment, "(x");
  EXPECT_NE(out.find("(c)"), std::string::npos) << out;
}

TEST(AuthresFormat, ControlAndInvalidUtf8Bytes) {
  std::string bad = std::string("a\0b\x01", 4) + "\x7f" + "caf\xc3\xa9" + "\xff" + "\xed\xa0\x80";
  ResInfo r{"dkim", "pass", "", bad};
  Parsed p = mustParse(format("mx", {r}));
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_EQ(p.results[0].comment, "a b caf\xc3\xa9????");
}

TEST(AuthresFormat, KeywordsAreReducedToLdh) {
  ResInfo r{"SP F;", "Pass!", "", "", {{"smtp.", "Mail From", "x"}, {";", "d", "y"}}};
  EXPECT_EQ(format("mx", {r}), "mx; spf=pass smtp.mailfrom=x");
  EXPECT_EQ(format("mx", {ResInfo{";", "pass"}}), "mx; none");
  EXPECT_EQ(format("mx", {ResInfo{"dkim", ""}}), "mx; none");
}

TEST(AuthresFormat, FoldsAtSeventyEightColumns) {
  std::vector<ResInfo> rs;
  for (int i = 0; i < 12; ++i) {
    ResInfo r = dkim(i % 2 ? "pass" : "fail", "sub" + std::to_string(i) + ".example.com", "Qgi/FoC0");
    r.comment = "1024-bit rsa key sha256";
    rs.push_back(r);
  }
  std::string out = format("mail-router.example.net", rs);
  auto ls = lines(out);
  EXPECT_GT(ls.size(), 5u);
  for (size_t i = 0; i < ls.size(); ++i) {
    EXPECT_LE(ls[i].size() + (i == 0 ? 24 : 0), 78u) << ls[i];
    if (i > 0) {
      EXPECT_EQ(ls[i][0], '\t');
    }
  }
  expectSameResults(mustParse(out).results, rs, true);
}

TEST(AuthresFormat, HugeValuesAreCutAndLinesStayShort) {
  ResInfo r{"spf", "pass", std::string(5000, 'r'), std::string(5000, '('),
            {{"smtp", "mailfrom", std::string(10000, '"') + "@example.org"}}};
  std::string out = format(std::string(3000, 'h'), {r});
  for (const auto& l : lines(out)) EXPECT_LT(l.size(), 998u);
  Parsed p = mustParse(out);
  EXPECT_LE(p.authservId.size(), 400u);
  ASSERT_EQ(p.results.size(), 1u);
  EXPECT_LE(p.results[0].reason.size(), 400u);
  EXPECT_LE(p.results[0].props[0].value.size(), 400u);
}

TEST(AuthresFormat, EmptyValuesStayParseable) {
  ResInfo r{"dkim", "none", "", "", {{"header", "d", ""}}};
  std::string out = format("", {r});
  EXPECT_EQ(out, "\"\"; dkim=none header.d=\"\"");
  expectSameResults(mustParse(out).results, {r}, true);
}

}  // namespace
}  // namespace am::authres::test
