// tests/arc/hostile_test.cpp — hostile ARC input gives a result, never a crash, and bounded work:
// more than 50 sets, instance 0 and out-of-range instances, duplicate and missing instances, a
// 4 KB b=, a 700-character authserv-id in the AAR, missing and repeated tags, an ARC-Seal that
// covers header fields (h=), 10,000 ARC fields, a 10,000-entry h=, and seeded random mutations
// of a valid three-set chain.
#include <gtest/gtest.h>

#include <random>

#include "tests/arc/arc_test_util.h"

namespace am::arc::test {
namespace {

struct Hostile : ::testing::Test {
  InMemoryResolver dns;
  std::unique_ptr<Verifier> v;
  void SetUp() override { v = verifierWithKeysOf("cv_pass_i1_1", dns); }
  ChainResult check(const std::string& msg) { return verifyMessage(*v, msg); }
};

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

const std::string kSet = "ARC-Seal: i=%d; a=rsa-sha256; cv=%s; d=example.org; s=dummy; b=AAAA\n"
                         "ARC-Message-Signature: i=%d; a=rsa-sha256; d=example.org; s=dummy; h=from; bh=AAAA; b=AAAA\n"
                         "ARC-Authentication-Results: i=%d; lists.example.org; dmarc=pass\n";

std::string sets(int from, int to) {
  std::string out;
  for (int i = to; i >= from; --i) {
    std::string s = kSet;
    s = replaceAll(s, "%d", std::to_string(i));
    s = replaceAll(s, "%s", i == 1 ? "none" : "pass");
    out += s;
  }
  return out;
}

const std::string kTail = "From: a@example.org\nSubject: x\n\nbody\n";

TEST_F(Hostile, MoreThanFiftySetsFailWithoutLookups) {
  ChainResult r = check(sets(1, 51) + kTail);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("more than 50"), std::string::npos) << r.reason;
  EXPECT_EQ(dns.queries(), 0u);
}

TEST_F(Hostile, FiftySetsAreReadButTheseDoNotVerify) {
  ChainResult r = check(sets(1, 50) + kTail);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_EQ(r.lastInstance, 50);
  EXPECT_EQ(r.sets.size(), 50u);
  EXPECT_LE(dns.queries(), 1u);  // one key for all of them, fetched once
}

TEST_F(Hostile, InstanceZeroAndOutOfRange) {
  for (const char* i : {"0", "51", "-1", "1000000000000", "", "1.0", "one"}) {
    std::string m = replaceAll(sets(1, 1), "i=1;", std::string("i=") + i + ";") + kTail;
    ChainResult r = check(m);
    EXPECT_EQ(r.cv, Cv::Fail) << i;
    EXPECT_NE(r.reason.find("without a valid i= tag"), std::string::npos) << i << ": " << r.reason;
  }
}

TEST_F(Hostile, DuplicateAndMissingInstances) {
  EXPECT_NE(check(sets(1, 1) + sets(1, 1) + kTail).reason.find("duplicate ARC-Seal i=1"), std::string::npos);
  ChainResult gap = check(sets(3, 3) + sets(1, 1) + kTail);
  EXPECT_EQ(gap.cv, Cv::Fail);
  EXPECT_NE(gap.reason.find("set i=2 has no ARC-Seal"), std::string::npos) << gap.reason;
  std::string noAar = sets(1, 1);
  noAar.erase(noAar.find("ARC-Authentication-Results"));
  EXPECT_NE(check(noAar + kTail).reason.find("has no ARC-Authentication-Results"), std::string::npos);
}

TEST_F(Hostile, FourKilobyteSignature) {
  std::string m = suiteCase("cv_pass_i1_1").message;
  size_t b = m.find("b=dOdF");
  ASSERT_NE(b, std::string::npos);
  m.insert(b + 2, std::string(4096, 'A'));
  ChainResult r = check(m);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("ARC-Seal i=1"), std::string::npos) << r.reason;
}

TEST_F(Hostile, LongAuthservIdInTheAar) {
  std::string m = replaceAll(sets(1, 1), "lists.example.org", std::string(700, 'a') + ".example") + kTail;
  ChainResult r = check(m);
  EXPECT_EQ(r.cv, Cv::Fail);  // the fake signatures fail; the point is a result
  std::string junk = "ARC-Authentication-Results: i=1; " + std::string(700, '(') + "\n";
  std::string m2 = sets(1, 1);
  m2.replace(m2.find("ARC-Authentication-Results"), std::string::npos, junk);
  EXPECT_EQ(check(m2 + kTail).cv, Cv::Fail);
}

TEST_F(Hostile, MissingAndRepeatedTags) {
  const std::string base = suiteCase("cv_pass_i1_1").message;
  for (const char* from : {"cv=none; ", "d=example.org; i=1; s=dummy;\n    t=12345", "a=rsa-sha256;"}) {
    std::string m = base;
    m.replace(m.find(from), std::string(from).size(), "");
    EXPECT_EQ(check(m).cv, Cv::Fail) << from;
  }
  std::string m = base;
  m.replace(m.find("cv=none; "), 9, "cv=none; cv=none; ");
  ChainResult r = check(m);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("duplicate tag cv="), std::string::npos) << r.reason;
}

TEST_F(Hostile, SealThatCoversHeaders) {
  std::string m = suiteCase("cv_pass_i1_1").message;
  m.replace(m.find("cv=none; "), 9, "cv=none; h=from:to:subject; ");
  ChainResult r = check(m);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("h="), std::string::npos) << r.reason;
}

TEST_F(Hostile, TenThousandArcFields) {
  std::string m;
  for (int i = 0; i < 10000; ++i) m += "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=e.org; s=s; b=AAAA\n";
  ChainResult r = check(m + kTail);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_EQ(dns.queries(), 0u);
}

TEST_F(Hostile, HugeSignedHeaderList) {
  std::string h;
  for (int i = 0; i < 10000; ++i) h += "from:";
  std::string m = replaceAll(sets(1, 1), "h=from;", "h=" + h + "to;") + kTail;
  EXPECT_EQ(check(m).cv, Cv::Fail);
}

// Seeded byte mutations inside the ARC fields of a valid three-set chain: always a result; a
// mutation that changes a signed byte never passes.
TEST_F(Hostile, SeededMutationsOfAValidChain) {
  const std::string base = suiteCase("cv_pass_i3_1").message;
  ASSERT_EQ(check(base).cv, Cv::Pass);
  size_t arcEnd = base.find("\nReceived:");
  ASSERT_NE(arcEnd, std::string::npos);
  std::mt19937 rng(20261204);
  const std::string alphabet = "=;:, \t\nAaZz09+/i-\x80\xff";
  int passes = 0;
  for (int n = 0; n < 1500; ++n) {
    std::string m = base;
    size_t pos = rng() % arcEnd;
    char c = alphabet[rng() % alphabet.size()];
    switch (rng() % 3) {
      case 0: m[pos] = c; break;
      case 1: m.insert(pos, 1, c); break;
      default: m.erase(pos, 1 + rng() % 8); break;
    }
    ChainResult r = check(m);
    if (r.cv == Cv::Pass) ++passes;
    EXPECT_NE(r.cv, Cv::None) << n;
  }
  // Whitespace changes inside relaxed-canonicalized fields may still pass; most mutations must not.
  EXPECT_LT(passes, 300);
}

}  // namespace
}  // namespace am::arc::test
