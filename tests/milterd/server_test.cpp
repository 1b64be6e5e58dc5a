// tests/milterd/server_test.cpp — authmilter's own milter server driven in-process by the
// project's MTA-side client (tests/milterclient): messages end to end over a unix socket and TCP,
// reject, quarantine, negotiation (no-reply stages, macro lists, MTAs that offer less), one write
// per round trip, worker reuse and idle exit, workers blocked in DNS, the I/O timeout, a peer that
// stops reading, the connection limit, stop().
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "filter/core/session.h"
#include "filter/milter/protocol.h"
#include "tests/milterd/fixture.h"

using namespace am;
using namespace am::milterd_test;
using milter_client::Result;
namespace proto = am::milter::proto;

namespace {

void expectAuthResultsAdded(const Result& r, const std::string& spfResult) {
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
  std::string ar = headerValue(r, "Authentication-Results");
  EXPECT_TRUE(has(ar, "mx.test")) << ar;
  EXPECT_TRUE(has(ar, "spf=" + spfResult)) << ar;
  ASSERT_FALSE(r.changes.empty());
  EXPECT_EQ(r.changes[0].kind, milter_client::HeaderChange::Kind::Insert);
  EXPECT_EQ(r.changes[0].index, 0);
  EXPECT_EQ(r.changes[0].value.substr(0, 1), " ");  // HDR_LEADSPC: we send the space ourselves
}

}  // namespace

