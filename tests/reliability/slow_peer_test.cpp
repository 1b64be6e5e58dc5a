// tests/reliability/slow_peer_test.cpp — the milter server's I/O timeout against slow peers,
// in-process (milter::Server with a 2 s ioTimeout; the binary's 600 s has no configuration key
// yet): a peer that sends half a packet and stops, and a peer that sends one byte a second, are
// both cut within the timeout (plus the once-a-second sweep), and the server keeps serving.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/milterd/fixture.h"

using namespace am;
using namespace am::milterd_test;
using milter_client::Result;
namespace proto = am::milter::proto;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(2);

class SlowPeer : public ServerFixture {
 protected:
  int fd = -1;
  void open() {
    milter::Server::Options o;
    o.ioTimeout = kIoTimeout;
    start(o);
    fd = rawConnect(spec);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(rawSend(fd, optneg(6, proto::kAllActions, proto::kPostfixV6Protocol)));
    ASSERT_EQ(rawReadPacket(fd).first, proto::kOptNeg);
  }
  void TearDown() override {
    if (fd >= 0) ::close(fd);
    ServerFixture::TearDown();
  }
  // Whether the server has hung up: end of file (or a reset) on our side.
  bool hungUp(int waitMs) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, waitMs) <= 0) return false;
    char c;
    return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
  }
  // A header packet of 1,000 bytes: more than the peer sends in the test.
  static std::string longHeader() {
    std::string d = "Subject";
    d.push_back('\0');
    d += std::string(990, 'x');
    d.push_back('\0');
    return packet(proto::kHeader, d);
  }
};

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_F(SlowPeer, HalfAPacketThenSilenceIsCutByTheIoTimeout) {
  open();
  ASSERT_TRUE(rawSend(fd, longHeader().substr(0, 500)));
  auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  while (!cut && since(t0) < 10) cut = hungUp(100);
  EXPECT_TRUE(cut) << "still open after " << since(t0) << " s";
  EXPECT_LT(since(t0), 6.0);  // 2 s, the sweep's second, slack for a loaded machine
  EXPECT_TRUE(eventually([&] { return server->stats().timeouts == 1 && server->stats().live == 0; }));
  EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}

// A peer that trickles a packet one byte a second never goes silent for ioTimeout, yet never
// completes a packet: the timeout covers the whole packet, not the gap between two bytes.
TEST_F(SlowPeer, OneByteASecondIsCutByTheIoTimeout) {
  open();
  const std::string pkt = longHeader();
  auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (size_t i = 0; i < pkt.size() && !cut && since(t0) < 12; ++i) {
    if (!rawSend(fd, pkt.substr(i, 1))) cut = true;  // reset by the server
    else cut = hungUp(1000);                          // the peer's pace: one byte a second
  }
  EXPECT_TRUE(cut) << "still open after " << since(t0) << " s of one byte a second (ioTimeout "
                   << kIoTimeout.count() << " s)";
  EXPECT_LT(since(t0), 6.0);  // 2 s, the sweep's second, slack for a loaded machine
  EXPECT_TRUE(eventually([&] { return server->stats().live == 0; }));
  EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}
