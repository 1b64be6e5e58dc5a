// tests/core/metrics_test.cpp — the metrics consumer of the MessageOutcome (countOutcome) over a
// hand-built outcome, and the Engine with MetricsListen: messages through a Session counted by
// result, action and reply code with their latency, aborted transactions, reloads by outcome;
// without MetricsListen no registry exists and nothing is counted.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "filter/core/consumers.h"
#include "filter/core/options.h"
#include "filter/core/session.h"
#include "tests/core/core_fixture.h"
#include "tests/support/metricstext/metrics_text.h"

using namespace am;
using namespace am::core;

namespace {

using am::testing::authResultsSeries;
using am::testing::metricSample;

MessageOutcome outcome(SpfResult spf, std::vector<DkimResult> dkim, policy::DmarcResult dmarc, Action action,
                       std::string code) {
  MessageOutcome o;
  o.evaluated = true;
  o.spfMailFrom.checked = true;
  o.spfMailFrom.result = spf;
  for (auto r : dkim) o.dkim.push_back(DkimOutput{r, "example.com"});
  policy::DmarcOutput d;
  d.result = dmarc;
  o.dmarc = d;
  o.disposition.action = action;
  o.disposition.smtpCode = std::move(code);
  return o;
}

}  // namespace

TEST(MetricsConsumer, CountsResultsActionReplyCodeAndLatency) {
  metrics::Registry r;
  MessageMetrics m(r);
  using policy::DmarcResult;
  countOutcome(outcome(SpfResult::Pass, {DkimResult::Pass, DkimResult::Fail}, DmarcResult::Pass, Action::Accept, ""),
               std::chrono::milliseconds(3), m);
  countOutcome(outcome(SpfResult::Fail, {}, DmarcResult::Fail, Action::Reject, "550"), std::chrono::milliseconds(40), m);
  countOutcome(outcome(SpfResult::SoftFail, {DkimResult::TempError}, DmarcResult::TempError, Action::TempFail, "451"),
               std::chrono::seconds(2), m);
  auto q = outcome(SpfResult::None, {}, DmarcResult::Fail, Action::Quarantine, "");
  q.signatures = {"v=1; a=rsa-sha256; ...", "v=1; a=ed25519-sha256; ..."};
  countOutcome(q, std::chrono::microseconds(200), m);
  // Not evaluated (outgoing mail we sign), SPF not checked, no DMARC: only the action is counted.
  MessageOutcome signedOnly;
  signedOnly.disposition.action = Action::Accept;
  countOutcome(signedOnly, std::chrono::milliseconds(1), m);

  std::string t = r.render();
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "pass")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "fail")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "softfail")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "none")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "temperror")), 0);
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "pass")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "fail")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "temperror")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "none")), 2);  // the two evaluated messages without signatures
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "pass")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "fail")), 2);
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "temperror")), 1);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"accept\"}"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"reject\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"tempfail\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"quarantine\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"continue\"}"), -1);  // never a verdict
  EXPECT_EQ(metricSample(t, "authmilter_replies_total{code=\"550\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_replies_total{code=\"451\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_replies_total{code=\"554\"}"), -1);  // never given: not shown
  EXPECT_EQ(metricSample(t, "authmilter_dkim_signatures_added_total"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_count"), 5);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_bucket{le=\"0.001\"}"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_bucket{le=\"0.005\"}"), 3);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_bucket{le=\"0.05\"}"), 4);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_bucket{le=\"2.5\"}"), 5);
  EXPECT_NEAR(metricSample(t, "authmilter_message_duration_seconds_sum"), 2.0442, 1e-9);
}

// ARC results are counted as our AR header gives them: every evaluated message (none without ARC
// fields), and a chain of mail we only sign.
TEST(MetricsConsumer, CountsArcResults) {
  metrics::Registry r;
  MessageMetrics m(r);
  using policy::DmarcResult;
  auto viaList = outcome(SpfResult::Fail, {DkimResult::Fail}, DmarcResult::Fail, Action::Accept, "");
  viaList.arc.cv = arc::Cv::Pass;
  countOutcome(viaList, std::chrono::milliseconds(3), m);
  auto broken = viaList;
  broken.arc.cv = arc::Cv::Fail;
  countOutcome(broken, std::chrono::milliseconds(3), m);
  countOutcome(outcome(SpfResult::Pass, {}, DmarcResult::Pass, Action::Accept, ""), std::chrono::milliseconds(3), m);
  MessageOutcome signedOnly;  // not evaluated, no ARC fields: no ARC result
  signedOnly.disposition.action = Action::Accept;
  countOutcome(signedOnly, std::chrono::milliseconds(1), m);
  MessageOutcome signedWithChain = signedOnly;  // mail we sign that carries a chain
  signedWithChain.arc.cv = arc::Cv::Pass;
  countOutcome(signedWithChain, std::chrono::milliseconds(1), m);
  std::string t = r.render();
  EXPECT_EQ(metricSample(t, authResultsSeries("arc", "pass")), 2) << t;
  EXPECT_EQ(metricSample(t, authResultsSeries("arc", "fail")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("arc", "none")), 1);
}

TEST(MetricsConsumer, OddReplyCodesAreNotCounted) {
  metrics::Registry r;
  MessageMetrics m(r);
  for (const char* code : {"", "5", "250", "600", "55x", "5500"}) m.message(Action::Reject, code, {});
  std::string t = r.render();
  EXPECT_EQ(t.find("authmilter_replies_total{"), std::string::npos) << t;
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"reject\"}"), 6);
}

