// tests/e2e/metrics_e2e_test.cpp — Prometheus metrics on the real binary: MetricsListen on
// 127.0.0.1 port 0 (the binary logs the port it got), messages sent through the project's milter
// client to authmilter over a real nsd, then `curl` reads /metrics and the counts must equal what
// was sent — with each MilterServer. Debian's `promtool check metrics` must accept the output.
// A non-loopback MetricsListen is refused by --check-config and at start-up.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/metricstext/metrics_text.h"

using namespace am::e2e;
using am::milter_client::Result;
using am::testing::authResultsSeries;
using am::testing::metricSample;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

class MetricsE2E : public ::testing::TestWithParam<const char*> {
 protected:
  Env env;
  std::string base;  // http://127.0.0.1:PORT

  void SetUp() override {
    ASSERT_EQ(env.start(std::string("MetricsListen 127.0.0.1:0\nMilterServer ") + GetParam() + "\n"), "");
    const std::string marker = "metrics on http://127.0.0.1:";
    ASSERT_TRUE(waitForOutput(*env.milter, marker)) << env.milter->output();
    std::string out = env.milter->output();
    size_t at = out.find(marker) + marker.size();
    base = "http://127.0.0.1:" + out.substr(at, out.find('/', at) - at);
  }
  std::string curl(const std::string& path, int* status = nullptr) {
    return runCommand("curl -sS --max-time 10 " + base + path + " 2>&1", status);
  }
  std::string scrape() {
    int st = -1;
    std::string text = curl("/metrics", &st);
    EXPECT_EQ(st, 0) << text;
    return text;
  }
  // Polls /metrics (bounded) until `series` has `value`; returns the last text read.
  std::string waitFor(const std::string& series, double value) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string text;
    while (metricSample(text = scrape(), series) != value && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return text;
  }
  // 3 aligned (accept), 2 forged From of a p=reject domain (550), 1 of a p=quarantine domain.
  void sendMix() {
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(send(env.socket, message("a@pass.e2e.test", "a@pass.e2e.test")).action, Result::Action::Accept);
    for (int i = 0; i < 2; ++i) {
      Result r = send(env.socket, message("x@reject.e2e.test", "ceo@reject.e2e.test"));
      EXPECT_EQ(r.action, Result::Action::ReplyCode);
      EXPECT_TRUE(has(r.replyText, "550")) << r.replyText;
    }
    EXPECT_TRUE(send(env.socket, message("x@fail.e2e.test", "news@quar.e2e.test")).quarantined);
  }
};

}  // namespace

TEST_P(MetricsE2E, CountsEqualWhatWasSent) {
  sendMix();
  // Connections close asynchronously after QUIT: wait until none is open.
  std::string t = waitFor("authmilter_milter_connections", 0);
  EXPECT_EQ(metricSample(t, "authmilter_milter_connections"), 0) << t;
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"accept\"}"), 3) << t;
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"reject\"}"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"quarantine\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_messages_total{action=\"tempfail\"}"), 0);
  EXPECT_EQ(metricSample(t, "authmilter_replies_total{code=\"550\"}"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_replies_total{code=\"451\"}"), -1);  // never given, not shown
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "pass")), 3);
  EXPECT_EQ(metricSample(t, authResultsSeries("spf", "fail")), 3);
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "pass")), 3);
  EXPECT_EQ(metricSample(t, authResultsSeries("dmarc", "fail")), 3);
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "none")), 6);
  EXPECT_EQ(metricSample(t, authResultsSeries("arc", "none")), 6);  // no ARC fields: arc=none, as in our AR header
  EXPECT_EQ(metricSample(t, authResultsSeries("dkim", "pass")), 0);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_count"), 6);
  EXPECT_EQ(metricSample(t, "authmilter_message_duration_seconds_bucket{le=\"+Inf\"}"), 6);
  EXPECT_GT(metricSample(t, "authmilter_message_duration_seconds_sum"), 0);
  EXPECT_EQ(metricSample(t, "authmilter_messages_in_flight"), 0);
  EXPECT_EQ(metricSample(t, "authmilter_messages_aborted_total"), 0);
  // DNS: the first message of each domain asks nsd, the repeats hit the cache.
  double lookups = metricSample(t, "authmilter_dns_lookups_total");
  double hits = metricSample(t, "authmilter_dns_cache_hits_total");
  EXPECT_GT(metricSample(t, "authmilter_dns_queries_total"), 0) << t;
  EXPECT_GT(hits, 0);
  EXPECT_GT(lookups, hits);
  EXPECT_EQ(metricSample(t, "authmilter_dns_timeouts_total"), 0);
  EXPECT_EQ(metricSample(t, "authmilter_dns_lookup_duration_seconds_count"),
            lookups - hits - metricSample(t, "authmilter_dns_coalesced_total"));
  if (std::string(GetParam()) == "native") {
    // The six messages and the fixture's probe that waited for the socket to accept.
    EXPECT_EQ(metricSample(t, "authmilter_milter_connections_accepted_total"), 7);
    EXPECT_GE(metricSample(t, "authmilter_milter_workers"), 1);
  } else {
    EXPECT_EQ(metricSample(t, "authmilter_milter_workers"), -1);  // libmilter: a thread per connection, not exported
  }
  EXPECT_EQ(metricSample(t, "authmilter_reloads_total{outcome=\"ok\"}"), 0);

  // Reloads by outcome.
  ASSERT_EQ(kill(env.milter->pid(), SIGHUP), 0);
  t = waitFor("authmilter_reloads_total{outcome=\"ok\"}", 1);
  EXPECT_EQ(metricSample(t, "authmilter_reloads_total{outcome=\"ok\"}"), 1) << env.milter->output();
  env.writePolicy(env.basePolicy() + "domain reject.e2e.test bogus-action\n");
  ASSERT_EQ(kill(env.milter->pid(), SIGHUP), 0);
  t = waitFor("authmilter_reloads_total{outcome=\"failed\"}", 1);
  EXPECT_EQ(metricSample(t, "authmilter_reloads_total{outcome=\"failed\"}"), 1) << env.milter->output();
}

