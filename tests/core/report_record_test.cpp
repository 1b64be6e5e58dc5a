// tests/core/report_record_test.cpp — the report record consumer: which outcomes become records
// and what they hold (pure, on hand-built outcomes), and the whole path Session → Recorder →
// SQLite store with a ReportStore configured (pass, reject, quarantine, sampled out, no record).
#include <gtest/gtest.h>

#include <fstream>

#include "filter/core/consumers.h"
#include "filter/core/session.h"
#include "tests/core/core_fixture.h"

using namespace am;
using namespace am::core;

namespace {

MessageOutcome evaluated(policy::DmarcResult result, Action action) {
  MessageOutcome o;
  o.client.addr = IpAddress::parse("198.51.100.7");
  o.client.helo = "mail.evil.example";
  o.mailFrom = "x@Evil.Example";
  o.rcpts = {"<a@mx.test>", "<b@other.test>"};
  o.evaluated = true;
  o.spfMailFrom.checked = true;
  o.spfMailFrom.result = SpfResult::Fail;
  o.spfMailFrom.domain = "evil.example";
  o.dkim.push_back({DkimResult::Fail, "bank.example", "@bank.example", "s1", "rsa-sha256", "", 2048, "body hash mismatch"});
  policy::DmarcOutput d;
  d.result = result;
  d.fromDomain = "www.bank.example";
  d.policyDomain = "bank.example";
  d.alignedSpf = false;
  d.alignedDkim = result == policy::DmarcResult::Pass;
  d.record = policy::parseRecord("v=DMARC1; p=reject; sp=quarantine; adkim=s; fo=1; rua=mailto:d@bank.example");
  o.dmarc = d;
  o.disposition.action = action;
  return o;
}

}  // namespace

TEST(ReportRecord, HoldsIdentitiesPolicyAndResults) {
  auto r = reportRecord(evaluated(policy::DmarcResult::Fail, Action::Reject), 1700000000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time, 1700000000);
  EXPECT_EQ(r->reportDomain, "bank.example");
  EXPECT_EQ(r->sourceIp, "198.51.100.7");
  EXPECT_EQ(r->headerFrom, "www.bank.example");
  EXPECT_EQ(r->envelopeFrom, "evil.example");
  EXPECT_EQ(r->envelopeTo, "mx.test");
  EXPECT_EQ(r->published.p, "reject");
  EXPECT_EQ(r->published.sp, "quarantine");
  EXPECT_EQ(r->published.np, "");
  EXPECT_EQ(r->published.adkim, "s");
  EXPECT_EQ(r->published.aspf, "r");
  EXPECT_EQ(r->published.fo, "1");
  EXPECT_EQ(r->published.discovery, "treewalk");
  EXPECT_EQ(r->published.rua, std::vector<std::string>{"mailto:d@bank.example"});
  EXPECT_EQ(r->dmarcResult, "fail");
  EXPECT_EQ(r->disposition, "reject");
  EXPECT_EQ(r->dkimAligned, "fail");
  EXPECT_EQ(r->spfAligned, "fail");
  EXPECT_EQ(r->overrideReason, "");
  ASSERT_EQ(r->dkim.size(), 1u);
  EXPECT_EQ(r->dkim[0], (reports::DkimAuth{"bank.example", "s1", "fail"}));
  EXPECT_EQ(r->spfDomain, "evil.example");
  EXPECT_EQ(r->spfScope, "mfrom");
  EXPECT_EQ(r->spfResult, "fail");
}

TEST(ReportRecord, QuarantineAndOverridesAreKept) {
  auto o = evaluated(policy::DmarcResult::Fail, Action::Quarantine);
  auto r = reportRecord(o, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->disposition, "quarantine");
  o = evaluated(policy::DmarcResult::Fail, Action::Accept);
  o.disposition.override = policy::Override::SampledOut;
  r = reportRecord(o, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->disposition, "none");
  EXPECT_EQ(r->overrideReason, "sampled_out");
  o.disposition.override = policy::Override::TrustedForwarder;
  EXPECT_EQ(reportRecord(o, 1)->overrideReason, "trusted_forwarder");
}

TEST(ReportRecord, NoRecordWhenThereIsNobodyToReportToOrNoFinalVerdict) {
  auto o = evaluated(policy::DmarcResult::None, Action::Accept);
  o.dmarc->record.reset();
  o.dmarc->policyDomain.clear();
  EXPECT_FALSE(reportRecord(o, 1));  // no DMARC record
  EXPECT_FALSE(reportRecord(evaluated(policy::DmarcResult::TempError, Action::TempFail), 1));
  EXPECT_FALSE(reportRecord(evaluated(policy::DmarcResult::PermError, Action::Accept), 1));
  EXPECT_FALSE(reportRecord(evaluated(policy::DmarcResult::Pass, Action::TempFail), 1));
  o = evaluated(policy::DmarcResult::Pass, Action::Accept);
  o.evaluated = false;  // outgoing mail we sign
  EXPECT_FALSE(reportRecord(o, 1));
  o = evaluated(policy::DmarcResult::Pass, Action::Accept);
  o.client.addr.reset();
  EXPECT_FALSE(reportRecord(o, 1));
}