struct MetricsEngine : am::core::test::CoreFixture {
  std::string conf() const { return dir + "/authmilter.conf"; }
  void start(const std::string& text) {
    std::ofstream(conf()) << text;
    startEngine(config::loadFile(conf()));
  }
  // One message through a Session: a forged From of reject.test (p=reject) or an aligned pass.
  Verdict message(const std::string& mailFrom, const std::string& from, bool finish = true) {
    Session s(*engine);
    s.setMacro("i", "QID");
    s.connect("client.test", IpAddress::parse("198.51.100.7"));
    s.helo("client.test");
    s.mailFrom("<" + mailFrom + ">");
    s.rcpt("<rcpt@mx.test>");
    s.header("From", " " + from);
    s.endOfHeaders();
    s.body("hello\r\n");
    return finish ? s.endOfMessage() : Verdict{};
  }
};

TEST_F(MetricsEngine, MessagesThroughASessionAreCounted) {
  start("AuthservID mx.test\nSyslog no\nMetricsListen 127.0.0.1:0\n");
  ASSERT_TRUE(engine->metrics());
  ASSERT_TRUE(engine->messageMetrics());
  dns->addTxt("reject.test", "v=spf1 -all");
  dns->addTxt("_dmarc.reject.test", "v=DMARC1; p=reject");
  dns->addTxt("pass.test", "v=spf1 ip4:198.51.100.0/24 -all");
  dns->addTxt("_dmarc.pass.test", "v=DMARC1; p=reject");
  EXPECT_EQ(message("a@reject.test", "a@reject.test").action, Action::Reject);
  EXPECT_EQ(message("a@pass.test", "a@pass.test").action, Action::Accept);
  EXPECT_EQ(message("b@pass.test", "b@pass.test").action, Action::Accept);
  message("c@pass.test", "c@pass.test", false);  // the connection ends without end of message

  std::string t = engine->metrics()->render();
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"reject\"}"), 1) << t;
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"accept\"}"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_replies_total{code=\"550\"}"), 1);
  // results come from outcomes: the aborted one has none
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "pass")), 2);
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "fail")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "pass")), 2);
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "fail")), 1);
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "none")), 3);
  EXPECT_EQ(metricSample(t, "authmilter_messages_aborted_total"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_count"), 3);
  EXPECT_EQ(metricSample(t, "authmilter_messages_in_flight"), 0);
}

// With ReportStore set, the recorder's counts are exported: records written to the store.
TEST_F(MetricsEngine, ReportRecordsWrittenAreCounted) {
  start("AuthservID mx.test\nSyslog no\nMetricsListen 127.0.0.1:0\nReportStore sqlite:" + dir + "/reports.db\n");
  ASSERT_TRUE(engine->recorder());
  dns->addTxt("pass.test", "v=spf1 ip4:198.51.100.0/24 -all");
  dns->addTxt("_dmarc.pass.test", "v=DMARC1; p=reject; rua=mailto:d@pass.test");
  EXPECT_EQ(message("a@pass.test", "a@pass.test").action, Action::Accept);
  EXPECT_EQ(message("b@pass.test", "b@pass.test").action, Action::Accept);
  ASSERT_TRUE(engine->recorder()->drain(std::chrono::seconds(10)));
  std::string t = engine->metrics()->render();
  EXPECT_EQ(metricSample(t, "authmilter_report_records_total{outcome=\"written\"}"), 2) << t;
  EXPECT_NE(metricSample(t, "authmilter_report_records_total{outcome=\"dropped_queue_full\"}"), 1);
}

TEST_F(MetricsEngine, ReloadsAreCountedByOutcome) {
  start("AuthservID mx.test\nSyslog no\nMetricsListen 127.0.0.1:0\n");
  std::vector<std::string> errors;
  EXPECT_TRUE(engine->reload(conf(), errors));
  std::ofstream(conf()) << "AuthservID mx.test\nSyslog no\nMetricsListen 127.0.0.1:0\nBogus 1\n";
  EXPECT_FALSE(engine->reload(conf(), errors));
  EXPECT_FALSE(engine->reload(dir + "/missing.conf", errors));
  std::string t = engine->metrics()->render();
  EXPECT_EQ(metricSample(t, "authmilter_reloads_total{outcome=\"ok\"}"), 1) << t;
  EXPECT_EQ(metricSample(t, "authmilter_reloads_total{outcome=\"failed\"}"), 2) << t;
}

TEST_F(MetricsEngine, WithoutMetricsListenNothingExists) {
  start("AuthservID mx.test\nSyslog no\n");
  EXPECT_EQ(engine->metrics(), nullptr);
  EXPECT_EQ(engine->messageMetrics(), nullptr);
  dns->addTxt("pass.test", "v=spf1 ip4:198.51.100.0/24 -all");
  EXPECT_EQ(message("a@pass.test", "a@pass.test").action, Action::Accept);
  EXPECT_FALSE(am::core::metricsSettings(*engine->snapshot()->config).enabled);
}

TEST(Options, MetricsSettingsComeFromTheConfig) {
  auto cfg = am::config::parseText("MetricsListen [::1]:9471\n", "t.conf");
  ASSERT_TRUE(cfg.config) << cfg.errors[0];
  auto m = am::core::metricsSettings(*cfg.config);
  EXPECT_TRUE(m.enabled);
  EXPECT_TRUE(m.addr.v6 && m.addr.isLoopback());
  EXPECT_EQ(m.port, 9471);
}
