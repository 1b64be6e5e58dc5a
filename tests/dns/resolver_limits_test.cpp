// tests/dns/resolver_limits_test.cpp — what one lookup may cost, against the scripted loopback
// server: one deadline covering CNAME restarts and the TCP repeat of a truncated reply,
// temporary failures cached for failureTtl, identical concurrent lookups sharing one query.
//
// A slow server is simulated by a handler that sleeps before answering (the fault under test);
// the assertions are on outcomes and counts, never on elapsed time: with the deadline the
// outcomes below hold however slow the machine is.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "filter/dns/udp_resolver.h"
#include "tests/dns/fake_server.h"
#include "tests/dns/resolver_util.h"

namespace am::dns {
namespace {

using namespace test;
using Q = FakeDnsServer::Query;
using std::chrono::milliseconds;
namespace t = wire::type;

// h0 -> h1 -> ... -> h8, each a dangling CNAME answered after `delay`; h8 has an address.
// Nine hops of 100 ms fit in no 400 ms deadline, while each hop alone fits in it.
TEST(ResolverDeadline, CoversEveryCnameRestart) {
  const milliseconds delay(100);
  FakeDnsServer srv([&](const Q& q) -> std::vector<Bytes> {
    std::this_thread::sleep_for(delay);  // a slow server
    if (q.qname == "h8.example.org") return answerA(q);
    std::string next = "h" + std::to_string(q.qname[1] - '0' + 1) + ".example.org";
    return {FakeDnsServer::reply(q, kAa, {{q.qname, t::CNAME, 300, rdName(next)}})};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock, 0);
  o.timeout = milliseconds(400);
  auto r = make(o);
  EXPECT_EQ(r->addrs("h0.example.org", Family::V4).status, DnsStatus::TempFail);
  EXPECT_LE(r->stats().queriesSent, 5u);  // at most 4 hops of >= 100 ms end before 400 ms
}

// A truncated reply that comes late leaves the TCP repeat only what remains of the deadline.
TEST(ResolverDeadline, CoversTheTcpRepeatOfATruncatedReply) {
  const milliseconds delay(600);
  FakeDnsServer srv([&](const Q& q) -> std::vector<Bytes> {
    std::this_thread::sleep_for(delay);  // 600 ms over UDP, 600 more over TCP
    if (!q.tcp) return {FakeDnsServer::reply(q, kTc)};
    return answerA(q);
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock, 0);
  o.timeout = milliseconds(1000);  // the TC reply has 400 ms to spare, the TCP repeat lacks 200
  auto r = make(o);
  EXPECT_EQ(r->addrs("late.example.org", Family::V4).status, DnsStatus::TempFail);
  auto s = r->stats();
  EXPECT_EQ(s.queriesSent, 2u);  // UDP, then TCP
  EXPECT_EQ(s.timeouts, 1u);     // the TCP exchange, cut at the lookup's deadline
}

TEST(ResolverFailureCache, DeadDomainCostsTheTimeoutOncePerFailureTtl) {
  FakeDnsServer silent([](const Q&) { return std::vector<Bytes>{}; });
  ASSERT_TRUE(silent.ok());
  FixedClock clock(1000);
  auto o = fastOptions({silent.server()}, &clock, 1);
  o.timeout = milliseconds(50);  // never answered: only the count of attempts matters
  o.failureTtl = 30;
  auto r = make(o);
  EXPECT_EQ(r->txt("dead.example").status, DnsStatus::TempFail);
  EXPECT_EQ(r->stats().queriesSent, 2u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r->txt("DEAD.example.").status, DnsStatus::TempFail);
  EXPECT_EQ(r->stats().queriesSent, 2u);  // five more messages, no more waiting
  EXPECT_EQ(r->stats().cacheHits, 5u);
  EXPECT_EQ(r->txt("other.example").status, DnsStatus::TempFail);  // per name
  EXPECT_EQ(r->stats().queriesSent, 4u);
  clock.set(1030);
  EXPECT_EQ(r->txt("dead.example").status, DnsStatus::TempFail);  // expired: asked again
  EXPECT_EQ(r->stats().queriesSent, 6u);
}

TEST(ResolverFailureCache, ZeroFailureTtlCachesNothing) {
  FakeDnsServer srv([](const Q& q) { return std::vector<Bytes>{FakeDnsServer::reply(q, 2)}; });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock, 0);
  o.failureTtl = 0;
  auto r = make(o);
  EXPECT_EQ(r->txt("e.org").status, DnsStatus::TempFail);
  EXPECT_EQ(r->txt("e.org").status, DnsStatus::TempFail);
  EXPECT_EQ(srv.udpQueries(), 2);
}

// The server holds the first query until every other thread has joined it, then answers.
TEST(ResolverCoalescing, IdenticalConcurrentLookupsShareOneQuery) {
  constexpr int kThreads = 8;
  std::unique_ptr<UdpResolver> r;  // outlives the server thread, which reads it through `shared`
  std::atomic<UdpResolver*> shared{nullptr};
  FakeDnsServer srv([&](const Q& q) {
    pollUntil([&] {
      UdpResolver* p = shared.load();
      return p && p->stats().coalesced == kThreads - 1;
    });
    return answerA(q, "192.0.2.77");
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock, 0);
  o.timeout = milliseconds(30000);  // the leader must outwait the slowest thread's start
  r = make(o);
  shared = r.get();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      auto a = r->addrs("same.example.org", Family::V4);
      if (a.status == DnsStatus::Ok && a.addrs.size() == 1 && a.addrs[0].str() == "192.0.2.77") ++ok;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(srv.udpQueries(), 1);
  auto s = r->stats();
  EXPECT_EQ(s.queriesSent, 1u);
  EXPECT_EQ(s.coalesced, static_cast<uint64_t>(kThreads - 1));
  EXPECT_EQ(s.cacheMisses, static_cast<uint64_t>(kThreads));
}

TEST(ResolverCoalescing, DifferentTypesAreNotCoalesced) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    if (q.qtype == t::TXT) return {FakeDnsServer::reply(q, kAa, {{q.qname, t::TXT, 300, rdTxt({"x"})}})};
    return answerA(q);
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock, 0));
  EXPECT_EQ(r->txt("e.org").status, DnsStatus::Ok);
  EXPECT_EQ(r->addrs("e.org", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(srv.udpQueries(), 2);
  EXPECT_EQ(r->stats().coalesced, 0u);
}

}  // namespace
}  // namespace am::dns
