// tests/authres/cases_test.cpp — runner over ${AM_TESTDATA_DIR}/authres/authres-cases.json (the Python
// authres 1.2.0 doctests: RFC 8601/7001/5451 Appendix B headers and more), one TEST_P per vector.
//  parse:    our parse() must give the structure authres gives (comments compared only when the
//            vector keeps one), or fail when the vector is a syntax error; format() of the result
//            must parse back to the same structure.
//  generate: the expected header is parsed into ResInfo values, format() writes them, and the output
//            must (a) parse back to the same structure, comments included, and (b) equal the expected
//            text after unfolding, unless the expected header carries an authres-version, which
//            format() never writes (RFC 8601: version 1 is the default).
#include <nlohmann/json.hpp>

#include "tests/authres/test_util.h"

namespace am::authres::test {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  json data;
};

std::string caseName(const std::string& kind, size_t index, const std::string& header) {
  std::string name = kind + "_" + (index < 10 ? "0" : "") + std::to_string(index) + "_";
  for (char c : headerValue(header)) {
    if (name.size() >= kind.size() + 44) break;
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return name;
}

json loadAll() {
  std::string text = readFile(casesPath());
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : json::object();
}

std::vector<Case> loadCases(const std::string& kind) {
  json all = loadAll();
  std::vector<Case> out;
  if (!all.contains(kind)) return out;
  for (size_t i = 0; i < all[kind].size(); ++i) {
    const json& c = all[kind][i];
    std::string header = c.contains("header") ? c["header"].get<std::string>() : c.value("expected", "");
    out.push_back({caseName(kind, i, header), c});
  }
  return out;
}

std::vector<ResInfo> expectedResults(const json& c) {
  std::vector<ResInfo> out;
  for (const json& r : c.value("results", json::array())) {
    ResInfo ri{r.at("method").get<std::string>(), r.at("result").get<std::string>()};
    ri.reason = r.value("reason", "");
    ri.comment = r.value("result_comment", "");
    for (const json& p : r.value("properties", json::array()))
      ri.props.push_back({p.at("type").get<std::string>(), p.at("name").get<std::string>(),
                          p.at("value").get<std::string>()});
    out.push_back(std::move(ri));
  }
  return out;
}

bool keepsComments(const json& c) {
  for (const json& r : c.value("results", json::array()))
    if (r.contains("result_comment")) return true;
  return false;
}

class ParseCase : public ::testing::TestWithParam<Case> {};
class GenerateCase : public ::testing::TestWithParam<Case> {};

TEST(AuthresCases, FileHasTheDocumentedCounts) {
  json all = loadAll();
  ASSERT_TRUE(all.contains("parse")) << "cannot read " << casesPath();
  EXPECT_EQ(all["parse"].size(), 23u);
  EXPECT_EQ(all["generate"].size(), 13u);
}

TEST_P(ParseCase, MatchesAuthres) {
  const json& c = GetParam().data;
  std::string value = headerValue(c.at("header").get<std::string>());
  std::string err;
  auto got = parse(value, &err);
  if (c.contains("syntax_error")) {
    EXPECT_FALSE(got.has_value()) << "accepted a header authres rejects: " << value;
    EXPECT_FALSE(err.empty());
    return;
  }
  ASSERT_TRUE(got.has_value()) << err;
  EXPECT_EQ(got->authservId, c.at("authserv_id").get<std::string>());
  EXPECT_EQ(authservIdOf(value), got->authservId);
  if (c.contains("version")) {
    EXPECT_EQ(got->version, c["version"].get<std::string>());
  } else {
    EXPECT_FALSE(got->version.has_value());
  }
  expectSameResults(got->results, expectedResults(c), keepsComments(c));

  std::string again = format(got->authservId, got->results);
  Parsed back = mustParse(again);
  EXPECT_EQ(back.authservId, got->authservId);
  expectSameResults(back.results, got->results, /*comments=*/true);
}

TEST_P(GenerateCase, WritesTheExpectedHeader) {
  const json& c = GetParam().data;
  std::string expected = headerValue(c.at("expected").get<std::string>());
  Parsed want = mustParse(expected);
  std::vector<ResInfo> input = want.results;
  if (want.none) input.push_back({"none", "", "", want.noneComment});

  std::string out = format(want.authservId, input);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  Parsed got = mustParse(out);
  EXPECT_EQ(got.authservId, want.authservId);
  EXPECT_EQ(got.none, want.none);
  EXPECT_EQ(got.noneComment, want.noneComment);
  EXPECT_TRUE(!want.version || *want.version == "1") << "only version 1 exists";
  expectSameResults(got.results, want.results, /*comments=*/true);
  if (!want.version) {
    EXPECT_EQ(unfold(out), expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Authres, ParseCase, ::testing::ValuesIn(loadCases("parse")),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Authres, GenerateCase, ::testing::ValuesIn(loadCases("generate")),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace am::authres::test
