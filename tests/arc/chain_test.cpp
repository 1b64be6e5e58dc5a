// tests/arc/chain_test.cpp — what the ChainResult says beyond cv (chain.h): the newest instance,
// oldest-pass, the sealer and its AAR, per-set details; that key lookups are shared within a
// message; and that a message without ARC fields costs no lookup.
#include <gtest/gtest.h>

#include "tests/arc/arc_test_util.h"
#include "test_util.h"

namespace am::arc::test {
namespace {

ChainResult run(const std::string& id, InMemoryResolver* dnsOut = nullptr) {
  InMemoryResolver local;
  auto v = verifierWithKeysOf(id, dnsOut ? *dnsOut : local);
  return verifyMessage(*v, suiteCase(id).message);
}

TEST(ArcChain, ThreeSetsPass) {
  InMemoryResolver dns;
  ChainResult r = run("cv_pass_i3_1", &dns);
  EXPECT_EQ(r.cv, Cv::Pass);
  EXPECT_EQ(r.lastInstance, 3);
  EXPECT_EQ(r.oldestPass, 0);  // every AMS verifies
  EXPECT_EQ(r.sealer, "example.org");
  EXPECT_EQ(r.aarAuthservId, "lists.example.org");
  ASSERT_FALSE(r.aarResults.empty());
  ASSERT_EQ(r.sets.size(), 3u);
  for (const SetDetail& d : r.sets) {
    EXPECT_EQ(d.seal, "pass") << d.instance;
    EXPECT_EQ(d.ams, "pass") << d.instance;
  }
  EXPECT_EQ(dns.queries(), 1u);  // one key for all six signatures
}

TEST(ArcChain, OldestPassWhenAnOlderAmsBroke) {
  ChainResult r = run("cv_pass_i2_1_ams1_invalid");
  EXPECT_EQ(r.cv, Cv::Pass);
  EXPECT_EQ(r.lastInstance, 2);
  EXPECT_EQ(r.oldestPass, 2);
  ASSERT_EQ(r.sets.size(), 2u);
  EXPECT_EQ(r.sets[0].ams, "fail");
  EXPECT_EQ(r.sets[1].ams, "pass");
}

TEST(ArcChain, FailureSaysWhy) {
  ChainResult r = run("cv_fail_i2_as2_none");
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("cv=none"), std::string::npos) << r.reason;
  EXPECT_TRUE(r.sealer.empty());
  EXPECT_TRUE(r.aarResults.empty());
  r = run("ams_fields_bh_mod_body");
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("body hash"), std::string::npos) << r.reason;
}

TEST(ArcChain, NoArcFieldsNoLookups) {
  InMemoryResolver dns;
  auto v = Verifier::create(dns, {}, nullptr);
  ChainResult r = verifyMessage(*v, "From: a@example.org\nSubject: x\n\nbody\n");
  EXPECT_EQ(r.cv, Cv::None);
  EXPECT_EQ(r.lastInstance, 0);
  EXPECT_EQ(dns.queries(), 0u);
}

TEST(ArcChain, FinishIsIdempotent) {
  const SuiteCase& c = suiteCase("cv_pass_i1_1");
  InMemoryResolver dns;
  auto v = verifierWithKeysOf(c.id, dns);
  dkim::test::Message m = dkim::test::parseMessage(c.message);
  auto ver = v->startVerify();
  for (auto& [n, val] : m.headers) ver->header(n, val);
  ver->body(dkim::test::toCrlf(m.body));  // end of headers implied
  ChainResult a = ver->finish(), b = ver->finish();
  EXPECT_EQ(a.cv, Cv::Pass);
  EXPECT_EQ(b.cv, Cv::Pass);
}

TEST(ArcChain, TempFailingKeyFails) {
  const SuiteCase& c = suiteCase("cv_pass_i1_1");
  InMemoryResolver dns;
  dns.setStatus("dummy._domainkey.example.org", RrType::TXT, DnsStatus::TempFail);
  auto v = Verifier::create(dns, {}, nullptr);
  ChainResult r = verifyMessage(*v, c.message);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("temporarily"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace am::arc::test
