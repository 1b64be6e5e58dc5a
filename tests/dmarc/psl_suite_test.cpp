// tests/dmarc/psl_suite_test.cpp — the official Public Suffix List vectors (psl/tests.txt, 78
// cases) against filter/psl's LibPsl loaded with the suite's own public_suffix_list.dat. One
// TEST_P per line; "null" means no input / no registrable domain.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/dmarc/test_util.h"

namespace {

struct Vector {
  std::string name, input, expect;  // "" for null
};

std::vector<Vector> vectors() {
  std::vector<Vector> out;
  std::ifstream in(am::testing::testdata("psl/tests.txt"));
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line.rfind("//", 0) == 0) continue;
    std::istringstream ls(line);
    std::string a, b;
    if (!(ls >> a >> b)) continue;
    if (a == "null") a.clear();
    if (b == "null") b.clear();
    out.push_back({"line" + std::to_string(lineNo) + "_" + am::testing::testName(a), a, b});
  }
  return out;
}

class PslVectors : public ::testing::TestWithParam<Vector> {};
TEST_P(PslVectors, RegistrableDomain) {
  const auto& psl = am::testing::pslFrom("psl/public_suffix_list.dat");
  auto got = psl.registrableDomain(GetParam().input);
  EXPECT_EQ(got.value_or(""), GetParam().expect) << GetParam().input;
}
INSTANTIATE_TEST_SUITE_P(Official, PslVectors, ::testing::ValuesIn(vectors()),
                         [](const auto& i) { return i.param.name; });

TEST(PslSuite, CaseCount) { EXPECT_EQ(vectors().size(), 78u); }

TEST(PslSuite, NeverPassesIpLiteralsOrTrailingDots) {
  const auto& psl = am::testing::pslFrom("psl/public_suffix_list.dat");
  EXPECT_EQ(psl.organizationalDomain("192.0.2.1"), "192.0.2.1");
  EXPECT_FALSE(psl.registrableDomain("192.0.2.1").has_value());
  EXPECT_EQ(psl.organizationalDomain("www.Example.COM."), "example.com");
}

TEST(PslSuite, MissingFileIsAnError) {
  std::string err;
  EXPECT_EQ(am::psl::LibPsl::load("/nonexistent/psl.dat", &err), nullptr);
  EXPECT_NE(err.find("/nonexistent/psl.dat"), std::string::npos);
}

}  // namespace
