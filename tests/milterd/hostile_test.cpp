// tests/milterd/hostile_test.cpp — broken and hostile peers against the in-process server: bad
// lengths, garbage, truncated packets, unknown commands, commands before negotiation, a peer that
// disconnects mid-body, and no-reply stages honoured on the wire. After each, the server must
// still serve the next connection and no transaction may stay open.
#include <unistd.h>

#include "filter/milter/protocol.h"
#include "tests/milterclient/protocol.h"
#include "tests/milterd/fixture.h"

using namespace am;
using namespace am::milterd_test;
using milter_client::Result;
namespace proto = am::milter::proto;

namespace {

class Hostile : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    start();
  }
  // Sends `bytes` on a fresh connection and returns whether the server closed it (bounded wait).
  bool serverCloses(const std::string& bytes, std::string* got = nullptr) {
    int fd = rawConnect(spec);
    EXPECT_GE(fd, 0);
    if (fd < 0) return false;
    rawSend(fd, bytes);
    bool eof = false;
    std::string out = rawReadAll(fd, 1 << 20, &eof);
    if (got) *got = out;
    ::close(fd);
    return eof;
  }
  void expectStillServing() {
    auto r = sendOne(message("a@pass.test", "a@pass.test"));
    EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
    EXPECT_TRUE(eventually([&] { return engine->transactionsInFlight.load() == 0; }));
  }
  std::string negotiated() { return optneg(6, proto::kAllActions, proto::kPostfixV6Protocol); }
};

std::string str0(const std::string& s) { return s + std::string(1, '\0'); }

std::string connectData() { return str0("client.example") + "4" + std::string("\x9c\x40", 2) + str0("192.0.2.10"); }

}  // namespace

TEST_F(Hostile, OversizeLengthClosesTheConnection) {
  EXPECT_TRUE(serverCloses(std::string("\xff\xff\xff\xf0O", 5)));
  expectStillServing();
}

TEST_F(Hostile, LengthJustAboveTheLimitClosesTheConnection) {
  std::string len;
  milter_client::wire::putU32(len, (1u << 20) + 4097);
  EXPECT_TRUE(serverCloses(len + "L"));
  expectStillServing();
}

TEST_F(Hostile, ZeroLengthClosesTheConnection) {
  EXPECT_TRUE(serverCloses(std::string("\0\0\0\0", 4)));
  expectStillServing();
}

TEST_F(Hostile, GarbageBytesCloseTheConnection) {
  EXPECT_TRUE(serverCloses("GET / HTTP/1.0\r\nHost: x\r\n\r\n"));
  expectStillServing();
}

TEST_F(Hostile, CommandBeforeNegotiationClosesTheConnection) {
  std::string got;
  EXPECT_TRUE(serverCloses(packet('C', connectData()), &got));
  EXPECT_EQ(got, "");
  expectStillServing();
}

TEST_F(Hostile, UnknownCommandClosesTheConnection) {
  std::string got;
  EXPECT_TRUE(serverCloses(negotiated() + packet('Z', "x"), &got));
  EXPECT_EQ(got.substr(4, 1), "O");  // the negotiation was answered first
  expectStillServing();
}

TEST_F(Hostile, MalformedFieldsCloseTheConnection) {
  EXPECT_TRUE(serverCloses(negotiated() + packet('C', "no-nul-terminator")));
  EXPECT_TRUE(serverCloses(negotiated() + packet('L', str0("Subject"))));  // value missing
  EXPECT_TRUE(serverCloses(negotiated() + packet('D', "M" + str0("i"))));  // macro value missing
  EXPECT_TRUE(serverCloses(optneg(1, 0x1ff, 0)));                           // version 1
  EXPECT_TRUE(serverCloses(packet('O', "\0\0\0\6")));                       // truncated optneg
  expectStillServing();
}

TEST_F(Hostile, TruncatedPacketThenDisconnect) {
  int fd = rawConnect(spec);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(rawSend(fd, negotiated()));
  EXPECT_EQ(rawReadPacket(fd).first, 'O');
  std::string p = packet('C', connectData());
  ASSERT_TRUE(rawSend(fd, p.substr(0, p.size() / 2)));
  ::close(fd);
  expectStillServing();
}

