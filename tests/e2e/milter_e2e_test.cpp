// tests/e2e/milter_e2e_test.cpp — the real binary end to end: negotiation, Authentication-Results,
// forged-AR removal, SPF results, DMARC disposition, signing and verifying (two signatures), bad
// input, an MTA gone mid-body, reload and graceful shutdown. nsd and authmilter run per test (see e2e_fixture.h).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "tests/e2e/e2e_fixture.h"

using namespace am::e2e;
using am::milter_client::Result;

namespace {

class E2E : public ::testing::Test {
 protected:
  Env env;
  void SetUp() override {
    std::string err = env.start();
    ASSERT_EQ(err, "");
  }
  Result run(const am::milter_client::Message& m) {
    Result r = send(env.socket, m);
    EXPECT_TRUE(r.ok()) << r.replyText << "\n" << env.milter->output();
    return r;
  }
  std::string ar(const am::milter_client::Message& m) {
    Result r = run(m);
    return ourAuthResults(r);
  }
};

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

namespace wire = am::milter_client::wire;

std::string field(const std::string& v) {
  std::string d;
  wire::putStr(d, v);
  return d;
}

// Version 6, every action, no protocol flags offered: every command below is sent and gets a reply.
std::string optneg() {
  std::string d;
  wire::putU32(d, 6);
  wire::putU32(d, wire::kAllActions);
  wire::putU32(d, 0);
  return d;
}

// The MTA side of one milter connection, packet by packet (bounded waits).
struct RawMta {
  am::UniqueFd fd;
  std::string err;
  explicit RawMta(const std::string& spec) {
    if (auto s = am::milter_client::SocketSpec::parse(spec, &err))
      fd = am::milter_client::connectSocket(*s, std::chrono::seconds(10), &err);
  }
  bool ok() const { return fd.valid(); }
  bool send(char cmd, const std::string& data = {}) {
    return am::milter_client::PacketChannel(fd.get(), std::chrono::seconds(10)).write(wire::encode(cmd, data), &err) ==
           am::milter_client::IoStatus::Ok;
  }
  // Sends a command and returns the code of the reply (0 on failure).
  char call(char cmd, const std::string& data = {}) {
    wire::Packet p;
    if (!send(cmd, data) ||
        am::milter_client::PacketChannel(fd.get(), std::chrono::seconds(20)).read(p, &err) != am::milter_client::IoStatus::Ok)
      return 0;
    return p.cmd;
  }
};

}  // namespace

TEST_F(E2E, NegotiatesAsPostfixExpects) {
  std::string err;
  auto c = am::milter_client::Client::connect(env.socket, std::chrono::seconds(10), &err);
  ASSERT_TRUE(c) << err;
  auto r = c->send(message("a@pass.e2e.test", "a@pass.e2e.test"));
  EXPECT_EQ(c->filterVersion(), 6u);
  EXPECT_TRUE(c->filterActions() & 0x01);  // SMFIF_ADDHDRS
  EXPECT_TRUE(c->filterActions() & 0x10);  // SMFIF_CHGHDRS
  EXPECT_TRUE(c->filterActions() & 0x20);  // SMFIF_QUARANTINE
  EXPECT_TRUE(c->filterProtocol() & 0x100000);  // SMFIP_HDR_LEADSPC
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
  c->quit();
}

TEST_F(E2E, SpfPassAndDmarcPassInAuthenticationResults) {
  auto r = run(message("a@pass.e2e.test", "Alice <a@pass.e2e.test>"));
  EXPECT_EQ(r.action, Result::Action::Accept);
  std::string v = ourAuthResults(r);
  ASSERT_FALSE(v.empty());
  EXPECT_TRUE(has(v, "spf=pass")) << v;
  EXPECT_TRUE(has(v, "smtp.mailfrom=pass.e2e.test")) << v;
  EXPECT_TRUE(has(v, "dkim=none")) << v;
  EXPECT_TRUE(has(v, "dmarc=pass")) << v;
  EXPECT_TRUE(has(v, "header.from=pass.e2e.test")) << v;
  // Inserted at the top, so it is the first header.
  ASSERT_FALSE(r.finalHeaders.empty());
  EXPECT_EQ(r.finalHeaders.front().first, "Authentication-Results");
}

TEST_F(E2E, SpfFailSoftfailNeutralNone) {
  EXPECT_TRUE(has(ar(message("a@fail.e2e.test", "a@fail.e2e.test")), "spf=fail"));
  EXPECT_TRUE(has(ar(message("a@soft.e2e.test", "a@soft.e2e.test")), "spf=softfail"));
  EXPECT_TRUE(has(ar(message("a@neutral.e2e.test", "a@neutral.e2e.test")), "spf=neutral"));
  EXPECT_TRUE(has(ar(message("a@nothing.e2e.test", "a@pass.e2e.test")), "spf=none"));
}

