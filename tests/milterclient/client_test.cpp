// tests/milterclient/client_test.cpp — the milter client against the scripted fake filter:
// negotiation, macros, connect encoding, header leading space, body chunking, skip and no-reply
// flags, early verdicts, several messages per connection.
#include <gtest/gtest.h>

#include "tests/milterclient/fake_milter.h"
#include "tests/milterclient/milter_client.h"
#include "tests/milterclient/test_util.h"

namespace am::milter_client::testing {
namespace {

using namespace wire;
using Action = Result::Action;
constexpr std::chrono::milliseconds kTimeout{5000};

std::unique_ptr<Client> connectTo(const FakeMilter& f) {
  std::string err;
  auto c = Client::connect(f.spec(), kTimeout, &err);
  EXPECT_NE(c, nullptr) << err;
  return c;
}

TEST(ClientNegotiation, OffersPostfixFlagsAndRecordsTheFilterAnswer) {
  FakeMilter::Config cfg;
  cfg.protocol = kNrHeader | kHeaderLeadingSpace | kNoUnknown;
  FakeMilter f(cfg, nullptr);
  ASSERT_TRUE(f.ok());
  auto c = connectTo(f);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->filterVersion(), 6u);
  EXPECT_EQ(c->filterActions(), cfg.actions);
  EXPECT_EQ(c->filterProtocol(), cfg.protocol);
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  auto opt = f.received(kOptNeg);
  ASSERT_EQ(opt.size(), 1u);
  Reader r(opt[0].data);
  EXPECT_EQ(r.u32(), 6u);
  EXPECT_EQ(r.u32(), 0x1ffu);
  EXPECT_EQ(r.u32(), 0x1fffffu);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(commands(f.received()), "OQ");
}

TEST(ClientNegotiation, RejectsAHigherVersion) {
  FakeMilter::Config cfg;
  cfg.version = 7;
  FakeMilter f(cfg, nullptr);
  std::string err;
  EXPECT_EQ(Client::connect(f.spec(), kTimeout, &err), nullptr);
  EXPECT_NE(err.find("version"), std::string::npos) << err;
}

TEST(ClientNegotiation, RejectsActionsThatWereNotOffered) {
  FakeMilter::Config cfg;
  cfg.actions = kActAddHeaders | kActChangeBody;
  FakeMilter f(cfg, nullptr);
  Client::Options o;
  o.timeout = kTimeout;
  o.actions = kActAddHeaders;
  std::string err;
  EXPECT_EQ(Client::connect(f.spec(), o, &err), nullptr);
  EXPECT_NE(err.find("actions"), std::string::npos) << err;
}

TEST(ClientNegotiation, MalformedOptNegReplyFails) {
  FakeMilter::Config cfg;
  cfg.rawOptNeg = encode(kOptNeg, std::string("\0\0\0\6\0\0", 6));  // truncated
  FakeMilter f(cfg, nullptr);
  std::string err;
  EXPECT_EQ(Client::connect(f.spec(), kTimeout, &err), nullptr);
  EXPECT_NE(err.find("too short"), std::string::npos) << err;
}

TEST(ClientConnect, BadSpecAndMissingSocketAreErrors) {
  std::string err;
  EXPECT_EQ(Client::connect("tcp:25", kTimeout, &err), nullptr);
  EXPECT_NE(err.find("unknown protocol"), std::string::npos) << err;
  EXPECT_EQ(Client::connect("unix:/nonexistent/am/milter.sock", kTimeout, &err), nullptr);
  EXPECT_NE(err.find("connect"), std::string::npos) << err;
}

TEST(ClientMacros, SendsTheListsTheFilterRequested) {
  FakeMilter::Config cfg;
  cfg.macroLists = {{kMacConnect, "j {client_addr} _ {undefined}"}, {kMacMail, "{auth_authen} i"},
                    {kMacEom, "i {msg_id}"}};
  FakeMilter f(cfg, nullptr);
  auto c = connectTo(f);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->filterSentMacroList(kMacMail));
  EXPECT_FALSE(c->filterSentMacroList(kMacRcpt));
  Message m = sampleMessage();
  m.macros = {{"j", "mx.local"}, {"i", "QID123"}, {"{auth_authen}", "alice"}};
  EXPECT_EQ(c->send(m).action, Action::Continue);
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  auto pk = f.received();
  ASSERT_NE(macroPacket(pk, kConnect), nullptr);
  EXPECT_EQ(macroMap(*macroPacket(pk, kConnect)),
            (std::map<std::string, std::string>{
                {"j", "mx.local"}, {"{client_addr}", "192.0.2.1"}, {"_", "client.example [192.0.2.1]"}}));
  EXPECT_EQ(macroMap(*macroPacket(pk, kMail)),
            (std::map<std::string, std::string>{{"{auth_authen}", "alice"}, {"i", "QID123"}}));
  EXPECT_EQ(macroMap(*macroPacket(pk, kEndOfBody)), (std::map<std::string, std::string>{{"i", "QID123"}}));
  // The rcpt stage was not overridden: Postfix's default list applies.
  EXPECT_EQ(macroMap(*macroPacket(pk, kRcpt)),
            (std::map<std::string, std::string>{{"i", "QID123"}, {"{rcpt_addr}", "bob@example.com"}}));
  // Nothing of the default HELO list is defined, so no macro packet for HELO.
  EXPECT_EQ(macroPacket(pk, kHelo), nullptr);
}