TEST_F(ServerFixture, FullMessageOverUnixSocketGetsAuthenticationResults) {
  start();
  auto r = sendOne(message("a@pass.test", "Alice <a@pass.test>"));
  expectAuthResultsAdded(r, "pass");
  EXPECT_TRUE(has(headerValue(r, "Authentication-Results"), "dmarc=pass")) << headerValue(r, "Authentication-Results");
  struct stat st{};
  ASSERT_EQ(::stat((dir + "/milter.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0770u);  // mode from UMask 007
}

TEST_F(ServerFixture, FullMessageOverTcpGetsAuthenticationResults) {
  start({}, "", true);
  ASSERT_NE(server->port(), 0);
  auto r = sendOne(message("a@pass.test", "a@pass.test"));
  expectAuthResultsAdded(r, "pass");
}

TEST_F(ServerFixture, FullMessageOverIpv6FromAnIpv6Client) {
  start({}, "", true, true);
  ASSERT_NE(server->port(), 0);
  auto m = message("a@six.test", "a@six.test");
  m.clientAddr = "2001:db8::10";
  auto r = sendOne(m);
  expectAuthResultsAdded(r, "pass");  // the family-6 connect address reached SPF
  m.clientAddr = "2001:db9::10";
  EXPECT_TRUE(has(headerValue(sendOne(m), "Authentication-Results"), "spf=fail"));
}

TEST_F(ServerFixture, DmarcRejectGets550WithText) {
  start();
  auto r = sendOne(message("x@evil.example", "CEO <ceo@bank.test>"));
  EXPECT_EQ(r.action, Result::Action::ReplyCode);
  EXPECT_EQ(r.stage, "eom");
  EXPECT_TRUE(has(r.replyText, "550 5.7.1")) << r.replyText;
  EXPECT_TRUE(has(r.replyText, "bank.test")) << r.replyText;
}

TEST_F(ServerFixture, DmarcQuarantineHoldsTheMessageAndAddsHeaders) {
  start();
  auto r = sendOne(message("x@evil.example", "news@shop.test"));
  EXPECT_TRUE(r.quarantined);
  EXPECT_TRUE(has(r.quarantineReason, "shop.test")) << r.quarantineReason;
  EXPECT_TRUE(has(headerValue(r, "Authentication-Results"), "dmarc=fail"));
}

TEST_F(ServerFixture, NegotiatesNoReplyStagesMacroListsAndLeadingSpace) {
  start();
  auto c = connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->filterVersion(), 6u);
  EXPECT_EQ(c->filterActions(), proto::kActAddHeaders | proto::kActChangeHeaders | proto::kActQuarantine |
                                    proto::kActSetSymList);
  uint32_t want = proto::kHeaderLeadingSpace | proto::kNoUnknown | proto::kNoData | proto::kNrHelo | proto::kNrMail |
                  proto::kNrRcpt | proto::kNrData | proto::kNrUnknown | proto::kNrHeader | proto::kNrEoh |
                  proto::kNrBody | proto::kNrConnect;  // connect needs a reply only while draining
  EXPECT_EQ(c->filterProtocol(), want);
  const std::pair<milter_client::wire::MacroStage, core::Stage> stages[] = {
      {milter_client::wire::kMacConnect, core::Stage::Connect}, {milter_client::wire::kMacHelo, core::Stage::Helo},
      {milter_client::wire::kMacMail, core::Stage::MailFrom}, {milter_client::wire::kMacRcpt, core::Stage::Rcpt},
      {milter_client::wire::kMacEom, core::Stage::EndOfMessage}};
  for (auto [wire, stage] : stages) {
    EXPECT_TRUE(c->filterSentMacroList(wire)) << wire;
    std::string list;
    for (auto& m : core::wantedMacros(stage)) list += (list.empty() ? "" : " ") + m;
    EXPECT_EQ(c->macroList(wire), list);
  }
  // The macros arrive: the queue id from MAIL and the authenticated user make it into the result.
  auto m = message("a@pass.test", "a@pass.test");
  m.macros["{auth_authen}"] = "alice";
  auto r = c->send(m);
  EXPECT_TRUE(has(headerValue(r, "Authentication-Results"), "smtp.auth=alice")) << headerValue(r, "Authentication-Results");
}

TEST_F(ServerFixture, OneWritePerRoundTrip) {
  start();
  auto r = sendOne(message("a@pass.test", "a@pass.test"));
  ASSERT_EQ(r.action, Result::Action::Accept);
  auto st = settledStats();
  // Replies go out for option negotiation and end of message only (connect is SMFIP_NR_CONN);
  // end of message (header insert + accept) is one write.
  EXPECT_EQ(st.writes, 2u);
  // Packets: optneg, macros+connect, helo, macros+mail, macros+rcpt, 5 headers (each with the
  // eoh macro list), eoh, macros+body, macros+eom, abort, quit.
  EXPECT_GE(st.packets, 20u);
  EXPECT_LT(st.reads, st.packets);  // several packets per read
}

TEST_F(ServerFixture, SendmailStyleOfferWithoutNoReplyFlagsOrSymlists) {
  start();
  milter_client::Client::Options o;
  o.version = 6;
  o.actions = proto::kActAddHeaders | proto::kActChangeHeaders | proto::kActQuarantine;  // no SETSYMLIST
  o.protocol = 0x3ff;  // the v2 bits: NO* stages, NR_HDR, NOUNKNOWN, NODATA; no NR_* for other stages
  auto c = connect(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->filterActions(), o.actions);
  EXPECT_EQ(c->filterProtocol(), proto::kNoUnknown | proto::kNoData | proto::kNrHeader);
  EXPECT_FALSE(c->filterSentMacroList(milter_client::wire::kMacMail));
  auto r = c->send(message("a@pass.test", "a@pass.test"));
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
  EXPECT_TRUE(has(headerValue(r, "Authentication-Results"), "spf=pass"));
  auto again = c->send(message("x@evil.example", "ceo@bank.test"));  // second message, same connection
  EXPECT_EQ(again.action, Result::Action::ReplyCode) << again.replyText;
}

TEST_F(ServerFixture, OldProtocolVersionIsAnsweredWithItsOwnVersion) {
  start();
  milter_client::Client::Options o;
  o.version = 2;
  o.protocol = 0x7f;
  o.actions = proto::kActAddHeaders | proto::kActChangeHeaders;
  auto c = connect(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->filterVersion(), 2u);
  EXPECT_EQ(c->filterProtocol(), 0u);
  auto r = c->send(message("x@evil.example", "news@shop.test"));
  EXPECT_EQ(r.action, Result::Action::Accept);  // quarantine was not negotiated: not sent
  EXPECT_FALSE(r.quarantined);
  EXPECT_TRUE(has(headerValue(r, "Authentication-Results"), "dmarc=fail"));
}

TEST_F(ServerFixture, ManyConcurrentConnections) {
  start();
  constexpr int kThreads = 32, kMessages = 20;
  std::atomic<int> accepted{0}, withAr{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string err;
      milter_client::Client::Options o;
      o.timeout = std::chrono::seconds(60);
      auto c = milter_client::Client::connect(spec, o, &err);
      if (!c) return;
      for (int i = 0; i < kMessages; ++i) {
        auto m = message("a@pass.test", "a@pass.test");
        m.macros["i"] = "Q" + std::to_string(t) + "x" + std::to_string(i);
        auto r = c->send(m);
        accepted += r.action == Result::Action::Accept;
        withAr += has(headerValue(r, "Authentication-Results"), "spf=pass");
      }
      c->quit();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), kThreads * kMessages);
  EXPECT_EQ(withAr.load(), kThreads * kMessages);
  auto st = settledStats();
  EXPECT_EQ(st.accepted, static_cast<uint64_t>(kThreads));
  // One per connection + one left in accept(); a race between two workers that both emptied the
  // accept queue may start one more.
  EXPECT_LE(st.workers, static_cast<size_t>(kThreads) + 2);
  EXPECT_EQ(st.limitWaits, 0u);
  EXPECT_EQ(engine->transactionsInFlight.load(), 0);
}

TEST_F(ServerFixture, WorkersAreReusedAcrossConnections) {
  start();
  ASSERT_TRUE(eventually([&] { return server->stats().idle == 2; }));  // the two warm workers are in accept()
  for (int i = 0; i < 10; ++i) {
    auto r = sendOne(message("a@pass.test", "a@pass.test"));
    EXPECT_EQ(r.action, Result::Action::Accept);
    // Both workers are back in accept(): the one that served and the one it started.
    ASSERT_TRUE(eventually([&] { return server->stats().idle == 2; }))
        << "message " << i << ": idle " << server->stats().idle << ", workers " << server->stats().workers;
  }
  auto st = server->stats();
  EXPECT_EQ(st.accepted, 10u);
  EXPECT_EQ(st.workers, 2u);  // not one thread per connection
}

TEST_F(ServerFixture, IdleWorkersBeyondTheWarmOnesExit) {
  milter::Server::Options o;
  o.warmWorkers = 0;
  o.idleWorkerTimeout = std::chrono::seconds(1);
  start(o);
  EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
  // warmWorkers 0 still keeps one worker in accept().
  EXPECT_TRUE(eventually([&] { return server->stats().workers == 1; }));
  EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}

TEST_F(ServerFixture, AnIdleTimeoutNeverLeavesNobodyInAccept) {
  milter::Server::Options o;
  o.warmWorkers = 0;
  o.idleWorkerTimeout = std::chrono::seconds(1);
  start(o);
  auto held = connect();  // a long SMTP session keeps its worker busy
  ASSERT_TRUE(held);
  // The worker left waiting times out (more than once) and stays: it is the last one waiting.
  ASSERT_TRUE(eventually([&] { return server->stats().idleTimeouts >= 2; })) << server->stats().idleTimeouts;
  EXPECT_GE(server->stats().idle, 1u);
  milter_client::Client::Options co;
  co.timeout = std::chrono::seconds(5);
  std::string err;
  auto next = milter_client::Client::connect(spec, co, &err);  // must be accepted and negotiated
  ASSERT_TRUE(next) << err;
  EXPECT_EQ(next->send(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
  EXPECT_EQ(held->send(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}

TEST_F(ServerFixture, ConnectionLimitMakesExtraConnectionsWait) {
  milter::Server::Options o;
  o.maxConnections = 2;
  start(o);
  ASSERT_TRUE(eventually([&] { return server->stats().idle == 2; }));  // the two warm workers are in accept()
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(server->stats().limitWaits, 1u);  // the second worker found no room for a third
  // A third connection, queued by the kernel (connect() has returned) with its negotiation sent.
  int third = rawConnect(spec);
  ASSERT_GE(third, 0);
  ASSERT_TRUE(rawSend(third, optneg(6, proto::kAllActions, proto::kPostfixV6Protocol)));
  // b's message goes through the workers' event queue after the third connection's readiness: had
  // the listener been armed, that connection would have been taken first.
  EXPECT_EQ(b->send(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
  EXPECT_EQ(server->stats().accepted, 2u);  // nobody accepts while both connections are open
  a->quit();
  EXPECT_EQ(rawReadPacket(third).first, proto::kOptNeg);  // a's place goes to the waiting one (bounded)
  EXPECT_EQ(server->stats().accepted, 3u);
  ::close(third);
  EXPECT_EQ(b->send(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}

class Stall : public ServerFixture {
 protected:
  // Stalls more workers in DNS than run without evidence of blocking (one per core) and checks
  // that each stalled lookup got a worker of its own and that another message is served meanwhile.
  void expectStalledLookupsDoNotHoldUpOthers() {
    const int kBlocked = static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 2;
    std::vector<std::future<Result>> slow;
    for (int i = 0; i < kBlocked; ++i)
      slow.push_back(std::async(std::launch::async, [&] { return sendOne(message("a@slow.test", "a@slow.test")); }));
    ASSERT_TRUE(eventually([&] { return gate->waiting() == kBlocked; })) << gate->waiting();
    auto r = sendOne(message("a@pass.test", "a@pass.test"));
    EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
    EXPECT_GE(server->stats().workers, static_cast<size_t>(kBlocked) + 1);
    // ...but no more than one per core beyond the stalled ones (+1: on the monitor's path the
    // worker serving the extra message may itself count as busy for `blockedAfter`).
    const size_t cores = std::max(2u, std::thread::hardware_concurrency());
    EXPECT_LE(server->stats().workers, cores + static_cast<size_t>(kBlocked) + 1);
    gate->open();
    for (auto& f : slow) EXPECT_EQ(f.get().action, Result::Action::Accept);
    EXPECT_EQ(engine->transactionsInFlight.load(), 0);
    // Once the lookups are done the surplus workers leave: one per core remains.
    EXPECT_TRUE(eventually([&] { return server->stats().workers <= cores; })) << server->stats().workers;
    EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
  }
};

TEST_F(Stall, AWorkerAboutToQueryDnsStartsAnotherAtOnce) {
  milter::Server::Options o;
  o.blockedAfter = std::chrono::seconds(60);  // the monitor would be too late: the hint does it
  start(o);
  expectStalledLookupsDoNotHoldUpOthers();
}

TEST_F(Stall, WorkersStalledWithoutAHintGetAReplacementFromTheMonitor) {
  milter::Server::Options o;
  o.blockedAfter = std::chrono::milliseconds(20);
  gate->hint = false;  // a stall the resolver did not announce: the monitor finds it
  start(o);
  expectStalledLookupsDoNotHoldUpOthers();
}

TEST_F(ServerFixture, ASilentConnectionIsClosedAfterTheIoTimeout) {
  milter::Server::Options o;
  o.ioTimeout = std::chrono::seconds(1);
  start(o);
  int fd = rawConnect(spec);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(rawSend(fd, optneg(6, proto::kAllActions, proto::kPostfixV6Protocol)));
  EXPECT_EQ(rawReadPacket(fd).first, proto::kOptNeg);
  bool eof = false;
  EXPECT_EQ(rawReadAll(fd, 1024, &eof), "");  // nothing more is sent; the server hangs up (bounded 10 s)
  EXPECT_TRUE(eof);
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return server->stats().timeouts == 1 && server->stats().live == 0; }));
  EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}

TEST_F(ServerFixture, APeerThatStopsReadingGetsEveryReplyOnceItReadsAgain) {
  start();
  int fd = rawConnect(spec);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(rawSend(fd, optneg(6, proto::kAllActions, 0)));  // no no-reply stages: DATA takes a reply
  EXPECT_EQ(rawReadPacket(fd).first, proto::kOptNeg);
  // 1 MB of replies, more than the socket buffers hold: the server waits until the socket is
  // writable and reads nothing more meanwhile (so the sender blocks too until we read).
  constexpr size_t kPackets = 200000;
  std::string burst;
  for (size_t i = 0; i < kPackets; ++i) burst += packet(proto::kData);
  auto sender = std::async(std::launch::async, [&] { return rawSend(fd, burst); });
  // Wait until the server is stuck: replies queued for us stop growing while our sender is blocked.
  int queued = -1, before = -2;
  EXPECT_TRUE(eventually([&] {
    before = queued;
    if (::ioctl(fd, FIONREAD, &queued) != 0) return true;
    return queued > 0 && queued == before && sender.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  })) << "queued " << queued;
  bool eof = false;
  std::string got = rawReadAll(fd, kPackets * 5, &eof);
  EXPECT_TRUE(sender.get());
  ASSERT_EQ(got.size(), kPackets * 5);
  const std::string cont("\0\0\0\1c", 5);  // SMFIR_CONTINUE
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); i += 5) bad += got.compare(i, 5, cont) != 0;
  EXPECT_EQ(bad, 0u);
  ::close(fd);
  EXPECT_EQ(sendOne(message("a@pass.test", "a@pass.test")).action, Result::Action::Accept);
}

TEST_F(ServerFixture, StopReturnsPromptlyAndRemovesTheSocket) {
  start();
  auto idle = connect();  // a connection in progress does not hold stop() up
  ASSERT_TRUE(idle);
  int rc = -1;
  ASSERT_TRUE(stopServer(&rc));
  EXPECT_EQ(rc, 0);
  struct stat st{};
  EXPECT_NE(::stat((dir + "/milter.sock").c_str(), &st), 0);
  std::string err;
  EXPECT_FALSE(milter_client::Client::connect(spec, std::chrono::seconds(2), &err));
  // The connection accepted before stop() is still served.
  auto r = idle->send(message("a@pass.test", "a@pass.test"));
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
}

TEST_F(ServerFixture, StopOverTcpRefusesNewConnections) {
  start({}, "", true);
  int rc = -1;
  ASSERT_TRUE(stopServer(&rc));
  EXPECT_EQ(rc, 0);
  std::string err;
  EXPECT_FALSE(milter_client::Client::connect(spec, std::chrono::seconds(2), &err));
}

TEST_F(ServerFixture, DrainingAnswersConnectWith421) {
  start();
  engine->draining = true;
  auto c = connect();
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->filterProtocol() & proto::kNrConnect);  // while draining, connect takes a reply
  auto r = c->send(message("a@pass.test", "a@pass.test"));
  EXPECT_EQ(r.stage, "connect");
  EXPECT_TRUE(has(r.replyText, "421")) << r.replyText;
}

TEST_F(ServerFixture, DrainingThatBeginsAfterNegotiationAnswers421AtEndOfMessage) {
  start();
  auto c = connect();  // negotiated without a connect reply
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->filterProtocol() & proto::kNrConnect);
  engine->draining = true;
  auto r = c->send(message("a@pass.test", "a@pass.test"));
  EXPECT_EQ(r.stage, "eom");
  EXPECT_EQ(r.action, Result::Action::ReplyCode);
  EXPECT_TRUE(has(r.replyText, "421")) << r.replyText;
  // The MTA's abort after that transaction does not forget it: the next message gets it too.
  auto again = c->send(message("a@pass.test", "a@pass.test"));
  EXPECT_TRUE(has(again.replyText, "421")) << again.replyText;
  engine->draining = false;
}
