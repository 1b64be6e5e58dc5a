// tests/milterd/binary_test.cpp — the real authmilter binary (real nsd, the e2e environment of
// tests/e2e) with each value of `MilterServer`: both servers accept, add Authentication-Results,
// reject with 550, quarantine, and stop on SIGTERM with exit 0; both write inserted headers as the
// MTA's SMFIP_HDR_LEADSPC grant asks; a unix socket in use is refused, a stale one replaced,
// whatever else is at the path left alone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/e2e/e2e_fixture.h"

using namespace am::e2e;
using am::milter_client::Result;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

class MilterServerChoice : public ::testing::TestWithParam<std::string> {
 protected:
  Env env;
};

}  // namespace

TEST_P(MilterServerChoice, ServesMessagesAndStops) {
  ASSERT_EQ(env.start("MilterServer " + GetParam() + "\n"), "");
  // The start-up line is written just after the socket opens: wait for it (bounded).
  EXPECT_TRUE(waitForOutput(*env.milter, "server=" + GetParam())) << env.milter->output();
  std::string err;
  auto c = am::milter_client::Client::connect(env.socket, std::chrono::seconds(30), &err);
  ASSERT_TRUE(c) << err;
  auto pass = c->send(message("a@pass.e2e.test", "a@pass.e2e.test"));
  EXPECT_EQ(pass.action, Result::Action::Accept) << pass.replyText;
  EXPECT_TRUE(has(ourAuthResults(pass), "spf=pass")) << ourAuthResults(pass);
  auto reject = c->send(message("x@evil.example", "ceo@reject.e2e.test"));  // same connection
  EXPECT_EQ(reject.action, Result::Action::ReplyCode);
  EXPECT_TRUE(has(reject.replyText, "550 5.7.1")) << reject.replyText;
  auto quar = c->send(message("x@evil.example", "news@quar.e2e.test"));
  EXPECT_TRUE(quar.quarantined);
  c->quit();
  auto st = env.milter->stop(std::chrono::seconds(15));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->exited && st->code == 0) << st->str() << "\n" << env.milter->output();
  EXPECT_FALSE(st->killed);
}


