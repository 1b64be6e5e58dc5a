// tests/core/failure_input_test.cpp — the failure-report consumer (filter/core/failure_input.h) on
// hand-built outcomes: which messages get a report (fo=, p=none and FailureReportsOnNone, no ruf),
// what the FailureInput holds (envelope, our AR value, headers, the body only with
// FailureReportsContent body, Delivery-Result per verdict), and the job settings a configuration
// gives (failureJobTemplate: FailureReportsSentBy or ReportingEmail, bcc, rate, transport).
#include <gtest/gtest.h>

#include "filter/core/failure_input.h"
#include "filter/core/options.h"

using namespace am;
using namespace am::core;

namespace {

MessageOutcome failing(const std::string& record, Action action) {
  MessageOutcome o;
  o.client.addr = IpAddress::parse("198.51.100.7");
  o.queueId = "Q1";
  o.mailFrom = "x@evil.example";
  o.rcpts = {"a@mx.test"};
  o.evaluated = true;
  o.spfMailFrom.checked = true;
  o.spfMailFrom.result = SpfResult::Fail;
  o.spfMailFrom.domain = "evil.example";
  policy::DmarcOutput d;
  d.result = policy::DmarcResult::Fail;
  d.fromDomain = "bank.example";
  d.policyDomain = "bank.example";
  d.record = policy::parseRecord(record);
  o.dmarc = d;
  o.disposition.action = action;
  return o;
}

std::shared_ptr<const config::Config> cfg(const std::string& text) {
  auto r = config::parseText("AuthservID mx.test\n" + text, "t.conf");
  EXPECT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0]);
  return r.config;
}

const std::vector<std::pair<std::string, std::string>> kHeaders{{"From", "a@bank.example"}, {"Subject", "s"}};

}  // namespace

TEST(FailureInput, FailingMessageWithRufGetsOne) {
  auto c = cfg("");
  auto in = failureInput(failing("v=DMARC1; p=reject; ruf=mailto:f@bank.example", Action::Reject), *c, 1700000000,
                         kHeaders, "body", false);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->record.reportDomain, "bank.example");
  EXPECT_EQ(in->record.published.ruf, std::vector<std::string>{"mailto:f@bank.example"});
  EXPECT_EQ(in->queueId, "Q1");
  EXPECT_EQ(in->mailFrom, "x@evil.example");
  EXPECT_EQ(in->rcpts, std::vector<std::string>{"a@mx.test"});
  EXPECT_EQ(in->authResults.rfind("mx.test;", 0), 0u) << in->authResults;
  EXPECT_NE(in->authResults.find("dmarc=fail"), std::string::npos);
  EXPECT_EQ(in->headers, kHeaders);
  EXPECT_EQ(in->body, "");  // FailureReportsContent headers (default)
  EXPECT_EQ(in->deliveryResult, "reject");
}

TEST(FailureInput, WhoGetsNone) {
  auto c = cfg("");
  // No ruf, p=none without FailureReportsOnNone: nothing.
  EXPECT_FALSE(failureInput(failing("v=DMARC1; p=reject", Action::Reject), *c, 1, kHeaders, "", false));
  EXPECT_FALSE(failureInput(failing("v=DMARC1; p=none; ruf=mailto:f@bank.example", Action::Accept), *c, 1, kHeaders, "", false));
  auto on = cfg("FailureReportsOnNone yes\n");
  auto in = failureInput(failing("v=DMARC1; p=none; ruf=mailto:f@bank.example", Action::Accept), *on, 1, kHeaders, "", false);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->deliveryResult, "delivered");
  // A pass by DMARC with an unaligned DKIM: only fo=1 asks.
  auto pass = failing("v=DMARC1; p=reject; ruf=mailto:f@bank.example", Action::Accept);
  pass.dmarc->result = policy::DmarcResult::Pass;
  pass.dmarc->alignedSpf = true;
  EXPECT_FALSE(failureInput(pass, *c, 1, kHeaders, "", false));
  pass.dmarc->record = policy::parseRecord("v=DMARC1; p=reject; fo=1; ruf=mailto:f@bank.example");
  EXPECT_TRUE(failureInput(pass, *c, 1, kHeaders, "", false));
}

TEST(FailureInput, BodyOnlyWhenAskedAndQuarantineIsPolicy) {
  auto c = cfg("FailureReportsContent body\n");
  auto in = failureInput(failing("v=DMARC1; p=quarantine; ruf=mailto:f@bank.example", Action::Quarantine), *c, 1,
                         kHeaders, "Hello\r\n", true);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->body, "Hello\r\n");
  EXPECT_TRUE(in->bodyTruncated);
  EXPECT_EQ(in->deliveryResult, "policy");
}

TEST(FailureInput, JobTemplateFromTheConfiguration) {
  auto d = failureJobTemplate(*cfg(""));
  EXPECT_EQ(d.settings.sentBy, "postmaster@mx.test");  // ReportingEmail's default
  EXPECT_EQ(d.transport.from, "postmaster@mx.test");
  EXPECT_EQ(d.transport.heloName, "mx.test");
  EXPECT_EQ(d.settings.reportingMta, "mx.test");
  EXPECT_EQ(d.ratePerHour, 10u);
  EXPECT_FALSE(d.settings.includeBody);
  EXPECT_TRUE(d.bcc.empty());
  auto r = failureJobTemplate(*cfg("ReportingEmail dmarc@mx.test\n"));
  EXPECT_EQ(r.settings.sentBy, "dmarc@mx.test");
  auto s = failureJobTemplate(*cfg("ReportingEmail dmarc@mx.test\nFailureReportsSentBy ruf@mx.test\n"
                                   "FailureReportsBcc c@ops.test\nFailureReportsRateLimit 3\n"
                                   "FailureReportsContent body\nReportSMTPRelay 127.0.0.1:2525\n"));
  EXPECT_EQ(s.settings.sentBy, "ruf@mx.test");
  EXPECT_EQ(s.bcc, std::vector<std::string>{"c@ops.test"});
  EXPECT_EQ(s.ratePerHour, 3u);
  EXPECT_TRUE(s.settings.includeBody);
  EXPECT_EQ(s.transport.relay.port, 2525);
}