TEST_P(MetricsE2E, PromtoolAcceptsTheOutputAndOtherPathsAre404) {
  sendMix();
  std::string text = scrape();
  ASSERT_TRUE(has(text, "authmilter_replies_total{code=\"550\"} 2")) << text;
  std::string file = env.dir + "/metrics.txt";
  std::ofstream(file) << text;
  int st = -1;
  std::string lint = runCommand("promtool check metrics < " + file + " 2>&1", &st);
  EXPECT_EQ(st, 0) << lint;
  EXPECT_EQ(lint, "");
  std::string code = runCommand("curl -s -o /dev/null -w '%{http_code}' --max-time 10 " + base + "/", &st);
  EXPECT_EQ(code, "404");
  code = runCommand("curl -s -o /dev/null -w '%{http_code}' --max-time 10 " + base + "/metrics", &st);
  EXPECT_EQ(code, "200");
}

INSTANTIATE_TEST_SUITE_P(MilterServer, MetricsE2E, ::testing::Values("native", "libmilter"));

TEST(MetricsCheckConfig, NonLoopbackAddressIsRefusedUnlessAllowed) {
  char tmpl[] = "/tmp/am-mcc-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/open.conf") << "Socket inet:8894@127.0.0.1\nSyslog no\nMetricsListen 0.0.0.0:9471\n";
  std::ofstream(dir + "/allowed.conf") << "Socket inet:8894@127.0.0.1\nSyslog no\nMetricsListen 0.0.0.0:9471\n"
                                          "MetricsAllowNonLoopback yes\n";
  std::ofstream(dir + "/local.conf") << "Socket inet:8894@127.0.0.1\nSyslog no\nMetricsListen [::1]:9471\n";
  const std::string bin = AM_AUTHMILTER_BIN;
  int st = -1;
  std::string out = runCommand(bin + " --check-config -c " + dir + "/open.conf 2>&1", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_TRUE(has(out, dir + "/open.conf:3: MetricsListen: 0.0.0.0 is not a loopback address")) << out;
  EXPECT_TRUE(has(out, "MetricsAllowNonLoopback yes")) << out;
  // Start-up refuses it the same way, before opening anything.
  out = runCommand(bin + " -f -c " + dir + "/open.conf 2>&1", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_TRUE(has(out, dir + "/open.conf:3: MetricsListen:")) << out;
  for (const char* ok : {"allowed.conf", "local.conf"}) {
    out = runCommand(bin + " --check-config -c " + dir + "/" + ok + " 2>&1", &st);
    EXPECT_EQ(st, 0) << ok << ": " << out;
    EXPECT_TRUE(has(out, "configuration OK")) << out;
  }
  runCommand("rm -rf '" + dir + "'");
}