TEST(ClientMacros, PostfixDefaultsWhenTheFilterRequestsNone) {
  FakeMilter f({}, nullptr);
  auto c = connectTo(f);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->macroList(kMacConnect), "j {daemon_name} {daemon_addr} v _");
  Message m = sampleMessage();
  m.macros = {{"j", "mx.local"}, {"{daemon_name}", "smtpd"}, {"i", "Q1"}, {"{auth_type}", "PLAIN"}};
  c->send(m);
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  auto pk = f.received();
  EXPECT_EQ(macroMap(*macroPacket(pk, kConnect)),
            (std::map<std::string, std::string>{
                {"j", "mx.local"}, {"{daemon_name}", "smtpd"}, {"_", "client.example [192.0.2.1]"}}));
  EXPECT_EQ(macroMap(*macroPacket(pk, kMail)),
            (std::map<std::string, std::string>{
                {"i", "Q1"}, {"{auth_type}", "PLAIN"}, {"{mail_addr}", "alice@example.org"}}));
  EXPECT_EQ(macroMap(*macroPacket(pk, kData)), (std::map<std::string, std::string>{{"i", "Q1"}}));
  EXPECT_EQ(macroMap(*macroPacket(pk, kEndOfHeaders)), (std::map<std::string, std::string>{{"i", "Q1"}}));
}

TEST(ClientConnectInfo, EncodesFamilyPortAndAddress) {
  struct Case { std::string addr, name; char family; std::string wireName; };
  for (const auto& tc : std::vector<Case>{{"192.0.2.7", "c.example", '4', "c.example"},
                                          {"2001:db8::5", "unknown", '6', "[2001:db8::5]"},
                                          {"/var/run/x.sock", "local", 'L', "local"},
                                          {"", "unknown", 'U', "unknown"}}) {
    FakeMilter f({}, nullptr);
    auto c = connectTo(f);
    ASSERT_NE(c, nullptr);
    Message m = sampleMessage();
    m.clientAddr = tc.addr;
    m.clientName = tc.name;
    m.clientPort = 2525;
    c->send(m);
    c->quit();
    ASSERT_TRUE(f.waitClosed());
    auto conn = f.received(kConnect);
    ASSERT_EQ(conn.size(), 1u);
    Reader r(conn[0].data);
    EXPECT_EQ(r.str(), tc.wireName);
    EXPECT_EQ(r.byte(), tc.family);
    if (tc.family != 'U') {
      EXPECT_EQ(r.u16(), tc.family == 'L' ? 0 : 2525);
      EXPECT_EQ(r.str(), tc.addr);
    }
    EXPECT_TRUE(r.done()) << tc.addr;
  }
}

std::vector<std::string> sentHeaderValues(uint32_t protocol) {
  FakeMilter::Config cfg;
  cfg.protocol = protocol;
  FakeMilter f(cfg, nullptr);
  auto c = connectTo(f);
  Message m = sampleMessage();
  m.headers = {{"Subject", " two spaces"}, {"X-Folded", "first\r\n\tsecond"}, {"X-Empty", ""}};
  EXPECT_EQ(c->send(m).action, Action::Continue);
  c->quit();
  EXPECT_TRUE(f.waitClosed());
  std::vector<std::string> values;
  for (const auto& p : f.received(kHeader)) {
    auto s = cstrings(p.data);
    EXPECT_EQ(s.size(), 2u);
    values.push_back(s.size() == 2 ? s[1] : "?");
  }
  return values;
}

