// tests/arc_seal/sealer_test.cpp — unit tests of am_arc_seal: the RFC 8617 §5.1 decisions (no
// set after a cv=fail seal, the 50-set limit, a chain status that does not match the header),
// what the AS and AMS cover (checked by recomputing the signatures), the header readers
// (instance, cv, Authentication-Results splitting and merging) and errors as values.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "filter/auth/arc_seal/arc_headers.h"
#include "filter/auth/dkim/primitives/tag_list.h"
#include "tests/arc_seal/arc_test_util.h"

namespace am::arctest {
namespace {

using arcseal::Cv;

const char* kPlain =
    "From: Alice <alice@origin.example>\n"
    "To: bob@example.net\n"
    "Subject: hello\n"
    "Date: Fri, 4 Dec 2026 10:00:00 +0000\n"
    "\n"
    "body\n";

struct Fixture : ::testing::Test {
  std::string pem, txt;
  dkim::LoadedKey key = generateKey("rsa", &pem, &txt);
  arcseal::SealKey sk{&key, "example.org", "sel"};
  arcseal::SealOutcome run(const std::string& msg, arcseal::ChainStatus st, const std::string& results = "arc=none") {
    return seal(parseMessage(msg), sk, {}, 1700000000, st, "mx.example.org", results);
  }
  std::string tag(const std::string& value, const std::string& name) {
    auto t = dkim::parseTagList(value);
    const std::string* v = t.get(name);
    return v ? *v : std::string("(absent)");
  }
};

TEST_F(Fixture, FirstSetHasInstanceOneCvNoneAndOurResults) {
  auto out = run(kPlain, {Cv::None, 0}, "arc=none; spf=pass smtp.mailfrom=origin.example");
  ASSERT_TRUE(out.set) << out.reason;
  EXPECT_EQ(out.set->instance, 1u);
  EXPECT_EQ(out.set->aar, "i=1; mx.example.org; arc=none; spf=pass smtp.mailfrom=origin.example");
  EXPECT_EQ(tag(out.set->as, "cv"), "none");
  EXPECT_EQ(tag(out.set->as, "i"), "1");
  EXPECT_EQ(tag(out.set->as, "a"), "rsa-sha256");
  EXPECT_EQ(tag(out.set->as, "d"), "example.org");
  EXPECT_EQ(tag(out.set->as, "s"), "sel");
  EXPECT_EQ(tag(out.set->as, "t"), "1700000000");
  EXPECT_EQ(tag(out.set->ams, "c"), "relaxed/relaxed");
  EXPECT_EQ(tag(out.set->ams, "h"), "from:subject:date:to");
  EXPECT_EQ(out.set->as.find('\r'), std::string::npos);  // LF folding, as milters insert values
  // AS = relaxed AAR, AMS, then itself with b= empty (RFC 8617 §5.1.1).
  EXPECT_TRUE(verifySignature(key, {{"ARC-Authentication-Results", out.set->aar},
                                    {"ARC-Message-Signature", out.set->ams}},
                              "ARC-Seal", out.set->as));
}

TEST_F(Fixture, EmptyResultsAreNone) {
  auto out = run(kPlain, {Cv::None, 0}, "");
  ASSERT_TRUE(out.set) << out.reason;
  EXPECT_EQ(out.set->aar, "i=1; mx.example.org; none");
}

TEST_F(Fixture, Ed25519Key) {
  std::string p, t;
  dkim::LoadedKey ed = generateKey("ed25519", &p, &t);
  auto out = seal(parseMessage(kPlain), {&ed, "example.org", "ed"}, {}, 1700000000, {Cv::None, 0}, "mx", "arc=none");
  ASSERT_TRUE(out.set) << out.reason;
  EXPECT_EQ(tag(out.set->as, "a"), "ed25519-sha256");
  EXPECT_EQ(tag(out.set->ams, "a"), "ed25519-sha256");
  EXPECT_TRUE(verifySignature(ed, {{"ARC-Authentication-Results", out.set->aar},
                                   {"ARC-Message-Signature", out.set->ams}},
                              "ARC-Seal", out.set->as));
}

// A second set: with cv=pass the AS covers set 1 then ours; with cv=fail only ours (§5.1.2).
TEST_F(Fixture, SecondSetCoversTheChainUnlessItFailed) {
  auto first = run(kPlain, {Cv::None, 0});
  ASSERT_TRUE(first.set) << first.reason;
  RawMessage m = parseMessage(assemble(parseMessage(kPlain), setFields(*first.set)));
  std::string hop1 = assemble(m);
  std::vector<std::pair<std::string, std::string>> set1 = {{"ARC-Authentication-Results", first.set->aar},
                                                           {"ARC-Message-Signature", first.set->ams},
                                                           {"ARC-Seal", first.set->as}};
  auto pass = run(hop1, {Cv::Pass, 1}, "arc=pass");
  ASSERT_TRUE(pass.set) << pass.reason;
  EXPECT_EQ(pass.set->instance, 2u);
  EXPECT_EQ(tag(pass.set->as, "cv"), "pass");
  auto all = set1;
  all.push_back({"ARC-Authentication-Results", pass.set->aar});
  all.push_back({"ARC-Message-Signature", pass.set->ams});
  EXPECT_TRUE(verifySignature(key, all, "ARC-Seal", pass.set->as));

  auto fail = run(hop1, {Cv::Fail, 1}, "arc=fail");
  ASSERT_TRUE(fail.set) << fail.reason;
  EXPECT_EQ(tag(fail.set->as, "cv"), "fail");
  EXPECT_TRUE(verifySignature(key, {{"ARC-Authentication-Results", fail.set->aar},
                                    {"ARC-Message-Signature", fail.set->ams}},
                              "ARC-Seal", fail.set->as));
  auto withChain = set1;
  withChain.push_back({"ARC-Authentication-Results", fail.set->aar});
  withChain.push_back({"ARC-Message-Signature", fail.set->ams});
  EXPECT_FALSE(verifySignature(key, withChain, "ARC-Seal", fail.set->as));
}

TEST_F(Fixture, NoSetAfterASealThatSaysFail) {
  std::string msg = std::string("ARC-Seal: i=1; a=rsa-sha256; cv=fail; d=x.example; s=s; t=1; b=AAAA\n") +
                    "ARC-Message-Signature: i=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=AAAA; b=AAAA\n" +
                    "ARC-Authentication-Results: i=1; x.example; arc=fail\n" + kPlain;
  for (Cv cv : {Cv::Fail, Cv::Pass}) {
    auto out = run(msg, {cv, 1});
    EXPECT_FALSE(out.set);
    EXPECT_NE(out.reason.find("cv=fail"), std::string::npos) << out.reason;
  }
}

TEST_F(Fixture, NoSetPastFiftyInstances) {
  std::string msg = std::string("ARC-Seal: i=50; a=rsa-sha256; cv=pass; d=x.example; s=s; t=1; b=AAAA\n") + kPlain;
  auto out = run(msg, {Cv::Fail, 50});
  EXPECT_FALSE(out.set);
  EXPECT_NE(out.reason.find("50"), std::string::npos) << out.reason;
  auto huge = run(std::string("ARC-Seal: i=999999999; cv=pass; b=A\n") + kPlain, {Cv::Fail, 0});
  EXPECT_FALSE(huge.set);
}

TEST_F(Fixture, ChainStatusMustMatchTheHeader) {
  auto noChain = run(kPlain, {Cv::Pass, 1});  // verifier said pass, but there is no set
  EXPECT_FALSE(noChain.set);
  EXPECT_NE(noChain.reason.find("does not match"), std::string::npos) << noChain.reason;
  // A "pass" chain with a set missing its AMS cannot be sealed as pass...
  std::string partial = std::string("ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.example; s=s; t=1; b=AAAA\n") +
                        "ARC-Authentication-Results: i=1; x.example; arc=none\n" + kPlain;
  auto broken = run(partial, {Cv::Pass, 1});
  EXPECT_FALSE(broken.set);
  EXPECT_NE(broken.reason.find("incomplete"), std::string::npos) << broken.reason;
  // ...but as fail it is sealed, with instance 2, over our set only.
  auto failed = run(partial, {Cv::Fail, 1});
  ASSERT_TRUE(failed.set) << failed.reason;
  EXPECT_EQ(failed.set->instance, 2u);
}

TEST_F(Fixture, HostileArcHeadersGiveResultsNotCrashes) {
  std::string big(5000, 'A');
  std::string msg = "ARC-Seal: i=0; cv=pass; b=" + big + "\n" + "ARC-Seal: cv=pass; i=1; i=2\n" +
                    "ARC-Authentication-Results: i=; " + std::string(700, 'x') + "\n" +
                    "ARC-Message-Signature: \xff\xfe garbage\n" + kPlain;
  auto out = run(msg, {Cv::Fail, 2});
  ASSERT_TRUE(out.set) << out.reason;
  EXPECT_EQ(out.set->instance, 3u);
}

TEST_F(Fixture, NoFromNoSet) {
  auto out = run("To: bob@example.net\nSubject: x\n\nbody\n", {Cv::None, 0});
  EXPECT_FALSE(out.set);
  EXPECT_NE(out.reason.find("From"), std::string::npos);
}

TEST_F(Fixture, AuthenticationResultsAndArcFieldsAreNeverInTheAms) {
  arcseal::SealOptions o;
  o.signHeaders = {"From", "Authentication-Results", "ARC-Seal", "ARC-Message-Signature", "Subject"};
  std::string msg = std::string("Authentication-Results: mx; spf=pass\n") + kPlain;
  auto out = seal(parseMessage(msg), sk, o, 1, {Cv::None, 0}, "mx", "arc=none");
  ASSERT_TRUE(out.set) << out.reason;
  EXPECT_EQ(tag(out.set->ams, "h"), "from:subject");
}

TEST_F(Fixture, FinishTwiceIsAnError) {
  FixedClock clock(1);
  arcseal::Sealing s(sk, {}, clock);
  s.header("From", " a@b.example");
  EXPECT_TRUE(s.finish({Cv::None, 0}, "mx", "arc=none").set);
  auto again = s.finish({Cv::None, 0}, "mx", "arc=none");
  EXPECT_FALSE(again.set);
  EXPECT_FALSE(again.reason.empty());
}

TEST(ArcHeaders, Instance) {
  using arcseal::ArcKind;
  EXPECT_EQ(arcseal::arcInstance(ArcKind::Seal, " i=3; a=rsa-sha256; cv=pass"), 3u);
  EXPECT_EQ(arcseal::arcInstance(ArcKind::MessageSignature, " a=x;\n\ti=12; b=y"), 12u);
  EXPECT_EQ(arcseal::arcInstance(ArcKind::AuthResults, " i=7; mx.example; spf=pass"), 7u);
  EXPECT_EQ(arcseal::arcInstance(ArcKind::AuthResults, " mx.example; i=7"), std::nullopt);
  EXPECT_EQ(arcseal::arcInstance(ArcKind::Seal, " i=x"), std::nullopt);
  EXPECT_EQ(arcseal::arcInstance(ArcKind::Seal, " i=1234567890"), std::nullopt);
  EXPECT_EQ(arcseal::arcInstance(ArcKind::Seal, " cv=pass"), std::nullopt);
  EXPECT_EQ(arcseal::arcKind("arc-seal"), ArcKind::Seal);
  EXPECT_EQ(arcseal::arcKind("ARC-Authentication-Results"), ArcKind::AuthResults);
  EXPECT_EQ(arcseal::arcKind("DKIM-Signature"), std::nullopt);
  EXPECT_EQ(arcseal::sealCv(" i=1; cv=FAIL; b=x"), "fail");
  EXPECT_EQ(arcseal::sealCv(" i=1; b=x"), "");
}

TEST(ArcHeaders, SplitAndMergeAuthenticationResults) {
  auto p = arcseal::splitAuthResults(" (comment) mx.example 1; spf=pass smtp.mailfrom=a.example;\n\tdkim=none;");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->authservId, "mx.example");
  EXPECT_EQ(p->results, "spf=pass smtp.mailfrom=a.example;\n\tdkim=none");
  auto none = arcseal::splitAuthResults(" mx.example; none");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->results, "none");
  EXPECT_FALSE(arcseal::splitAuthResults(" ; spf=pass"));
  EXPECT_EQ(arcseal::mergeAuthResults({" mx.example; arc=none", " other.example; spf=fail", " MX.example; spf=pass;",
                                       " mx.example; none"},
                                      "mx.example"),
            "arc=none; spf=pass");
}

}  // namespace
}  // namespace am::arctest