// The space after "Name:" of an inserted header is the MTA's to write unless it granted
// SMFIP_HDR_LEADSPC: both servers send the value with exactly one leading space when it was
// granted and with none when it was not (an MTA that was not granted it writes "Name: " itself).
TEST_P(MilterServerChoice, InsertedHeadersFollowTheLeadingSpaceGrant) {
  ASSERT_EQ(env.start("MilterServer " + GetParam() + "\n"), "");
  for (bool offered : {true, false}) {
    SCOPED_TRACE(offered ? "SMFIP_HDR_LEADSPC offered" : "SMFIP_HDR_LEADSPC not offered");
    am::milter_client::Client::Options o;
    o.timeout = std::chrono::seconds(30);
    if (!offered) o.protocol &= ~am::milter_client::wire::kHeaderLeadingSpace;
    std::string err;
    auto c = am::milter_client::Client::connect(env.socket, o, &err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ((c->filterProtocol() & am::milter_client::wire::kHeaderLeadingSpace) != 0, offered);
    auto r = c->send(message("a@pass.e2e.test", "a@pass.e2e.test"));
    ASSERT_EQ(r.action, Result::Action::Accept) << r.replyText;
    int inserted = 0;
    for (const auto& ch : r.changes) {
      if (ch.kind != am::milter_client::HeaderChange::Kind::Insert) continue;
      ++inserted;
      ASSERT_FALSE(ch.value.empty()) << ch.name;
      if (offered) EXPECT_TRUE(ch.value[0] == ' ' && ch.value[1] != ' ') << ch.name << ":" << ch.value;
      else EXPECT_NE(ch.value[0], ' ') << ch.name << ":" << ch.value;
    }
    EXPECT_GE(inserted, 1);  // Authentication-Results at least
    EXPECT_TRUE(has(ourAuthResults(r), "spf=pass")) << ourAuthResults(r);
  }
}


// A unix socket path is one instance's: a second start on it is refused with a clear error and the
// first goes on serving; a socket left by an instance that died (SIGKILL) is replaced at the next
// start. The socket's directory does not exist beforehand: the binary creates it (mode 0750).
TEST_P(MilterServerChoice, ASocketInUseIsRefusedAndAStaleOneReplaced) {
  env.socketName = "run/authmilter.sock";
  ASSERT_EQ(env.start("MilterServer " + GetParam() + "\n"), "");
  const std::string path = env.dir + "/" + env.socketName;
  struct stat st{};
  ASSERT_EQ(::stat((env.dir + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);

  std::string err;
  auto second = am::milter_process::Process::start(AM_AUTHMILTER_BIN, {"-f", "-c", env.configPath}, &err);
  ASSERT_TRUE(second) << err;
  auto st2 = second->wait(std::chrono::seconds(20));
  ASSERT_TRUE(st2.has_value()) << "the second instance did not give up: " << second->output();
  EXPECT_TRUE(st2->exited && st2->code != 0) << st2->str();
  EXPECT_TRUE(has(second->output(), "socket " + path + " is in use")) << second->output();
  EXPECT_EQ(::stat(path.c_str(), &st), 0);  // the first one's socket file is still there...
  auto r = am::e2e::send(env.socket, message("a@pass.e2e.test", "a@pass.e2e.test"));
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText;  // ...and the first one still serves

  ASSERT_EQ(::kill(env.milter->pid(), SIGKILL), 0);
  ASSERT_TRUE(env.milter->wait(std::chrono::seconds(20)).has_value());
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << "a killed instance leaves its socket file behind";
  auto third = am::milter_process::Process::start(AM_AUTHMILTER_BIN, {"-f", "-c", env.configPath}, &err);
  ASSERT_TRUE(third) << err;
  ASSERT_TRUE(third->waitForSocket(env.socket, std::chrono::seconds(20), &err)) << err << third->output();
  r = am::e2e::send(env.socket, message("a@pass.e2e.test", "a@pass.e2e.test"));
  EXPECT_EQ(r.action, Result::Action::Accept) << r.replyText << third->output();
  auto st3 = third->stop(std::chrono::seconds(15));
  ASSERT_TRUE(st3.has_value());
  EXPECT_TRUE(st3->exited && st3->code == 0) << st3->str() << "\n" << third->output();
}

INSTANTIATE_TEST_SUITE_P(Servers, MilterServerChoice, ::testing::Values("native", "libmilter"),
                         [](const auto& info) { return info.param; });

// MaxConnections needs descriptors: under a hard open-file limit of 512 the binary lowers its
// connection limit to fit and says so; under a soft limit it can raise, it raises it.
TEST(MilterLimits, ConnectionLimitFitsTheOpenFileLimit) {
  char tmpl[] = "/tmp/am-limits-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  const std::string dir = tmpl, conf = dir + "/authmilter.conf";
  std::ofstream(conf) << "Socket unix:" << dir << "/milter.sock\nSyslog no\nAuthservID mx.test\nMaxConnections 2000\n";
  std::string err;
  auto p = am::milter_process::Process::start("/usr/bin/prlimit", {"--nofile=512:512", AM_AUTHMILTER_BIN, "-f", "-c", conf}, &err);
  ASSERT_TRUE(p) << err;
  ASSERT_TRUE(waitForOutput(*p, "listening on")) << p->output();
  EXPECT_TRUE(has(p->output(), "MaxConnections 2000 lowered to 448 to fit the open-file limit 512")) << p->output();
  auto st = p->stop(std::chrono::seconds(15));
  ASSERT_TRUE(st.has_value());

  auto q = am::milter_process::Process::start("/usr/bin/prlimit", {"--nofile=256:4096", AM_AUTHMILTER_BIN, "-f", "-c", conf}, &err);
  ASSERT_TRUE(q) << err;
  ASSERT_TRUE(waitForOutput(*q, "listening on")) << q->output();
  EXPECT_TRUE(has(q->output(), "open-file limit raised from 256 to 2064 for MaxConnections 2000")) << q->output();
  EXPECT_FALSE(has(q->output(), "lowered")) << q->output();
  ASSERT_TRUE(q->stop(std::chrono::seconds(15)).has_value());
  runCommand("rm -rf '" + dir + "'");
}

// Whatever else sits at the socket path is not the milter's to remove.
TEST(MilterSocketPath, AFileThatIsNotASocketIsLeftAlone) {
  char tmpl[] = "/tmp/am-sockpath-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  const std::string conf = std::string(tmpl) + "/authmilter.conf", path = std::string(tmpl) + "/milter.sock";
  std::ofstream(path) << "precious\n";
  std::ofstream(conf) << "Socket unix:" << path << "\nSyslog no\nAuthservID mx.test\n";
  std::string err;
  auto p = am::milter_process::Process::start(AM_AUTHMILTER_BIN, {"-f", "-c", conf}, &err);
  ASSERT_TRUE(p) << err;
  auto st = p->wait(std::chrono::seconds(20));
  ASSERT_TRUE(st.has_value()) << p->output();
  EXPECT_TRUE(st->exited && st->code != 0) << st->str();
  EXPECT_TRUE(has(p->output(), "is not a socket")) << p->output();
  std::ifstream in(path);
  std::string line;
  EXPECT_TRUE(std::getline(in, line) && line == "precious");
  runCommand("rm -rf '" + std::string(tmpl) + "'");
}
