// tests/core/outcome_test.cpp — the consumers of a MessageOutcome (AR header, Received-SPF, log
// line, Verdict) as pure functions of a hand-built outcome, and the forged-AR index rule.
#include <gtest/gtest.h>

#include "filter/authres/authres.h"
#include "filter/core/consumers.h"
#include "filter/core/options.h"

using namespace am;
using namespace am::core;

namespace {

MessageOutcome failing() {
  MessageOutcome o;
  o.client.addr = IpAddress::parse("198.51.100.7");
  o.client.hostname = "evil.example";
  o.client.helo = "evil.example";
  o.queueId = "Q1";
  o.mailFrom = "x@evil.example";
  o.evaluated = true;
  o.from.status = policy::FromResult::Status::Ok;
  o.from.domain = "example.com";
  o.spfMailFrom.checked = true;
  o.spfMailFrom.result = SpfResult::Fail;
  o.spfMailFrom.domain = "evil.example";
  policy::DmarcOutput d;
  d.result = policy::DmarcResult::Fail;
  d.policy = policy::Policy::Reject;
  d.subdomainPolicy = policy::Policy::None;
  d.appliedPolicy = policy::Policy::Reject;
  d.disposition = policy::Policy::Reject;
  d.fromDomain = "example.com";
  d.record = policy::DmarcRecord{};
  o.dmarc = d;
  o.disposition.action = policy::Action::Reject;
  o.disposition.smtpCode = "550";
  o.disposition.dsn = "5.7.1";
  o.disposition.text = "rejected by DMARC policy for example.com (p=reject)";
  o.disposition.logReason = "dmarc=fail p=reject dis=reject";
  return o;
}

TEST(Outcome, AuthResultsHeaderCarriesTheDmarcEvaluation) {
  std::string ar = authResultsHeader(failing(), "mx.test");
  for (size_t i; (i = ar.find("\n\t")) != std::string::npos;) ar.replace(i, 2, " ");  // unfold
  EXPECT_NE(ar.find("dmarc=fail (p=reject sp=none dis=reject) header.from=example.com"), std::string::npos) << ar;
  EXPECT_NE(ar.find("spf=fail smtp.mailfrom=evil.example"), std::string::npos) << ar;
  auto parsed = authres::parse(ar, nullptr);
  ASSERT_TRUE(parsed) << ar;
  EXPECT_EQ(parsed->authservId, "mx.test");
}

// How the message arrived: a comment after the authserv-id (no registered AR property exists for
// it); none without TLS, since a missing macro must not read as "no TLS".
TEST(Outcome, AuthResultsHeaderRecordsTheTransport) {
  MessageOutcome o = failing();
  EXPECT_EQ(authResultsHeader(o, "mx.test").rfind("mx.test;", 0), 0u);
  o.client.tlsVersion = "TLSv1.3";
  o.client.tlsCipher = "TLS_AES_256_GCM_SHA384";
  o.client.tlsBits = "256";
  std::string ar = authResultsHeader(o, "mx.test");
  for (size_t i; (i = ar.find("\n\t")) != std::string::npos;) ar.replace(i, 2, " ");  // unfold
  EXPECT_EQ(ar.rfind("mx.test (tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256);", 0), 0u) << ar;
  auto parsed = authres::parse(ar, nullptr);
  ASSERT_TRUE(parsed) << ar;
  EXPECT_EQ(parsed->authservId, "mx.test");
  EXPECT_EQ(parsed->results.size(), 4u) << ar;  // spf, dkim, dmarc, arc=none: the comment is no result
  std::string l = logLine(o);
  EXPECT_NE(l.find(" tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 cipher_bits=256 "), std::string::npos) << l;
}

TEST(Outcome, AnUnsafeFromDomainNeverBecomesAnotherResult) {
  MessageOutcome o = failing();
  o.dmarc->fromDomain = "evil.example; dkim=pass";
  std::string ar = authResultsHeader(o, "mx.test");
  auto parsed = authres::parse(ar, nullptr);
  ASSERT_TRUE(parsed) << ar;
  for (auto& r : parsed->results) EXPECT_NE(r.result, "pass") << ar;
}

TEST(Outcome, VerdictFollowsTheDisposition) {
  MessageOutcome o = failing();
  o.forgedAr = {3, 1};
  Verdict v = verdictFor(o, config::Config{});
  EXPECT_EQ(v.action, Action::Reject);
  EXPECT_EQ(v.rcode, "550");
  EXPECT_EQ(v.xcode, "5.7.1");
  ASSERT_GE(v.edits.size(), 3u);
  EXPECT_EQ(v.edits[0].kind, HeaderEdit::Kind::Change);
  EXPECT_EQ(v.edits[0].index, 3);
  EXPECT_EQ(v.edits[1].index, 1);
  EXPECT_EQ(v.edits[2].name, "Authentication-Results");

  o.disposition = {};
  o.disposition.action = policy::Action::Quarantine;
  o.disposition.quarantineReason = "DMARC policy for example.com (p=quarantine): quarantine";
  v = verdictFor(o, config::Config{});
  EXPECT_EQ(v.action, Action::Accept);
  ASSERT_TRUE(v.quarantine);
  EXPECT_EQ(*v.quarantine, o.disposition.quarantineReason);
}

TEST(Outcome, ReceivedSpfOnlyWhenAskedFor) {
  MessageOutcome o = failing();
  config::Config cfg;
  cfg.authservId = "mx.test";
  EXPECT_FALSE(receivedSpfHeader(o, cfg));
  cfg.addReceivedSpf = true;
  auto r = receivedSpfHeader(o, cfg);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rfind("fail", 0), 0u) << *r;
  o.spfMailFrom.checked = false;
  EXPECT_FALSE(receivedSpfHeader(o, cfg));
}

