// tests/core/failure_input_test.cpp — the failure-report consumer (filter/core/failure_input.h) on
// hand-built outcomes: which messages get a report (fo=, p=none and FailureReportsOnNone, no ruf),
// what the FailureInput holds (envelope, our AR value, headers, the body only with
// FailureReportsContent body, Delivery-Result per verdict), and the job settings a configuration
// gives (failureJobTemplate: FailureReportsSentBy or ReportingEmail, bcc, rate, transport); and
// Session -> Engine -> FailureReporter with FailureReports on or off (the relay a loopback port that
// refuses connections: the send fails, counted in authmilter_failure_reports_total).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "filter/core/failure_input.h"
#include "filter/core/options.h"
#include "filter/core/session.h"
#include "tests/core/core_fixture.h"

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
  EXPECT_EQ(in->deliveryResult, "policy");  // held: HoldQuarantinedMessages yes, the default
  auto delivered = cfg("FailureReportsContent body\nHoldQuarantinedMessages no\n");
  in = failureInput(failing("v=DMARC1; p=quarantine; ruf=mailto:f@bank.example", Action::Quarantine), *delivered, 1,
                    kHeaders, "Hello\r\n", true);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->deliveryResult, "spam");  // delivered with the marking header
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

namespace {

// A loopback TCP port bound but not listening: connections to it are refused while it is held.
struct RefusingPort {
  int fd = -1;
  uint16_t port = 0;
  RefusingPort() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ~RefusingPort() {
    if (fd >= 0) close(fd);
  }
};

double sample(const std::string& text, const std::string& series) {
  auto p = text.find("\n" + series + " ");
  return p == std::string::npos ? -1 : std::stod(text.substr(p + series.size() + 2));
}

struct FailureEngine : am::core::test::CoreFixture {
  RefusingPort relay;
  void start(const std::string& extra) {
    ASSERT_NE(relay.port, 0);
    std::ofstream(dir + "/authmilter.conf") << "AuthservID mx.test\nSyslog no\nMetricsListen 127.0.0.1:0\n"
                                            << "ReportSMTPRelay 127.0.0.1:" << relay.port << "\n" << extra;
    startEngine(config::loadFile(dir + "/authmilter.conf"));
    dns->addTxt("reject.test", "v=spf1 -all");
    dns->addTxt("_dmarc.reject.test", "v=DMARC1; p=reject; ruf=mailto:ruf@reject.test");
    dns->addTxt("pass.test", "v=spf1 ip4:198.51.100.0/24 -all");
    dns->addTxt("_dmarc.pass.test", "v=DMARC1; p=reject; ruf=mailto:ruf@pass.test");
  }
  Verdict message(const std::string& domain) {
    Session s(*engine);
    s.setMacro("i", "QID");
    s.connect("client.test", IpAddress::parse("198.51.100.7"));
    s.helo("client.test");
    s.mailFrom("<a@" + domain + ">");
    s.rcpt("<rcpt@mx.test>");
    s.header("From", " a@" + domain);
    s.endOfHeaders();
    s.body("hello\r\n");
    return s.endOfMessage();
  }
};

}  // namespace

TEST_F(FailureEngine, FailingMessagesAreOfferedAndCounted) {
  start("FailureReports yes\nFailureReportsRateLimit 1\n");
  auto* fr = engine->failureReporter();
  ASSERT_TRUE(fr);
  EXPECT_EQ(message("pass.test").action, Action::Accept);    // DMARC pass, fo=0: none
  EXPECT_EQ(message("reject.test").action, Action::Reject);  // offered
  EXPECT_EQ(message("reject.test").action, Action::Reject);  // over FailureReportsRateLimit 1
  ASSERT_TRUE(fr->drain(std::chrono::seconds(20)));
  auto st = fr->stats();
  EXPECT_EQ(st.queued, 1u);
  EXPECT_EQ(st.rateLimited, 1u);
  EXPECT_EQ(st.failed, 1u);  // the relay refused the connection
  EXPECT_EQ(st.sent, 0u);
  std::string t = engine->metrics()->render();
  EXPECT_EQ(sample(t, "authmilter_failure_reports_total{outcome=\"failed\"}"), 1) << t;
  EXPECT_EQ(sample(t, "authmilter_failure_reports_total{outcome=\"rate_limited\"}"), 1) << t;
  EXPECT_EQ(sample(t, "authmilter_failure_reports_total{outcome=\"sent\"}"), 0) << t;
}

TEST_F(FailureEngine, OffByDefault) {
  start("");
  EXPECT_FALSE(engine->failureReporter());
  EXPECT_EQ(message("reject.test").action, Action::Reject);
  EXPECT_EQ(engine->metrics()->render().find("authmilter_failure_reports_total"), std::string::npos);
}