TEST(ClientHeaders, LeadingSpaceOnlyWhenNegotiated) {
  EXPECT_EQ(sentHeaderValues(0), (std::vector<std::string>{" two spaces", "first\n\tsecond", ""}));
  EXPECT_EQ(sentHeaderValues(kHeaderLeadingSpace),
            (std::vector<std::string>{"  two spaces", " first\n\tsecond", ""}));
}

std::vector<Packet> bodyPackets(const std::string& body, size_t chunk) {
  FakeMilter f({}, nullptr);
  auto c = connectTo(f);
  Message m = sampleMessage();
  m.body = body;
  m.chunkSize = chunk;
  EXPECT_EQ(c->send(m).action, Action::Continue);
  c->quit();
  EXPECT_TRUE(f.waitClosed());
  return f.received(kBody);
}

std::string bigBody() {
  std::string body;
  for (int i = 0; body.size() < 200000; ++i) body += "body line " + std::to_string(i) + " xxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
  return body.substr(0, 200000);
}

TEST(ClientBody, TwoHundredKilobytesInChunksOfAtMost65535) {
  std::string body = bigBody();
  auto packets = bodyPackets(body, 65535);
  ASSERT_EQ(packets.size(), 4u);
  std::string joined;
  for (const auto& p : packets) {
    EXPECT_LE(p.data.size(), 65535u);
    joined += p.data;
  }
  EXPECT_EQ(joined, body);
  EXPECT_EQ(packets[0].data.size(), 65535u);
}

TEST(ClientBody, ConfigurableChunkSizeAndClamp) {
  std::string body = bigBody();
  auto small = bodyPackets(body, 1000);
  ASSERT_EQ(small.size(), 200u);
  EXPECT_EQ(small[199].data, body.substr(199000));
  auto clamped = bodyPackets(body, 100000);
  ASSERT_EQ(clamped.size(), 4u);
  EXPECT_EQ(clamped[0].data.size(), 65535u);
  EXPECT_TRUE(bodyPackets("", 65535).empty());
}

TEST(ClientBody, SkipStopsFurtherChunks) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kBody) return FakeMilter::reply(kSkip);
    if (p.cmd == kEndOfBody) return FakeMilter::reply(kAccept);
    return std::nullopt;
  });
  auto c = connectTo(f);
  Message m = sampleMessage();
  m.body = bigBody();
  Result r = c->send(m);
  EXPECT_EQ(r.action, Action::Accept);
  EXPECT_EQ(r.stage, "eom");
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  EXPECT_EQ(f.received(kBody).size(), 1u);
  EXPECT_EQ(f.received(kEndOfBody).size(), 1u);
}

TEST(ClientFlags, NoSendFlagsSkipEventsButConnectMacrosStillGo) {
  FakeMilter::Config cfg;
  cfg.protocol = kNoConnect | kNoHelo | kNoHeaders | kNoEoh | kNoBody | kNoData;
  cfg.macroLists = {{kMacConnect, "j"}};
  FakeMilter f(cfg, nullptr);
  auto c = connectTo(f);
  Message m = sampleMessage();
  m.macros = {{"j", "mx.local"}};
  EXPECT_EQ(c->send(m).action, Action::Continue);
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  auto pk = f.received();
  // As Postfix: macros of a skipped command are still sent; the command itself is not.
  EXPECT_NE(macroPacket(pk, kConnect), nullptr);
  std::string cmds;
  for (const auto& p : pk)
    if (p.cmd != kMacro) cmds.push_back(p.cmd);
  EXPECT_EQ(cmds, "OMREAQ");
}

TEST(ClientFlags, NoReplyFlagsAreHonoured) {
  FakeMilter::Config cfg;  // the fake stays silent for these events
  cfg.protocol = kNrConnect | kNrHelo | kNrMail | kNrRcpt | kNrData | kNrHeader | kNrEoh | kNrBody;
  FakeMilter f(cfg, [](const Packet& p) -> std::optional<std::string> {
    return p.cmd == kEndOfBody ? std::optional(FakeMilter::reply(kAccept)) : std::nullopt;
  });
  Client::Options o;
  o.timeout = std::chrono::milliseconds(3000);
  std::string err;
  auto c = Client::connect(f.spec(), o, &err);
  ASSERT_NE(c, nullptr) << err;
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::Accept) << r.replyText;
  EXPECT_EQ(r.stage, "eom");
}

