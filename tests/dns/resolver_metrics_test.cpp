// tests/dns/resolver_metrics_test.cpp — the resolver's metrics (Options::metrics) against the
// scripted loopback server: lookups, cache hits, queries, timeouts, failures by kind and the
// latency histogram of the lookups the cache did not answer, read from the registry's text.
#include <gtest/gtest.h>

#include <sstream>

#include "filter/dns/udp_resolver.h"
#include "filter/metrics/registry.h"
#include "tests/dns/fake_server.h"
#include "tests/dns/resolver_util.h"
#include "tests/support/metricstext/metrics_text.h"

namespace am::dns {
namespace {

using namespace test;
using Q = FakeDnsServer::Query;
using am::testing::metricSample;

TEST(ResolverMetrics, CountedWhereTheyHappen) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    if (q.qname.rfind("servfail.", 0) == 0) return {FakeDnsServer::reply(q, 2)};
    if (q.qname.rfind("refused.", 0) == 0) return {FakeDnsServer::reply(q, 5)};
    if (q.qname.rfind("silent.", 0) == 0) return {};
    return answerA(q);
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  metrics::Registry reg;
  auto o = fastOptions({srv.server()}, &clock, 0);
  o.timeout = std::chrono::milliseconds(200);
  o.metrics = &reg;
  auto r = make(o);
  EXPECT_EQ(r->addrs("www.example.org", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(r->addrs("www.example.org", Family::V4).status, DnsStatus::Ok);  // cache hit
  EXPECT_EQ(r->addrs("servfail.example.org", Family::V4).status, DnsStatus::TempFail);
  EXPECT_EQ(r->addrs("servfail.example.org", Family::V4).status, DnsStatus::TempFail);  // cached failure
  EXPECT_EQ(r->txt("refused.example.org").status, DnsStatus::PermFail);
  EXPECT_EQ(r->txt("silent.example.org").status, DnsStatus::TempFail);
  EXPECT_EQ(r->txt("bad..name").status, DnsStatus::PermFail);  // refused before any lookup: not counted

  std::string t = reg.render();
  EXPECT_EQ(metricSample(t, "authmilter_dns_lookups_total"), 6) << t;
  EXPECT_EQ(metricSample(t, "authmilter_dns_cache_hits_total"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_dns_queries_total"), 4);
  EXPECT_EQ(metricSample(t, "authmilter_dns_timeouts_total"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_dns_failures_total{kind=\"tempfail\"}"), 2);
  EXPECT_EQ(metricSample(t, "authmilter_dns_failures_total{kind=\"permfail\"}"), 1);
  EXPECT_EQ(metricSample(t, "authmilter_dns_coalesced_total"), 0);
  EXPECT_EQ(metricSample(t, "authmilter_dns_lookup_duration_seconds_count"), 4);  // the four network lookups
  // The silent one took its whole 200 ms timeout; the others answered at once.
  EXPECT_GE(metricSample(t, "authmilter_dns_lookup_duration_seconds_sum"), 0.2);
  EXPECT_EQ(metricSample(t, "authmilter_dns_lookup_duration_seconds_bucket{le=\"0.1\"}"), 3) << t;
  EXPECT_EQ(metricSample(t, "authmilter_dns_lookup_duration_seconds_bucket{le=\"+Inf\"}"), 4);
  auto s = r->stats();
  EXPECT_EQ(s.tempFailures, 2u);
  EXPECT_EQ(s.permFailures, 1u);
}

TEST(ResolverMetrics, WithoutARegistryTheStatsStillCount) {
  FakeDnsServer srv([](const Q& q) { return std::vector<Bytes>{FakeDnsServer::reply(q, 2)}; });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock, 0));
  EXPECT_EQ(r->txt("example.org").status, DnsStatus::TempFail);
  EXPECT_EQ(r->stats().tempFailures, 1u);
  EXPECT_EQ(r->stats().queriesSent, 1u);
}

}  // namespace
}  // namespace am::dns
