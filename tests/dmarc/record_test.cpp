// tests/dmarc/record_test.cpp — DMARC record parser edge cases beyond the external suites:
// RFC 9989 tags, hostile input (huge records, duplicates, junk), authres text.
#include <random>

#include <gtest/gtest.h>

#include "tests/support/memorydns/memory_resolver.h"
#include "policy/dmarc.h"
#include "policy/dmarc_dns.h"
#include "tests/dmarc/test_util.h"

using namespace am::policy;

namespace {

TEST(DmarcRecord, Rfc9989Tags) {
  auto r = parseRecord("v=DMARC1; p=quarantine; sp=none; np=reject; psd=n; t=y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, Policy::Quarantine);
  EXPECT_EQ(r->sp, Policy::None);
  EXPECT_EQ(r->np, Policy::Reject);
  EXPECT_EQ(r->psd, PsdFlag::No);
  EXPECT_TRUE(r->testing);
  EXPECT_TRUE(r->invalidTags.empty());
}

TEST(DmarcRecord, PsdValues) {
  EXPECT_EQ(parseRecord("v=DMARC1; psd=y")->psd, PsdFlag::Yes);
  EXPECT_EQ(parseRecord("v=DMARC1; psd=u")->psd, PsdFlag::Unspecified);
  EXPECT_TRUE(parseRecord("v=DMARC1; psd=maybe")->invalid("psd"));
  EXPECT_TRUE(parseRecord("v=DMARC1; t=perhaps")->invalid("t"));
}

TEST(DmarcRecord, NotDmarc) {
  std::string err;
  EXPECT_FALSE(parseRecord("v=spf1 -all", &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(parseRecord("p=reject; v=DMARC1"));  // v must come first
  EXPECT_FALSE(parseRecord("   "));
  EXPECT_FALSE(parseRecord(";;;"));
}

TEST(DmarcRecord, InvalidValueReportedWithError) {
  std::string err;
  auto r = parseRecord("v=DMARC1; p=reject; pct=1000", &err);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->invalid("pct"));
  EXPECT_EQ(r->pct, 100u);
  EXPECT_NE(err.find("pct"), std::string::npos);
}

TEST(DmarcRecord, DuplicateTagFirstWins) {
  auto r = parseRecord("v=DMARC1; p=reject; p=none; rua=mailto:a@x.example; rua=mailto:b@x.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, Policy::Reject);
  ASSERT_EQ(r->rua.size(), 1u);
  EXPECT_EQ(r->rua[0], "mailto:a@x.example");
  EXPECT_FALSE(r->warnings.empty());
}

TEST(DmarcRecord, TenKilobyteRecord) {
  std::string big = "v=DMARC1; p=reject; rua=" ;
  for (int i = 0; i < 400; ++i) big += "mailto:r" + std::to_string(i) + "@example.com,";
  big += "; junk=" + std::string(4000, 'z');
  ASSERT_GT(big.size(), 10000u);
  auto r = parseRecord(big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, Policy::Reject);
  EXPECT_EQ(r->rua.size(), 400u);
}

TEST(DmarcRecord, BinaryGarbageDoesNotCrash) {
  std::string g = "v=DMARC1;";
  for (int i = 0; i < 2048; ++i) g += static_cast<char>((i * 37) & 0xff);
  auto r = parseRecord(g);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, Policy::Unspecified);
}

TEST(DmarcRecord, UsableRules7489) {
  EXPECT_TRUE(parseRecord("v=DMARC1; p=none")->usable7489());
  EXPECT_FALSE(parseRecord("v=DMARC1; p=reject; sp=bogus")->usable7489());
  EXPECT_TRUE(parseRecord("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@b.example")->usable7489());
  EXPECT_FALSE(parseRecord("v=DMARC1; pct=100")->usable7489());
}

TEST(DmarcTreeWalk, TargetsAreBoundedToEight) {
  auto t = detail::walkTargets("a.b.c.d.e.f.g.h.i.j.example.com");
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t[0], "a.b.c.d.e.f.g.h.i.j.example.com");
  EXPECT_EQ(t[1], "f.g.h.i.j.example.com");
  EXPECT_EQ(t[7], "com");
  EXPECT_EQ(detail::walkTargets("example.com").size(), 2u);
  EXPECT_TRUE(detail::walkTargets("").empty());
}

TEST(DmarcTreeWalk, NoRecordCostsEightQueries) {
  am::InMemoryResolver dns;
  am::testing::FixedRng rng(0);
  am::SpfOutput spf;
  auto out = evaluate("a.b.c.d.e.f.g.h.i.j.example.com", spf, {}, dns, nullptr, {}, rng);
  EXPECT_EQ(out.result, DmarcResult::None);
  EXPECT_EQ(out.dnsQueries, 8u);
  EXPECT_EQ(dns.queries(), 8u);
  EXPECT_EQ(rng.calls, 0u);
}

TEST(DmarcEvaluate, Rfc7489WithoutPslIsPermError) {
  am::InMemoryResolver dns;
  am::testing::FixedRng rng(0);
  auto out = evaluate("example.com", {}, {}, dns, nullptr, {DmarcMode::Rfc7489, true}, rng);
  EXPECT_EQ(out.result, DmarcResult::PermError);
}

TEST(MiniFuzz, RecordParserInvariants) {
  std::mt19937 g(7489);
  const std::string alphabet = "v=DMARC1;psnt: ,!rejctquaoi0189yfdmlt\\\"=";
  std::uniform_int_distribution<size_t> len(0, 60), pick(0, alphabet.size() - 1);
  for (int i = 0; i < 2000; ++i) {
    std::string s = i % 2 ? "v=DMARC1;" : "";
    for (size_t n = len(g); n > 0; --n) s += alphabet[pick(g)];
    auto r = parseRecord(s);
    if (!r) continue;
    ASSERT_LE(r->pct, 100u);
    ASSERT_EQ(r->pInvalid, r->tags.count("p") == 1 && r->p == Policy::Unspecified) << s;
  }
}

}  // namespace
