// tests/arc_seal/suite_test.cpp — the signing half of the ARC test suite
// (../shared/testdata/arc-test-suite/arc-draft-sign-tests.yml, 17 tests in 2 scenarios), one
// TEST_P case per test, named after its id.
//
// Per case: the message is split into header fields and body, the chain status to seal is read
// from the newest Authentication-Results of the test's srv-id (the suite stamps arc=... there,
// see its README; no stamp = none), the previous highest instance from the message's ARC header
// fields, and the AAR results are the suite's consolidation of every Authentication-Results of
// that srv-id. The sealer runs with the scenario's key, the test's t= and sig-headers, and:
//   - an empty expected AS means no set may be added;
//   - otherwise every tag of AS and AMS must equal the expected one (b= and bh= too: RSA
//     PKCS#1 v1.5 is deterministic, so equal input gives an equal signature) and the AAR must
//     be equal after relaxed canonicalization.
// All 17 pass as the suite states them: none has an expectation RFC 8617 made obsolete (its two
// cv=fail cases already seal the new set alone, as RFC 8617 §5.1.2 says; no_additional_sig is
// §5.1 step 1: a chain whose newest seal says cv=fail gets no further set).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "common/strings.h"
#include "filter/auth/arc_seal/arc_headers.h"
#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim/primitives/tag_list.h"
#include "tests/arc_seal/arc_test_util.h"