// A quoted local part with a space, expanded by %{l}: the name is asked as it is (a space is a label
// octet) and does not exist, so -all decides: fail, never a temperror the sender chose.
TEST_F(E2E, SpfMacroWithASpaceIsAskedNotATempError) {
  for (const char* sender : {"\"a b\"@macro.e2e.test", "a\\b@macro.e2e.test"}) {
    std::string v = ar(message(sender, "a@macro.e2e.test"));
    EXPECT_TRUE(has(v, "spf=fail")) << sender << ": " << v;
  }
}

TEST_F(E2E, SpfPermErrorPastTheLookupLimit) {
  EXPECT_TRUE(has(ar(message("a@perm.e2e.test", "a@perm.e2e.test")), "spf=permerror"));
}

TEST_F(E2E, SpfTempErrorWhenTheDnsServerDoesNotAnswer) {
  ASSERT_TRUE(env.dns->pause());
  auto m = message("a@tmp.e2e.test", "a@pass.e2e.test");
  Result r = send(env.socket, m);
  ASSERT_TRUE(env.dns->resume());
  ASSERT_TRUE(r.ok()) << r.replyText;
  std::string v = ourAuthResults(r);
  EXPECT_TRUE(has(v, "spf=temperror")) << v;
  // DMARC discovery also failed temporarily: the default is a temporary failure.
  EXPECT_EQ(r.action, Result::Action::ReplyCode) << r.replyText;
  EXPECT_EQ(r.replyText.substr(0, 1), "4") << r.replyText;
}

TEST_F(E2E, ForgedAuthenticationResultsAreRemoved) {
  auto m = message("a@pass.e2e.test", "a@pass.e2e.test");
  m.headers.insert(m.headers.begin(), {"Authentication-Results", "mx.e2e.test; dkim=pass header.d=bank.example"});
  m.headers.insert(m.headers.begin() + 1, {"Authentication-Results", "relay.example; spf=pass"});
  m.headers.push_back({"Authentication-Results", "  (sneaky)\n\tMX.E2E.TEST ; dmarc=pass"});
  m.headers.push_back({"Authentication-Results", "mx.e2e.test;spf=pass"});
  auto r = run(m);
  auto all = headerValues(r, "Authentication-Results");
  int ours = 0;
  for (auto& v : all) {
    if (has(v, "relay.example")) continue;
    ++ours;
    EXPECT_FALSE(has(v, "bank.example")) << v;
  }
  EXPECT_EQ(ours, 1);        // only the one we wrote
  EXPECT_EQ(all.size(), 2u);  // ours + relay.example's
}

TEST_F(E2E, DmarcRejectGets550) {
  auto r = run(message("x@evil.example", "CEO <ceo@reject.e2e.test>"));
  EXPECT_EQ(r.action, Result::Action::ReplyCode);
  EXPECT_TRUE(has(r.replyText, "550")) << r.replyText;
  EXPECT_TRUE(has(r.replyText, "5.7.1")) << r.replyText;
  EXPECT_TRUE(has(r.replyText, "reject.e2e.test")) << r.replyText;
  EXPECT_TRUE(has(env.milter->output(), "action=reject")) << env.milter->output();
}

TEST_F(E2E, DmarcQuarantineHoldsTheMessage) {
  auto r = run(message("x@evil.example", "news@quar.e2e.test"));
  EXPECT_TRUE(r.quarantined);
  EXPECT_TRUE(has(r.quarantineReason, "quar.e2e.test")) << r.quarantineReason;
  EXPECT_TRUE(has(ourAuthResults(r), "dmarc=fail")) << ourAuthResults(r);
}

