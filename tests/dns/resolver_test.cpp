// tests/dns/resolver_test.cpp — UdpResolver against a scripted loopback server: reply
// matching (spoofed IDs), TCP fallback, EDNS fallback, RCODE mapping across servers, retries,
// timeouts, caching with an injected clock, CNAME chasing, the about-to-block hint; plus
// server/resolv.conf parsing. The lookup deadline, failure caching and coalescing are in
// resolver_limits_test.cpp. Counts the server sees are polled (bounded), never timed.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>

#include "common/blocking.h"
#include "filter/dns/udp_resolver.h"
#include "tests/dns/fake_server.h"
#include "tests/dns/resolver_util.h"

namespace am::dns {
namespace {

using namespace test;
using Q = FakeDnsServer::Query;
namespace t = wire::type;

TEST(ParseServer, AcceptedForms) {
  auto a = parseServer("127.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->addr.str(), "127.0.0.1");
  EXPECT_EQ(a->port, 53);
  auto b = parseServer("127.0.0.1:5353");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 5353);
  auto c = parseServer("[::1]:54");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->addr.v6);
  EXPECT_EQ(c->port, 54);
  auto d = parseServer("::1");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->addr.v6);
  EXPECT_EQ(d->port, 53);
}

TEST(ParseServer, RejectedForms) {
  for (const char* bad : {"", "example.org", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "[::1", "[::1]x", "[127.0.0.1]:53", "1.2.3.4:53x"})
    EXPECT_FALSE(parseServer(bad)) << bad;
}

TEST(ParseResolvConf, NameserverLinesOnly) {
  auto s = parseResolvConf("# comment\nsearch example.org\nnameserver 192.0.2.53\n"
                           "nameserver fe80::1%eth0\nnameserver  2001:db8::53 \noptions ndots:1\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].addr.str(), "192.0.2.53");
  EXPECT_EQ(s[1].addr.str(), "2001:db8::53");
}

TEST(UdpResolverCreate, ReadsResolvConfWhenNoServers) {
  char path[] = "/tmp/am-dns-resolvconf-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "nameserver 192.0.2.7\n";
  Options o;
  o.resolvConfPath = path;
  auto r = make(o);
  std::remove(path);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->servers().size(), 1u);
  EXPECT_EQ(r->servers()[0].addr.str(), "192.0.2.7");
}

TEST(UdpResolverCreate, RejectsBadOptions) {
  Options o;
  o.servers = {*parseServer("127.0.0.1")};
  o.timeout = std::chrono::milliseconds(0);
  std::string err;
  EXPECT_FALSE(UdpResolver::create(o, &err));
  EXPECT_FALSE(err.empty());
}

TEST(UdpResolver, InvalidNameIsPermFailWithoutQuery) {
  FixedClock clock(0);
  auto r = make(fastOptions({*parseServer("127.0.0.1:9")}, &clock));
  EXPECT_EQ(r->txt("a..b").status, DnsStatus::PermFail);
  EXPECT_EQ(r->txt(std::string(64, 'x') + ".org").status, DnsStatus::PermFail);
  EXPECT_EQ(r->addrs("", Family::V4).status, DnsStatus::PermFail);
  EXPECT_EQ(r->stats().queriesSent, 0u);
}

TEST(UdpResolver, SpoofedRepliesAreIgnored) {
  FakeDnsServer srv([](const Q& q) {
    Q wrongId = q;
    wrongId.id = static_cast<uint16_t>(q.id + 1);
    Q wrongName = q;
    wrongName.qname = "evil.example";
    return std::vector<Bytes>{answerA(wrongId, "203.0.113.66")[0],
                              answerA(wrongName, "203.0.113.66")[0], answerA(q)[0]};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock));
  auto a = r->addrs("www.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  ASSERT_EQ(a.addrs.size(), 1u);
  EXPECT_EQ(a.addrs[0].str(), "192.0.2.1");
}

TEST(UdpResolver, OnlyMismatchedRepliesTimeOut) {
  FakeDnsServer srv([](const Q& q) {
    Q other = q;
    other.id = static_cast<uint16_t>(q.id ^ 0x5555);
    return answerA(other);
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock, 1);
  o.timeout = std::chrono::milliseconds(200);
  auto r = make(o);
  EXPECT_EQ(r->addrs("www.example.org", Family::V4).status, DnsStatus::TempFail);
  EXPECT_EQ(r->stats().timeouts, 2u);
  EXPECT_EQ(r->stats().queriesSent, 2u);
  // The server thread may read the last datagram after the resolver gave up on it.
  EXPECT_TRUE(pollUntil([&] { return srv.udpQueries() == 2; })) << srv.udpQueries();
}

TEST(UdpResolver, TruncatedReplyIsRetriedOverTcp) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    if (!q.tcp) return {FakeDnsServer::reply(q, kTc)};
    return {FakeDnsServer::reply(q, 0, {{q.qname, t::TXT, 300, rdTxt({std::string(200, 'a'), "b"})}})};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock));
  auto a = r->txt("big.example.org");
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{std::string(200, 'a') + "b"});
  EXPECT_EQ(srv.tcpQueries(), 1);
  EXPECT_EQ(r->stats().queriesSent, 2u);
}

