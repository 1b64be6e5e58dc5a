// tests/postfix/dns_fault_proxy_test.cpp — the load tests' DNS proxy (dns_fault_proxy.h) in front
// of a real nsd, asked with raw UDP queries: each mode does what the load tests count on.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <vector>

#include "tests/postfix/dns_fault_proxy.h"
#include "tests/support/dnsserver/nsd_server.h"

using am::postfix_test::DnsFaultProxy;
using Mode = DnsFaultProxy::Mode;

namespace {

std::vector<uint8_t> txtQuery(uint16_t id, const std::string& name) {
  std::vector<uint8_t> q = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 16, 0, 1});
  return q;
}

struct Answer {
  std::vector<uint8_t> bytes;
  int error = 0;  // errno of the receive (ECONNREFUSED: port unreachable, EAGAIN: no answer)
};

// One query over a connected UDP socket, one receive bounded by `wait`.
Answer ask(uint16_t port, const std::vector<uint8_t>& q, std::chrono::milliseconds wait) {
  Answer a;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
  send(fd, q.data(), q.size(), 0);
  uint8_t buf[4096];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) a.error = errno;
  else a.bytes.assign(buf, buf + n);
  close(fd);
  return a;
}

int rcode(const Answer& a) { return a.bytes.size() >= 12 ? (a.bytes[3] & 0x0F) : -1; }
int ancount(const Answer& a) { return a.bytes.size() >= 12 ? (a.bytes[6] << 8 | a.bytes[7]) : -1; }

class DnsFaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    nsd_ = am::testing::NsdServer::start({{"test", "good.e2e IN TXT \"v=spf1 -all\"\n"}}, &err);
    ASSERT_TRUE(nsd_) << err;
    proxy_ = DnsFaultProxy::start(nsd_->port(), std::chrono::milliseconds(400), &err);
    ASSERT_TRUE(proxy_) << err;
  }
  Answer ask(uint16_t id, std::chrono::milliseconds wait = std::chrono::seconds(3)) {
    return ::ask(proxy_->port(), txtQuery(id, "good.e2e.test"), wait);
  }
  void mode(Mode m) {
    std::string err;
    ASSERT_TRUE(proxy_->setMode(m, &err)) << err;
  }
  std::unique_ptr<am::testing::NsdServer> nsd_;
  std::unique_ptr<DnsFaultProxy> proxy_;
};

}  // namespace

TEST_F(DnsFaultProxyTest, ForwardRelaysTheAnswerUnderTheClientsId) {
  Answer a = ask(0x1234);
  ASSERT_GE(a.bytes.size(), 12u) << a.error;
  EXPECT_EQ(a.bytes[0], 0x12);
  EXPECT_EQ(a.bytes[1], 0x34);
  EXPECT_EQ(rcode(a), 0);
  EXPECT_EQ(ancount(a), 1);
  EXPECT_GE(proxy_->port(), 1024);
}

TEST_F(DnsFaultProxyTest, SlowAnswersAfterTheDelay) {
  mode(Mode::Slow);
  const auto t0 = std::chrono::steady_clock::now();
  Answer a = ask(7);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(ancount(a), 1);
  EXPECT_GE(ms, 400);
  EXPECT_EQ(proxy_->counts().delayed, 1u);
}

TEST_F(DnsFaultProxyTest, ServFailAnswersRcode2WithTheQuestion) {
  mode(Mode::ServFail);
  Answer a = ask(9);
  EXPECT_EQ(rcode(a), 2);
  EXPECT_EQ(ancount(a), 0);
  EXPECT_EQ(a.bytes[1], 9);
  EXPECT_EQ(a.bytes[5], 1);  // QDCOUNT
  EXPECT_EQ(a.bytes.size(), txtQuery(9, "good.e2e.test").size());
}

TEST_F(DnsFaultProxyTest, GarbageNeverAnswersProperly) {
  mode(Mode::Garbage);
  const auto good = txtQuery(3, "good.e2e.test");
  for (int i = 0; i < 5; ++i) {
    Answer a = ask(3);
    ASSERT_FALSE(a.bytes.empty()) << "turn " << i;
    // No turn is a well-formed answer to this query with its records.
    bool wellFormed = a.bytes.size() > good.size() && a.bytes[0] == 0 && a.bytes[1] == 3 && rcode(a) == 0 &&
                      ancount(a) == 1 && std::equal(good.begin() + 12, good.end(), a.bytes.begin() + 12) &&
                      a.bytes[good.size()] != 0xC0;
    EXPECT_FALSE(wellFormed) << "turn " << i;
  }
  EXPECT_EQ(proxy_->counts().garbage, 5u);
}

TEST_F(DnsFaultProxyTest, ClosedRefusesAndOpensAgainOnTheSamePort) {
  const uint16_t port = proxy_->port();
  mode(Mode::Closed);
  Answer a = ask(5, std::chrono::milliseconds(500));
  EXPECT_TRUE(a.bytes.empty());
  EXPECT_EQ(a.error, ECONNREFUSED);  // ICMP port unreachable, as from a stopped server
  mode(Mode::Forward);
  EXPECT_EQ(proxy_->port(), port);
  EXPECT_EQ(ancount(ask(6)), 1);
}

TEST_F(DnsFaultProxyTest, ForwardsToARestartedUpstream) {
  nsd_.reset();
  std::string err;
  nsd_ = am::testing::NsdServer::start({{"test", "good.e2e IN TXT \"v=spf1 -all\"\n"}}, &err);
  ASSERT_TRUE(nsd_) << err;
  proxy_->setUpstream(nsd_->port());
  EXPECT_EQ(ancount(ask(8)), 1);
}