TEST_F(E2E, SignsAuthenticatedMailWithBothKeysAndVerifiesBothSignatures) {
  auto out = message("alice@sign.e2e.test", "Alice <alice@sign.e2e.test>", "203.0.113.9");
  out.macros["{auth_authen}"] = "alice";
  auto signedR = run(out);
  EXPECT_EQ(signedR.action, Result::Action::Accept);
  auto sigs = headerValues(signedR, "DKIM-Signature");
  ASSERT_EQ(sigs.size(), 2u);
  bool rsa = false, ed = false;
  for (auto& s : sigs) {
    EXPECT_TRUE(has(s, "d=sign.e2e.test")) << s;
    rsa |= has(s, "s=rsa1") && has(s, "a=rsa-sha256");
    ed |= has(s, "s=ed1") && has(s, "a=ed25519-sha256");
    EXPECT_FALSE(has(s, "authentication-results")) << s;
  }
  EXPECT_TRUE(rsa && ed);

  // The same message, now arriving from outside with both signatures: two dkim=pass entries.
  auto in = message("alice@sign.e2e.test", "Alice <alice@sign.e2e.test>", "192.0.2.77");
  in.headers.clear();
  for (auto& [n, v] : signedR.finalHeaders)
    if (n != "Authentication-Results") in.headers.emplace_back(n, v.size() && v[0] == ' ' ? v.substr(1) : v);
  auto r = run(in);
  std::string v = ourAuthResults(r);
  size_t passes = 0;
  for (size_t p = v.find("dkim=pass"); p != std::string::npos; p = v.find("dkim=pass", p + 1)) ++passes;
  EXPECT_EQ(passes, 2u) << v;
  EXPECT_TRUE(has(v, "header.s=rsa1")) << v;
  EXPECT_TRUE(has(v, "header.s=ed1")) << v;
  EXPECT_TRUE(has(v, "dmarc=pass")) << v;  // aligned DKIM although SPF fails from 192.0.2.77
  EXPECT_EQ(r.action, Result::Action::Accept);

  // Changed after signing: both fail, and p=reject with SPF fail rejects it.
  in.body += "P.S. added in transit\r\n";
  auto tampered = run(in);
  EXPECT_EQ(tampered.action, Result::Action::ReplyCode) << tampered.replyText;
}

TEST_F(E2E, UnauthenticatedOutsideMailIsNotSigned) {
  auto r = run(message("alice@sign.e2e.test", "alice@sign.e2e.test", "198.51.100.20"));
  EXPECT_TRUE(headerValues(r, "DKIM-Signature").empty());
}

TEST_F(E2E, HugeHeaderAndNulBody) {
  auto m = message("a@pass.e2e.test", "a@pass.e2e.test");
  m.headers.push_back({"X-Huge", std::string(100000, 'h')});
  m.body = std::string("nul\0byte\r\n", 10) + std::string(300000, 'b') + "\r\n";
  auto r = run(m);
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
  EXPECT_TRUE(env.milter->running());
}

// An MTA that goes away in the middle of a body (raw packets, as Postfix would send them, then
// close): the binary stays up, serves the next connection, and the transaction is over — SIGTERM
// finds no message in flight to wait for (the binary logs no separate line for an abort).
TEST_F(E2E, DisconnectMidBodyEndsTheTransaction) {
  {
    RawMta mta(env.socket);
    ASSERT_TRUE(mta.ok()) << mta.err;
    ASSERT_EQ(mta.call(wire::kOptNeg, optneg()), wire::kOptNeg) << mta.err;
    std::string conn;
    wire::putStr(conn, "client.example");
    conn.push_back('4');
    wire::putU16(conn, 25025);
    wire::putStr(conn, "192.0.2.10");
    ASSERT_EQ(mta.call(wire::kConnect, conn), wire::kContinue) << mta.err;
    ASSERT_EQ(mta.call(wire::kHelo, field("client.example")), wire::kContinue) << mta.err;
    ASSERT_TRUE(mta.send(wire::kMacro, std::string(1, wire::kMail) + field("i") + field("MIDBODY1"))) << mta.err;
    ASSERT_EQ(mta.call(wire::kMail, field("<a@pass.e2e.test>")), wire::kContinue) << mta.err;
    ASSERT_EQ(mta.call(wire::kRcpt, field("<user@mx.e2e.test>")), wire::kContinue) << mta.err;
    ASSERT_EQ(mta.call(wire::kData), wire::kContinue) << mta.err;
    ASSERT_EQ(mta.call(wire::kHeader, field("From") + field("a@pass.e2e.test")), wire::kContinue) << mta.err;
    ASSERT_EQ(mta.call(wire::kEndOfHeaders), wire::kContinue) << mta.err;
    ASSERT_EQ(mta.call(wire::kBody, std::string(30000, 'x') + "\r\n"), wire::kContinue) << mta.err;
    ASSERT_TRUE(mta.send(wire::kBody, std::string(20000, 'y'))) << mta.err;  // and gone, mid-body
  }
  EXPECT_TRUE(env.milter->running()) << env.milter->output();
  auto again = run(message("a@pass.e2e.test", "a@pass.e2e.test"));
  EXPECT_EQ(again.action, Result::Action::Accept) << again.replyText;
  EXPECT_TRUE(has(ourAuthResults(again), "spf=pass")) << ourAuthResults(again);
  EXPECT_FALSE(has(env.milter->output(), "qid=MIDBODY1")) << env.milter->output();  // no verdict for it
  auto st = env.milter->stop(std::chrono::seconds(15));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->exited && st->code == 0 && !st->killed) << st->str() << "\n" << env.milter->output();
  EXPECT_FALSE(has(env.milter->output(), "ShutdownTimeout reached")) << env.milter->output();
}