TEST(ClientVerdicts, RejectAtRcptEndsTheTransaction) {
  int rcpts = 0;
  FakeMilter f({}, [&rcpts](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kRcpt && ++rcpts == 1) return FakeMilter::reply(kReject);
    return std::nullopt;
  });
  auto c = connectTo(f);
  Message m = sampleMessage();
  m.rcpts = {"<bob@example.com>", "<carol@example.com>"};
  Result r = c->send(m);
  EXPECT_EQ(r.action, Action::Reject);
  EXPECT_EQ(r.stage, "rcpt");
  EXPECT_EQ(r.replyText, "550 5.7.1 Command rejected");
  EXPECT_EQ(r.finalHeaders, m.headers);
  // The same connection carries the next transaction.
  Result r2 = c->send(m);
  EXPECT_EQ(r2.action, Action::Continue);
  EXPECT_EQ(r2.stage, "eom");
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  std::string cmds;
  for (const auto& p : f.received())
    if (p.cmd != kMacro) cmds.push_back(p.cmd);
  EXPECT_EQ(cmds, "OCHMRAMRRTLLLNBEAQ");
}

TEST(ClientVerdicts, TempFailAtMailAndReplyCodes) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kMail) return FakeMilter::reply(kTempFail);
    return std::nullopt;
  });
  auto c = connectTo(f);
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::TempFail);
  EXPECT_EQ(r.stage, "mail");
  EXPECT_EQ(r.replyText, "451 4.7.1 Service unavailable - try again later");
}

TEST(ClientVerdicts, ReplyCodeTextAndPercentHandling) {
  std::string text("550 5.7.1 100%% sure\0", 21);
  FakeMilter f({}, [&](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kEndOfBody) return FakeMilter::reply(kReplyCode, text);
    return std::nullopt;
  });
  auto c = connectTo(f);
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::ReplyCode);
  EXPECT_EQ(r.stage, "eom");
  EXPECT_EQ(r.replyText, "550 5.7.1 100% sure");
}

TEST(ClientVerdicts, ConnectionLevelVerdictIsRepeatedWithoutTalking) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kHelo) return FakeMilter::reply(kReject);
    return std::nullopt;
  });
  auto c = connectTo(f);
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::Reject);
  EXPECT_EQ(r.stage, "helo");
  EXPECT_FALSE(c->isOpen());
  Result again = c->send(sampleMessage());
  EXPECT_EQ(again.action, Action::Reject);
  EXPECT_EQ(again.stage, "helo");
  ASSERT_TRUE(f.waitClosed());
  EXPECT_EQ(f.received(kMail).size(), 0u);
}

TEST(ClientVerdicts, AcceptAtMailSkipsTheRestOfTheMessage) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kMail) return FakeMilter::reply(kAccept);
    return std::nullopt;
  });
  auto c = connectTo(f);
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::Accept);
  EXPECT_EQ(r.stage, "mail");
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  std::string cmds;
  for (const auto& p : f.received())
    if (p.cmd != kMacro) cmds.push_back(p.cmd);
  EXPECT_EQ(cmds, "OCHMAQ");
}

TEST(ClientSession, SeveralMessagesOneConnectionAndExplicitAbort) {
  FakeMilter f({}, nullptr);
  auto c = connectTo(f);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c->send(sampleMessage()).action, Action::Continue);
  c->abortTransaction();
  c->quit();
  EXPECT_FALSE(c->isOpen());
  ASSERT_TRUE(f.waitClosed());
  EXPECT_EQ(f.received(kConnect).size(), 1u);
  EXPECT_EQ(f.received(kHelo).size(), 1u);
  EXPECT_EQ(f.received(kMail).size(), 3u);
  EXPECT_EQ(f.received(kEndOfBody).size(), 3u);
  EXPECT_EQ(f.received(kAbort).size(), 4u);
  EXPECT_EQ(f.received(kQuit).size(), 1u);
}

TEST(ClientSession, MailAndRcptArguments) {
  FakeMilter f({}, nullptr);
  auto c = connectTo(f);
  Message m = sampleMessage();
  m.mailFrom = "";
  m.mailArgs = {"BODY=8BITMIME", "SIZE=100"};
  m.rcpts = {"dave@example.net"};
  c->send(m);
  c->quit();
  ASSERT_TRUE(f.waitClosed());
  EXPECT_EQ(cstrings(f.received(kMail).at(0).data), (std::vector<std::string>{"<>", "BODY=8BITMIME", "SIZE=100"}));
  EXPECT_EQ(cstrings(f.received(kRcpt).at(0).data), (std::vector<std::string>{"<dave@example.net>"}));
}

}  // namespace
}  // namespace am::milter_client::testing