namespace am::arctest {
namespace {

const std::string kFile = std::string(AM_TESTDATA_DIR) + "/arc-test-suite/arc-draft-sign-tests.yml";

struct SignCase {
  std::string scenario, id, message, srvId, as, ams, aar, pem, domain, selector;
  std::vector<std::string> sigHeaders;
  int64_t t = 0;
};

void PrintTo(const SignCase& c, std::ostream* os) { *os << c.id; }

std::vector<SignCase> loadCases() {
  std::vector<SignCase> out;
  for (const auto& doc : YAML::LoadAllFromFile(kFile)) {
    for (const auto& kv : doc["tests"]) {
      SignCase c;
      c.scenario = doc["description"].as<std::string>("");
      c.id = kv.first.as<std::string>();
      const YAML::Node& t = kv.second;
      c.message = t["message"].as<std::string>();
      c.srvId = t["srv-id"].as<std::string>();
      c.as = t["AS"].as<std::string>("");
      c.ams = t["AMS"].as<std::string>("");
      c.aar = t["AAR"].as<std::string>("");
      c.t = t["t"].as<int64_t>();
      c.sigHeaders = split(t["sig-headers"].as<std::string>(), ":");
      c.pem = doc["privatekey"].as<std::string>();
      c.domain = doc["domain"].as<std::string>();
      c.selector = doc["sel"].as<std::string>();
      out.push_back(std::move(c));
    }
  }
  return out;
}

const std::vector<SignCase>& cases() {
  static const std::vector<SignCase> c = loadCases();
  return c;
}

// cv from the "arc=" result of the newest (topmost) Authentication-Results of srv-id.
arcseal::Cv stampedCv(const RawMessage& m, const std::string& srvId) {
  for (const auto& [n, v] : m.headers) {
    if (!iequals(trim(n), "Authentication-Results")) continue;
    auto p = arcseal::splitAuthResults(v);
    if (!p || !iequals(p->authservId, srvId)) continue;
    for (const auto& r : split(p->results, ";")) {
      std::string_view w = trim(r);
      if (w.substr(0, 4) != "arc=") continue;
      std::string res = toLower(w.substr(4, w.find_first_of(" \t\r\n(", 4) - 4));
      if (res == "pass") return arcseal::Cv::Pass;
      if (res == "fail") return arcseal::Cv::Fail;
      return arcseal::Cv::None;
    }
    return arcseal::Cv::None;  // the newest AR of srv-id has no stamp
  }
  return arcseal::Cv::None;
}

unsigned highestInstance(const RawMessage& m) {
  unsigned hi = 0;
  for (const auto& [n, v] : m.headers)
    if (auto k = arcseal::arcKind(n))
      if (auto i = arcseal::arcInstance(*k, v)) hi = std::max(hi, *i);
  return hi;
}

std::vector<std::string> arValues(const RawMessage& m) {
  std::vector<std::string> v;
  for (const auto& [n, val] : m.headers)
    if (iequals(trim(n), "Authentication-Results")) v.push_back(val);
  return v;
}

// Tags of a signature value, b=/bh= without whitespace, others trimmed.
std::map<std::string, std::string> tagsOf(const std::string& value) {
  std::map<std::string, std::string> m;
  auto tl = dkim::parseTagList(value);
  EXPECT_EQ(tl.error, "") << value;
  for (const auto& [k, v] : tl.tags) m[k] = (k == "b" || k == "bh") ? dkim::stripWhitespace(v) : v;
  return m;
}

// YAML removed the indentation of the expected values' continuation lines: each line break
// was a fold.
std::string canonAar(const std::string& v) {
  std::string folded;
  for (char ch : v) folded += ch == '\n' ? std::string("\n ") : std::string(1, ch);
  return dkim::canonHeader(dkim::Canon::Relaxed, "ARC-Authentication-Results", folded);
}

class ArcSignSuite : public ::testing::TestWithParam<SignCase> {};

TEST_P(ArcSignSuite, Case) {
  const SignCase& c = GetParam();
  RawMessage m = parseMessage(c.message);
  dkim::LoadedKey key = keyFromPem(c.pem);
  arcseal::SealOptions o;
  o.signHeaders = c.sigHeaders;
  arcseal::ChainStatus chain{stampedCv(m, c.srvId), highestInstance(m)};
  auto out = seal(m, {&key, c.domain, c.selector}, o, c.t, chain, c.srvId, arcseal::mergeAuthResults(arValues(m), c.srvId));

  if (trim(c.as).empty()) {
    EXPECT_FALSE(out.set.has_value()) << "a set was added: " << (out.set ? out.set->as : "");
    EXPECT_FALSE(out.reason.empty());
    return;
  }
  ASSERT_TRUE(out.set.has_value()) << out.reason;
  EXPECT_EQ(canonAar(out.set->aar), canonAar(c.aar));
  EXPECT_EQ(tagsOf(out.set->ams), tagsOf(c.ams));
  EXPECT_EQ(tagsOf(out.set->as), tagsOf(c.as));
}

std::string caseName(const ::testing::TestParamInfo<SignCase>& info) { return info.param.id; }
INSTANTIATE_TEST_SUITE_P(Sign, ArcSignSuite, ::testing::ValuesIn(cases()), caseName);

TEST(ArcSignSuiteFile, AllTestsLoaded) { EXPECT_EQ(cases().size(), 17u); }

// The two cv=fail cases are the RFC 8617 §5.1.2 ones: the suite's AS signs the new set only.
TEST(ArcSignSuiteFile, FailCasesSealOnlyTheNewSet) {
  int checked = 0;
  for (const auto& c : cases()) {
    if (c.id != "i1_base_fail" && c.id != "i2_base_fail") continue;
    ++checked;
    RawMessage m = parseMessage(c.message);
    dkim::LoadedKey key = keyFromPem(c.pem);
    arcseal::SealOptions o;
    o.signHeaders = c.sigHeaders;
    auto out = seal(m, {&key, c.domain, c.selector}, o, c.t, {arcseal::Cv::Fail, highestInstance(m)}, c.srvId,
                    arcseal::mergeAuthResults(arValues(m), c.srvId));
    ASSERT_TRUE(out.set.has_value()) << out.reason;
    EXPECT_TRUE(verifySignature(key, {{"ARC-Authentication-Results", out.set->aar},
                                      {"ARC-Message-Signature", out.set->ams}},
                                "ARC-Seal", out.set->as))
        << c.id;
  }
  EXPECT_EQ(checked, 2);
}

}  // namespace
}  // namespace am::arctest