TEST_F(E2E, ReloadKeepsOldPolicyWhenTheNewOneIsBad) {
  env.writePolicy(env.basePolicy() + "domain reject.e2e.test bogus-action\n");
  ASSERT_EQ(kill(env.milter->pid(), SIGHUP), 0);
  ASSERT_TRUE(waitForOutput(*env.milter, "reload failed")) << env.milter->output();
  auto r = run(message("x@evil.example", "ceo@reject.e2e.test"));
  EXPECT_EQ(r.action, Result::Action::ReplyCode);  // old policy still in force
  EXPECT_TRUE(has(env.milter->output(), "reload failed")) << env.milter->output();

  env.writePolicy(env.basePolicy() + "domain reject.e2e.test none\n");
  ASSERT_EQ(kill(env.milter->pid(), SIGHUP), 0);
  ASSERT_TRUE(waitForOutput(*env.milter, "configuration and policy reloaded")) << env.milter->output();
  EXPECT_EQ(run(message("x@evil.example", "ceo@reject.e2e.test")).action, Result::Action::Accept)
      << env.milter->output();
}

TEST_F(E2E, SigtermLetsTheMessageInFlightFinish) {
  // LogDebug shows when the binary has read MAIL FROM (its SPF lookup): the message is then in
  // flight from the binary's point of view, not only sitting unread in the socket (a connection
  // whose packets are first read after SIGTERM is a new session and gets 421).
  env.stop();
  ASSERT_EQ(env.start("LogDebug yes\n"), "");
  std::string err;
  auto c = am::milter_client::Client::connect(env.socket, std::chrono::seconds(20), &err);
  ASSERT_TRUE(c) << err;
  auto m = message("a@pass.e2e.test", "a@pass.e2e.test");
  m.body = std::string(2000000, 'x') + "\r\n";
  m.chunkSize = 1000;
  // SIGTERM after the 10th of 2000 body packets; the rest is sent once the binary has begun to stop.
  bool stopping = false;
  m.midBodyAfterPackets = 10;
  m.midBody = [&] {
    EXPECT_TRUE(waitForOutput(*env.milter, "debug=dns type=TXT name=pass.e2e.test")) << env.milter->output();
    kill(env.milter->pid(), SIGTERM);
    stopping = waitForOutput(*env.milter, "stopping: refusing new connections");
  };
  auto r = c->send(m);
  EXPECT_TRUE(stopping) << env.milter->output();
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;
  EXPECT_FALSE(ourAuthResults(r).empty());
  auto st = env.milter->wait(std::chrono::seconds(20));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->exited && st->code == 0) << st->str() << "\n" << env.milter->output();
}

TEST(E2ECheckConfig, GoodAndBadConfigurations) {
  char tmpl[] = "/tmp/am-cc-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/good.conf") << "Socket inet:8894@127.0.0.1\nSyslog no\n";
  std::ofstream(dir + "/bad.conf") << "Socket inet:8894\nSyslog yes\nBogus 1\nPolicyFile " << dir << "/p\n";
  std::ofstream(dir + "/p") << "domain example.com explode\n";
  int st = -1;
  std::string out = runCommand(std::string(AM_AUTHMILTER_BIN) + " --check-config -c " + dir + "/good.conf 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_TRUE(has(out, "configuration OK")) << out;
  out = runCommand(std::string(AM_AUTHMILTER_BIN) + " --check-config -c " + dir + "/bad.conf 2>&1", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_TRUE(has(out, dir + "/bad.conf:1: Socket:")) << out;
  EXPECT_TRUE(has(out, dir + "/bad.conf:3: unknown key 'Bogus'")) << out;
  // A config that does not parse is reported alone; fix it and the policy file's errors show.
  std::ofstream(dir + "/bad2.conf") << "PolicyFile " << dir << "/p\n";
  out = runCommand(std::string(AM_AUTHMILTER_BIN) + " --check-config -c " + dir + "/bad2.conf 2>&1", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_TRUE(has(out, dir + "/p:1:")) << out;
  // Start-up with a bad config: clear message, non-zero exit, no half-started filter.
  out = runCommand(std::string(AM_AUTHMILTER_BIN) + " -f -c " + dir + "/bad.conf 2>&1", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_TRUE(has(out, "bad.conf:3:")) << out;
  out = runCommand(std::string(AM_AUTHMILTER_BIN) + " --version", &st);
  EXPECT_EQ(st, 0);
  EXPECT_TRUE(has(out, "authmilter ")) << out;
  runCommand("rm -rf '" + dir + "'");
}