TEST(UdpResolver, FormErrToEdnsFallsBackToPlainDns) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    if (q.edns) return {FakeDnsServer::reply(q, 1)};
    return answerA(q);
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock));
  EXPECT_EQ(r->addrs("old.example.org", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(srv.udpQueries(), 2);
}

TEST(UdpResolver, ServfailIsTempFailAfterRetriesAndCachedBriefly) {
  FakeDnsServer srv([](const Q& q) { return std::vector<Bytes>{FakeDnsServer::reply(q, 2)}; });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock, 2));
  EXPECT_EQ(r->mx("example.org").status, DnsStatus::TempFail);
  EXPECT_EQ(srv.udpQueries(), 3);
  EXPECT_EQ(r->mx("example.org").status, DnsStatus::TempFail);  // from the cache (failureTtl)
  EXPECT_EQ(srv.udpQueries(), 3);
  clock.set(30);
  EXPECT_EQ(r->mx("example.org").status, DnsStatus::TempFail);  // expired: asked again
  EXPECT_EQ(srv.udpQueries(), 6);
}

TEST(UdpResolver, RefusedServerIsSkippedForTheNextOne) {
  FakeDnsServer refusing([](const Q& q) { return std::vector<Bytes>{FakeDnsServer::reply(q, 5)}; });
  FakeDnsServer good([](const Q& q) { return answerA(q); });
  ASSERT_TRUE(refusing.ok() && good.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({refusing.server(), good.server()}, &clock, 2));
  EXPECT_EQ(r->addrs("www.example.org", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(refusing.udpQueries(), 1);
  EXPECT_EQ(good.udpQueries(), 1);
}

TEST(UdpResolver, RefusedEverywhereIsPermFailWithoutRepeats) {
  FakeDnsServer refusing([](const Q& q) { return std::vector<Bytes>{FakeDnsServer::reply(q, 5)}; });
  ASSERT_TRUE(refusing.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({refusing.server()}, &clock, 2));
  EXPECT_EQ(r->txt("example.org").status, DnsStatus::PermFail);
  EXPECT_EQ(refusing.udpQueries(), 1);
}

TEST(UdpResolver, UndecodableReplyIsPermFail) {
  FakeDnsServer srv([](const Q& q) {
    Bytes b = FakeDnsServer::reply(q, 0, {{q.qname, t::A, 300, rdAddr("192.0.2.1")}});
    b.resize(b.size() - 3);  // header and question intact, record cut short
    return std::vector<Bytes>{b};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock, 1));
  EXPECT_EQ(r->addrs("www.example.org", Family::V4).status, DnsStatus::PermFail);
}

TEST(UdpResolver, SilentServerTimesOutEveryAttempt) {
  FakeDnsServer silent([](const Q&) { return std::vector<Bytes>{}; });
  ASSERT_TRUE(silent.ok());
  FixedClock clock(0);
  auto o = fastOptions({silent.server()}, &clock, 2);
  o.timeout = std::chrono::milliseconds(100);
  auto r = make(o);
  EXPECT_EQ(r->txt("example.org").status, DnsStatus::TempFail);
  EXPECT_EQ(r->stats().timeouts, 3u);
  EXPECT_EQ(r->stats().queriesSent, 3u);
  EXPECT_TRUE(pollUntil([&] { return silent.udpQueries() == 3; })) << silent.udpQueries();
}

TEST(UdpResolver, ClosedPortIsTempFail) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);  // nothing listens there now: ICMP port unreachable
  FixedClock clock(0);
  auto r = make(fastOptions({Server{IpAddress::v4(127, 0, 0, 1), ntohs(a.sin_port)}}, &clock));
  EXPECT_EQ(r->txt("example.org").status, DnsStatus::TempFail);
}

