// tests/dns/nsd_e2e_test.cpp — UdpResolver end to end against a real nsd on loopback
// (tests/support/dnsserver): TXT (multi-string, > 512 bytes over EDNS and over TCP), A, AAAA,
// MX, PTR (v4 and v6), CNAME in and out of zone, NXDOMAIN vs NoData, cache hits and expiry,
// many threads, and a paused server giving TempFail. One nsd serves the suite; the timeout
// test starts its own. Every nsd started here is stopped (fixture teardown / destructor).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "filter/dns/udp_resolver.h"
#include "tests/support/dnsserver/nsd_server.h"

namespace am::dns {
namespace {

using am::testing::NsdServer;

std::string longText(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "k" + std::to_string(i) + ";";
  s.resize(n);
  return s;
}

std::string v6ReverseLabel() {  // the part of 2001:db8::1's reverse name below 8.b.d.0.1.0.0.2
  std::string full = IpAddress::parse("2001:db8::1")->reverseName();
  return full.substr(0, full.size() - std::string(".8.b.d.0.1.0.0.2.ip6.arpa").size());
}

std::vector<NsdServer::Zone> zones() {
  std::string body =
      "@ TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
      "multi TXT \"part one, \" \"part two\"\n"
      "mid TXT " + NsdServer::quoteTxt(longText(700)) + "\n"
      "big TXT " + NsdServer::quoteTxt(longText(3000)) + "\n"
      "www A 192.0.2.1\nwww A 192.0.2.2\nwww AAAA 2001:db8::1\n"
      "@ MX 20 mx2.example.org.\n@ MX 10 mx1.example.org.\n"
      "alias CNAME www\n"
      "ext CNAME host.other.test.\n"
      "short 5 TXT \"five seconds\"\n"
      "onlytxt TXT \"no address here\"\n";
  return {{"example.org", body},
          {"other.test", "host A 198.51.100.7\n"},
          {"2.0.192.in-addr.arpa", "1 PTR www.example.org.\n"},
          {"8.b.d.0.1.0.0.2.ip6.arpa", v6ReverseLabel() + " PTR www.example.org.\n"}};
}

class NsdE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string err;
    nsd_ = NsdServer::start(zones(), &err).release();
    if (!nsd_) startError_ = err;
  }
  static void TearDownTestSuite() {
    delete nsd_;  // stops nsd, removes its directory
    nsd_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(nsd_, nullptr) << startError_; }

  std::unique_ptr<UdpResolver> resolver(bool edns = true, const Clock* clock = nullptr) {
    Options o;
    o.servers = {*parseServer(nsd_->address() + ":" + std::to_string(nsd_->port()))};
    o.timeout = std::chrono::milliseconds(2000);
    o.retries = 1;
    o.edns = edns;
    o.clock = clock;
    std::string err;
    auto r = UdpResolver::create(o, &err);
    EXPECT_TRUE(r) << err;
    return r;
  }

  static NsdServer* nsd_;
  static std::string startError_;
};
NsdServer* NsdE2E::nsd_ = nullptr;
std::string NsdE2E::startError_;

TEST_F(NsdE2E, Txt) {
  auto r = resolver();
  auto a = r->txt("Example.ORG.");
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"});
}

TEST_F(NsdE2E, TxtMultiStringIsJoined) {
  auto a = resolver()->txt("multi.example.org");
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{"part one, part two"});
}

TEST_F(NsdE2E, TxtOver512BytesFitsInEdnsUdp) {
  auto r = resolver(true);
  auto a = r->txt("mid.example.org");
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{longText(700)});
  EXPECT_EQ(r->stats().queriesSent, 1u);  // one UDP exchange, no TCP
}

TEST_F(NsdE2E, TxtOver512BytesWithoutEdnsUsesTcp) {
  auto r = resolver(false);
  auto a = r->txt("mid.example.org");
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{longText(700)});
  EXPECT_EQ(r->stats().queriesSent, 2u);  // truncated UDP reply, then TCP
}

TEST_F(NsdE2E, TxtLargerThanEdnsBufferUsesTcp) {
  auto r = resolver(true);
  auto a = r->txt("big.example.org");
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{longText(3000)});
  EXPECT_EQ(r->stats().queriesSent, 2u);
}