TEST_F(Hostile, DisconnectMidBodyEndsTheTransaction) {
  int fd = rawConnect(spec);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(rawSend(fd, negotiated()));
  EXPECT_EQ(rawReadPacket(fd).first, 'O');
  ASSERT_TRUE(rawSend(fd, packet('C', connectData())));  // no reply: SMFIP_NR_CONN
  // HELO .. body need no reply (NR_* negotiated): send them in one go, then vanish mid-body.
  std::string rest = packet('H', str0("client.example")) + packet('M', str0("<a@pass.test>")) +
                     packet('R', str0("<rcpt@mx.test>")) + packet('L', str0("From") + str0(" a@pass.test")) +
                     packet('N') + packet('B', std::string(60000, 'b'));
  ASSERT_TRUE(rawSend(fd, rest));
  ASSERT_TRUE(eventually([&] { return engine->transactionsInFlight.load() == 1; }));
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return engine->transactionsInFlight.load() == 0; }));
  expectStillServing();
}

TEST_F(Hostile, NoReplyStagesGetNoReplyAndEndOfMessageIsOneBatch) {
  int fd = rawConnect(spec);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(rawSend(fd, negotiated()));
  EXPECT_EQ(rawReadPacket(fd).first, 'O');
  ASSERT_TRUE(rawSend(fd, packet('C', connectData())));  // no reply: SMFIP_NR_CONN
  std::string msg = packet('H', str0("client.example")) + packet('D', "M" + str0("i") + str0("QX1")) +
                    packet('M', str0("<a@pass.test>")) + packet('R', str0("<rcpt@mx.test>")) +
                    packet('L', str0("From") + str0(" a@pass.test")) + packet('L', str0("Subject") + str0(" hi")) +
                    packet('N') + packet('B', "hello\r\n") + packet('E');
  ASSERT_TRUE(rawSend(fd, msg));
  // The first reply after all of that is end of message's: the inserted header, then accept.
  auto first = rawReadPacket(fd);
  EXPECT_EQ(first.first, 'i');
  EXPECT_TRUE(has(first.second, "Authentication-Results")) << first.second;
  EXPECT_TRUE(has(first.second, "spf=pass")) << first.second;
  EXPECT_EQ(rawReadPacket(fd).first, 'a');
  ASSERT_TRUE(rawSend(fd, packet('Q')));
  bool eof = false;
  EXPECT_EQ(rawReadAll(fd, 100, &eof), "");
  EXPECT_TRUE(eof);
  ::close(fd);
}

TEST_F(Hostile, EndOfBodyMayCarryTheLastChunkAndQuitNewConnStartsAFreshSession) {
  int fd = rawConnect(spec);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(rawSend(fd, optneg(6, proto::kAllActions, 0)));  // no NR flags: every stage replies
  EXPECT_EQ(rawReadPacket(fd).first, 'O');
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(rawSend(fd, packet('C', connectData())));
    EXPECT_EQ(rawReadPacket(fd).first, 'c');
    ASSERT_TRUE(rawSend(fd, packet('H', str0("client.example"))));
    EXPECT_EQ(rawReadPacket(fd).first, 'c');
    ASSERT_TRUE(rawSend(fd, packet('M', str0("<a@pass.test>") + str0("BODY=8BITMIME"))));
    EXPECT_EQ(rawReadPacket(fd).first, 'c');
    ASSERT_TRUE(rawSend(fd, packet('L', str0("From") + str0("a@pass.test"))));
    EXPECT_EQ(rawReadPacket(fd).first, 'c');
    ASSERT_TRUE(rawSend(fd, packet('N')));
    EXPECT_EQ(rawReadPacket(fd).first, 'c');
    ASSERT_TRUE(rawSend(fd, packet('E', "body in the end packet\r\n")));
    auto ins = rawReadPacket(fd);
    EXPECT_EQ(ins.first, 'i');
    // Without HDR_LEADSPC the MTA adds the space: our value starts without one.
    size_t valueStart = 4 + std::string("Authentication-Results").size() + 1;
    ASSERT_GT(ins.second.size(), valueStart);
    EXPECT_NE(ins.second[valueStart], ' ');
    EXPECT_EQ(rawReadPacket(fd).first, 'a');
    ASSERT_TRUE(rawSend(fd, packet('K')));  // QUIT_NC: the next SMTP session on this connection
  }
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return engine->transactionsInFlight.load() == 0; }));
}

TEST_F(Hostile, AbortMidMessageThenANewMessageOnTheSameConnection) {
  auto c = connect();
  ASSERT_TRUE(c);
  auto m = message("a@pass.test", "a@pass.test");
  EXPECT_EQ(c->send(m).action, Result::Action::Accept);
  c->abortTransaction();
  EXPECT_EQ(c->send(message("x@evil.example", "ceo@bank.test")).action, Result::Action::ReplyCode);
  EXPECT_TRUE(eventually([&] { return engine->transactionsInFlight.load() == 0; }));
}