// The milter server learns of a query on the network through common/blocking.h (it then starts a
// worker); a cache hit or a name refused before any query must not announce a block.
TEST(UdpResolver, AnnouncesABlockOnlyForQueriesOnTheNetwork) {
  FakeDnsServer srv([](const Q& q) { return answerA(q); });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(5000);
  auto r = make(fastOptions({srv.server()}, &clock));
  struct Counts {
    int entered = 0, left = 0;
  } announced;
  setBlockingHook(
      [](void* n, bool entering) noexcept {
        auto& c = *static_cast<Counts*>(n);
        ++(entering ? c.entered : c.left);
      },
      &announced);
  EXPECT_EQ(r->addrs("host.example.org", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(announced.entered, 1);
  EXPECT_EQ(announced.left, 1);  // the scope ends when the answer is in
  EXPECT_EQ(r->addrs("host.example.org", Family::V4).status, DnsStatus::Ok);  // cached
  EXPECT_EQ(r->txt("a..b").status, DnsStatus::PermFail);                      // no query
  EXPECT_EQ(announced.entered, 1);
  setBlockingHook(nullptr, nullptr);
  EXPECT_EQ(r->addrs("other.example.org", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(announced.entered, 1);  // removed
  EXPECT_EQ(announced.left, 1);
}

TEST(UdpResolver, NegativeAnswerIsCachedForSoaMinimum) {
  FakeDnsServer srv([](const Q& q) {
    return std::vector<Bytes>{FakeDnsServer::reply(q, kAa | 3, {}, {{"example.org", t::SOA, 3600, rdSoa(120)}})};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(5000);
  auto r = make(fastOptions({srv.server()}, &clock));
  EXPECT_EQ(r->txt("nope.example.org").status, DnsStatus::NxDomain);
  EXPECT_EQ(r->txt("NOPE.example.org.").status, DnsStatus::NxDomain);
  EXPECT_EQ(srv.udpQueries(), 1);
  EXPECT_EQ(r->stats().cacheHits, 1u);
  clock.set(5000 + 120);
  EXPECT_EQ(r->txt("nope.example.org").status, DnsStatus::NxDomain);
  EXPECT_EQ(srv.udpQueries(), 2);
}

TEST(UdpResolver, PositiveAnswerHonoursTtlAndCap) {
  FakeDnsServer srv([](const Q& q) {
    return std::vector<Bytes>{FakeDnsServer::reply(q, kAa, {{q.qname, t::TXT, 100000, rdTxt({"x"})}})};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock);
  o.maxTtl = 600;
  auto r = make(o);
  r->txt("e.org");
  clock.set(599);
  r->txt("e.org");
  EXPECT_EQ(srv.udpQueries(), 1);
  clock.set(600);
  r->txt("e.org");
  EXPECT_EQ(srv.udpQueries(), 2);
  auto s = r->stats();
  EXPECT_EQ(s.cacheHits, 1u);
  EXPECT_EQ(s.cacheMisses, 2u);
}

TEST(UdpResolver, DisabledCacheAsksEveryTime) {
  FakeDnsServer srv([](const Q& q) { return answerA(q); });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto o = fastOptions({srv.server()}, &clock);
  o.cacheEntries = 0;
  auto r = make(o);
  r->addrs("www.example.org", Family::V4);
  r->addrs("www.example.org", Family::V4);
  EXPECT_EQ(srv.udpQueries(), 2);
  EXPECT_EQ(r->stats().cacheHits, 0u);
}

TEST(UdpResolver, DanglingCnameIsChased) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    if (q.qname == "alias.example.org")
      return {FakeDnsServer::reply(q, kAa, {{q.qname, t::CNAME, 300, rdName("host.example.net")}})};
    return answerA(q, "198.51.100.9");
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock));
  auto a = r->addrs("alias.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.addrs.at(0).str(), "198.51.100.9");
  EXPECT_EQ(srv.udpQueries(), 2);
}

TEST(UdpResolver, EndlessCnameChaseIsBounded) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    return {FakeDnsServer::reply(q, kAa, {{q.qname, t::CNAME, 300, rdName("x." + q.qname)}})};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock));
  EXPECT_EQ(r->addrs("loop.example.org", Family::V4).status, DnsStatus::PermFail);
  EXPECT_LE(srv.udpQueries(), 10);
}

TEST(UdpResolver, PtrAndMxAnswers) {
  FakeDnsServer srv([](const Q& q) -> std::vector<Bytes> {
    if (q.qtype == t::PTR && q.qname == "1.2.0.192.in-addr.arpa")
      return {FakeDnsServer::reply(q, kAa, {{q.qname, t::PTR, 300, rdName("Mail.Example.ORG")}})};
    if (q.qtype == t::PTR && q.qname.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"))
      return {FakeDnsServer::reply(q, kAa, {{q.qname, t::PTR, 300, rdName("v6.example.org")}})};
    if (q.qtype == t::MX)
      return {FakeDnsServer::reply(q, kAa, {{q.qname, t::MX, 300, rdMx(20, "b.example.org")},
                                            {q.qname, t::MX, 300, rdMx(10, "a.example.org")}})};
    return {FakeDnsServer::reply(q, 3)};
  });
  ASSERT_TRUE(srv.ok());
  FixedClock clock(0);
  auto r = make(fastOptions({srv.server()}, &clock));
  auto p = r->ptr(*IpAddress::parse("192.0.2.1"));
  ASSERT_EQ(p.status, DnsStatus::Ok);
  EXPECT_EQ(p.names, std::vector<std::string>{"mail.example.org"});
  auto p6 = r->ptr(*IpAddress::parse("2001:db8::1"));
  ASSERT_EQ(p6.status, DnsStatus::Ok);
  EXPECT_EQ(p6.names, std::vector<std::string>{"v6.example.org"});
  auto m = r->mx("example.org");
  ASSERT_EQ(m.status, DnsStatus::Ok);
  ASSERT_EQ(m.hosts.size(), 2u);
  EXPECT_EQ(m.hosts[0].host, "a.example.org");
  EXPECT_EQ(m.hosts[0].preference, 10);
  EXPECT_EQ(m.hosts[1].host, "b.example.org");
}

}  // namespace
}  // namespace am::dns