TEST(ReportRecord, UncheckedSpfIsReportedAsNoneForTheEnvelopeDomain) {
  auto o = evaluated(policy::DmarcResult::Pass, Action::Accept);
  o.spfMailFrom = SpfOutput{};
  auto r = reportRecord(o, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->spfResult, "none");
  EXPECT_EQ(r->spfDomain, "evil.example");
}

namespace {

struct Recording : am::core::test::CoreFixture {
  void start() {
    std::ofstream(dir + "/policy") << "pct honor\n";
    startEngine(config::parseText("AuthservID mx.test\nSyslog no\nPolicyFile " + dir + "/policy\nReportStore sqlite:" + dir +
                                      "/reports.db\n",
                                  "test.conf"));
  }
  Verdict run(const std::string& client, const std::string& from) {
    Session s(*engine);
    s.setMacro("i", "QID1");
    s.connect("client.test", IpAddress::parse(client));
    s.helo("mail.evil.example");
    s.mailFrom("<x@evil.example>");
    s.rcpt("<rcpt@mx.test>");
    s.header("From", " " + from);
    s.header("Subject", " hello");
    s.endOfHeaders();
    s.body("hi\r\n");
    return s.endOfMessage();
  }
};

}  // namespace

TEST_F(Recording, EveryEvaluatedMessageWithAPolicyIsStoredAggregated) {
  start();
  dns->addTxt("evil.example", "v=spf1 ip4:198.51.100.0/24 -all");
  dns->addTxt("_dmarc.evil.example", "v=DMARC1; p=reject; rua=mailto:d@evil.example");
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject; rua=mailto:d@bank.example");
  dns->addTxt("_dmarc.shop.example", "v=DMARC1; p=quarantine; rua=mailto:d@shop.example");
  EXPECT_EQ(run("198.51.100.7", "a@evil.example").action, Action::Accept);  // SPF aligned: pass
  EXPECT_EQ(run("198.51.100.7", "b@evil.example").action, Action::Accept);
  EXPECT_EQ(run("198.51.100.7", "ceo@bank.example").action, Action::Reject);
  EXPECT_TRUE(run("198.51.100.8", "news@shop.example").quarantine);
  EXPECT_EQ(run("198.51.100.8", "x@nodmarc.example").action, Action::Accept);  // no record: not stored
  ASSERT_TRUE(engine->recorder());
  ASSERT_TRUE(engine->recorder()->drain(std::chrono::seconds(30)));
  EXPECT_EQ(engine->recorder()->stats().written, 4u);
  std::string err;
  auto store = reports::openStore("sqlite:" + dir + "/reports.db", &err);
  ASSERT_TRUE(store) << err;
  std::vector<reports::AggregateRow> rows;
  ASSERT_EQ(store->rows(0, 2000000000, rows), "");
  std::map<std::string, std::pair<std::string, uint64_t>> byDomain;
  for (auto& r : rows) byDomain[r.key.reportDomain] = {r.key.disposition, r.count};
  EXPECT_EQ(byDomain["evil.example"], (std::pair<std::string, uint64_t>{"none", 2}));
  EXPECT_EQ(byDomain["bank.example"], (std::pair<std::string, uint64_t>{"reject", 1}));
  EXPECT_EQ(byDomain["shop.example"], (std::pair<std::string, uint64_t>{"quarantine", 1}));
  EXPECT_EQ(rows.size(), 3u);
  for (auto& r : rows) EXPECT_EQ(r.key.hour, reports::hourOf(clock.unixSeconds()));
}

TEST_F(Recording, AStoreThatCannotBeOpenedNeverChangesAVerdict) {
  std::ofstream(dir + "/policy") << "";
  startEngine(config::parseText("AuthservID mx.test\nSyslog no\nPolicyFile " + dir +
                                    "/policy\nReportStore sqlite:/nonexistent/dir/reports.db\n",
                                "test.conf"));
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject; rua=mailto:d@bank.example");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run("198.51.100.7", "ceo@bank.example").action, Action::Reject);
  ASSERT_TRUE(engine->recorder()->drain(std::chrono::seconds(30)));
  auto s = engine->recorder()->stats();
  EXPECT_EQ(s.written, 0u);
  EXPECT_EQ(s.droppedStore, 3u);
}

TEST(ReportConfig, ABadReportStoreIsAnErrorAtItsLine) {
  auto cfg = config::parseText("Syslog no\n\nReportStore mysql://x\n", "r.conf");
  ASSERT_TRUE(cfg.config);
  auto dns = std::make_unique<InMemoryResolver>();
  std::vector<std::string> errors;
  EXPECT_FALSE(buildSnapshot(cfg.config, *dns, SystemClock::instance(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("r.conf:3: ReportStore: ", 0), 0u) << errors[0];
  auto bad = config::parseText("ReportRetention 0\nReportQueueSize 1\n", "r.conf");
  ASSERT_EQ(bad.errors.size(), 2u);
  EXPECT_EQ(bad.errors[0].rfind("r.conf:1: ReportRetention", 0), 0u) << bad.errors[0];
  EXPECT_EQ(bad.errors[1].rfind("r.conf:2: ReportQueueSize", 0), 0u) << bad.errors[1];
}