TEST_F(NsdE2E, AddressesV4AndV6) {
  auto r = resolver();
  auto a = r->addrs("www.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  std::vector<std::string> got;
  for (const auto& ip : a.addrs) got.push_back(ip.str());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  auto aaaa = r->addrs("www.example.org", Family::V6);
  ASSERT_EQ(aaaa.status, DnsStatus::Ok);
  ASSERT_EQ(aaaa.addrs.size(), 1u);
  EXPECT_EQ(aaaa.addrs[0].str(), "2001:db8::1");
}

TEST_F(NsdE2E, MxSortedByPreference) {
  auto m = resolver()->mx("example.org");
  ASSERT_EQ(m.status, DnsStatus::Ok);
  ASSERT_EQ(m.hosts.size(), 2u);
  EXPECT_EQ(m.hosts[0].preference, 10);
  EXPECT_EQ(m.hosts[0].host, "mx1.example.org");
  EXPECT_EQ(m.hosts[1].host, "mx2.example.org");
}

TEST_F(NsdE2E, PtrV4AndV6) {
  auto r = resolver();
  auto p = r->ptr(*IpAddress::parse("192.0.2.1"));
  ASSERT_EQ(p.status, DnsStatus::Ok);
  EXPECT_EQ(p.names, std::vector<std::string>{"www.example.org"});
  auto p6 = r->ptr(*IpAddress::parse("2001:db8::1"));
  ASSERT_EQ(p6.status, DnsStatus::Ok);
  EXPECT_EQ(p6.names, std::vector<std::string>{"www.example.org"});
  EXPECT_EQ(r->ptr(*IpAddress::parse("192.0.2.99")).status, DnsStatus::NxDomain);
}

TEST_F(NsdE2E, CnameInsideZone) {
  auto a = resolver()->addrs("alias.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.addrs.size(), 2u);
}

TEST_F(NsdE2E, CnameToAnotherZoneIsChased) {
  auto r = resolver();
  auto a = r->addrs("ext.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  ASSERT_EQ(a.addrs.size(), 1u);
  EXPECT_EQ(a.addrs[0].str(), "198.51.100.7");
}

TEST_F(NsdE2E, NxDomainVersusNoData) {
  auto r = resolver();
  EXPECT_EQ(r->txt("nosuch.example.org").status, DnsStatus::NxDomain);
  EXPECT_EQ(r->addrs("onlytxt.example.org", Family::V4).status, DnsStatus::NoData);
  EXPECT_EQ(r->mx("www.example.org").status, DnsStatus::NoData);
}

TEST_F(NsdE2E, SecondQueryIsACacheHit) {
  auto r = resolver();
  ASSERT_EQ(r->txt("example.org").status, DnsStatus::Ok);
  ASSERT_EQ(r->txt("EXAMPLE.org.").status, DnsStatus::Ok);
  ASSERT_EQ(r->txt("nosuch.example.org").status, DnsStatus::NxDomain);
  ASSERT_EQ(r->txt("nosuch.example.org").status, DnsStatus::NxDomain);
  auto s = r->stats();
  EXPECT_EQ(s.cacheHits, 2u);
  EXPECT_EQ(s.cacheMisses, 2u);
  EXPECT_EQ(s.queriesSent, 2u);
}

TEST_F(NsdE2E, CacheEntryExpiresWithTtl) {
  FixedClock clock(1000);
  auto r = resolver(true, &clock);
  ASSERT_EQ(r->txt("short.example.org").status, DnsStatus::Ok);  // TTL 5
  clock.set(1004);
  ASSERT_EQ(r->txt("short.example.org").status, DnsStatus::Ok);
  EXPECT_EQ(r->stats().queriesSent, 1u);
  clock.set(1005);
  ASSERT_EQ(r->txt("short.example.org").status, DnsStatus::Ok);
  EXPECT_EQ(r->stats().queriesSent, 2u);
}

TEST_F(NsdE2E, ManyThreadsShareOneResolver) {
  auto r = resolver();
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (r->txt("example.org").status != DnsStatus::Ok) ++bad;
        if (r->addrs("www.example.org", Family::V4).addrs.size() != 2) ++bad;
        if (r->txt("nosuch.example.org").status != DnsStatus::NxDomain) ++bad;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(r->stats().cacheHits, 0u);
}

TEST(NsdPause, PausedServerGivesTempFailThenRecovers) {
  std::string err;
  auto nsd = NsdServer::start({{"example.org", "@ TXT \"up\"\n"}}, &err);
  ASSERT_TRUE(nsd) << err;
  Options o;
  o.servers = {Server{*IpAddress::parse(nsd->address()), nsd->port()}};
  o.timeout = std::chrono::milliseconds(200);
  o.retries = 1;
  o.cacheEntries = 0;
  auto r = UdpResolver::create(o, &err);
  ASSERT_TRUE(r) << err;
  ASSERT_TRUE(nsd->pause());
  EXPECT_EQ(r->txt("example.org").status, DnsStatus::TempFail);
  EXPECT_EQ(r->stats().timeouts, 2u);  // (retries + 1) attempts, each ended by its timeout
  ASSERT_TRUE(nsd->resume());
  o.timeout = std::chrono::milliseconds(3000);  // a just-continued nsd may need a moment
  auto patient = UdpResolver::create(o, &err);
  ASSERT_TRUE(patient) << err;
  auto a = patient->txt("example.org");
  nsd->stop();
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.records, std::vector<std::string>{"up"});
}

TEST(NsdServerHelper, BrokenConfigurationIsReportedNotHung) {
  std::string err;
  auto nsd = NsdServer::start({{"bad..origin", "@ TXT \"x\"\n"}}, &err);
  EXPECT_FALSE(nsd);
  EXPECT_NE(err.find("nsd exited during start-up"), std::string::npos) << err;
}

TEST(NsdServerHelper, QuoteTxtSplitsAndEscapes) {
  EXPECT_EQ(NsdServer::quoteTxt(""), "\"\"");
  EXPECT_EQ(NsdServer::quoteTxt("a\"b\\c"), "\"a\\\"b\\\\c\"");
  std::string q = NsdServer::quoteTxt(std::string(300, 'x'));
  EXPECT_EQ(q, "\"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\"");
}

}  // namespace
}  // namespace am::dns