TEST(Outcome, LogLineNamesActionOverrideAndReason) {
  MessageOutcome o = failing();
  o.disposition.override = policy::Override::LocalPolicy;
  std::string l = logLine(o);
  EXPECT_NE(l.find("qid=Q1 client=198.51.100.7[evil.example] helo=evil.example mailfrom=x@evil.example"), std::string::npos) << l;
  EXPECT_NE(l.find(" dmarc=fail policy=reject action=reject override=local_policy reason="), std::string::npos) << l;
}

TEST(Outcome, LogLineNamesTheRequireTlsRule) {
  MessageOutcome o = failing();
  o.disposition.override = policy::Override::RequireTls;
  o.disposition.dsn = "5.7.10";
  o.disposition.logReason = "require-tls example.com (policy line 3): no TLS";
  std::string l = logLine(o);
  EXPECT_NE(l.find(" action=reject override=require_tls reason=\"require-tls example.com (policy line 3): no TLS\""),
            std::string::npos) << l;
}

TEST(Outcome, DebugLineExplainsTheVerdict) {
  MessageOutcome o = failing();
  o.spfMailFrom.reason = "mechanism -all matched";
  DkimOutput d;
  d.result = DkimResult::Fail;
  d.domain = "example.com";
  d.selector = "s1";
  d.algorithm = "rsa-sha256";
  d.reason = "body hash mismatch";
  d.headerHashBytes = 312;
  d.bodyHashBytes = 1024;
  o.dkim.push_back(d);
  o.dmarc->record->tags = {{"v", "DMARC1"}, {"p", "reject"}};
  o.dmarc->policyDomain = "example.com";
  o.dmarc->orgDomain = "example.com";
  std::string l = debugLine(o);
  EXPECT_NE(l.find("qid=Q1 debug=outcome spf.reason=\"mechanism -all matched\""), std::string::npos) << l;
  EXPECT_NE(l.find("dkim.1=\"d=example.com s=s1 a=rsa-sha256 result=fail header-hash-input=312 body-hashed=1024 "
                   "reason=body hash mismatch\""), std::string::npos) << l;
  EXPECT_NE(l.find("dmarc.record=\"p=reject; v=DMARC1\" dmarc.policy_domain=example.com"), std::string::npos) << l;
  EXPECT_NE(l.find("rule=\"dmarc=fail p=reject dis=reject\""), std::string::npos) << l;
}

TEST(Outcome, ForgedAuthResultsIndexesHighestFirst) {
  std::vector<std::pair<std::string, std::string>> h{
      {"Authentication-Results", "mx.test; spf=pass"},
      {"Subject", "x"},
      {"authentication-results", "other.example; dkim=pass"},
      {"Authentication-Results", "(\\) mx.test; dkim=pass"},
  };
  EXPECT_EQ(forgedAuthResults(h, "mx.test"), (std::vector<int>{3, 1}));
  EXPECT_TRUE(forgedAuthResults(h, "nobody.test").empty());
}

}  // namespace

// The one config→option mapping (filter/core/options.cpp) also gives the milter front ends theirs.
TEST(Options, MilterSettingsComeFromTheConfig) {
  auto cfg = am::config::parseText(
      "Socket unix:/run/x/m.sock\nUMask 027\nMilterServer libmilter\nMaxConnections 300\nMilterTimeout 45\nMaxWorkers 9\n",
      "t.conf");
  ASSERT_TRUE(cfg.config) << cfg.errors[0];
  auto m = am::core::milterSettings(*cfg.config);
  EXPECT_EQ(m.socket, "unix:/run/x/m.sock");
  EXPECT_EQ(m.umask, 027u);
  EXPECT_TRUE(m.libmilter);
  EXPECT_EQ(m.maxConnections, 300u);
  EXPECT_EQ(m.timeout, std::chrono::seconds(45));
  EXPECT_EQ(m.maxWorkers, 9u);
}
