// tests/milterclient/process_test.cpp — the process fixture (start, capture, wait for a socket,
// stop with SIGTERM then SIGKILL) and the am-milter-client CLI run through it.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/milterclient/fake_milter.h"
#include "tests/milterclient/process.h"
#include "tests/milterclient/test_util.h"

namespace am::milter_process {
namespace {

using namespace std::chrono_literals;
using milter_client::testing::FakeMilter;
using milter_client::testing::TempDir;

TEST(Process, CapturesOutputAndExitCode) {
  std::string err;
  Process::Options o;
  o.env = {"AM_PROCESS_TEST=marker-value"};
  auto p = Process::start("/bin/sh", {"-c", "echo to-stderr \"$AM_PROCESS_TEST\" >&2; echo to-stdout; exit 3"}, o,
                          &err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_GT(p->pid(), 0);
  auto st = p->wait(20s);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->code, 3);
  EXPECT_EQ(st->str(), "exit 3");
  EXPECT_NE(p->output().find("to-stderr marker-value"), std::string::npos) << p->output();
  EXPECT_NE(p->output().find("to-stdout"), std::string::npos) << p->output();
}

TEST(Process, StopSendsSigtermFirst) {
  std::string err;
  auto p = Process::start("/bin/sleep", {"30"}, &err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_TRUE(p->running());
  auto st = p->stop(10s);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->signaled);
  EXPECT_EQ(st->signal, SIGTERM);
  EXPECT_FALSE(st->killed);
  EXPECT_FALSE(p->running());
}

TEST(Process, StopEscalatesToSigkill) {
  std::string err;
  // The shell ignores SIGTERM and spins on builtins only (no grandchild to leave behind).
  auto p = Process::start("/bin/sh", {"-c", "trap '' TERM; echo ready >&2; while :; do :; done"}, &err);
  ASSERT_NE(p, nullptr) << err;
  for (int i = 0; i < 500 && p->output().find("ready") == std::string::npos; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_NE(p->output().find("ready"), std::string::npos);
  auto st = p->stop(200ms);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->killed);
  EXPECT_TRUE(st->signaled);
  EXPECT_EQ(st->signal, SIGKILL);
}

TEST(Process, StartFailureIsReported) {
  std::string err;
  EXPECT_EQ(Process::start("/nonexistent/am-program", {}, &err), nullptr);
  EXPECT_NE(err.find("spawn"), std::string::npos) << err;
}

TEST(Process, WaitForSocketFailsWhenTheProcessExits) {
  std::string err;
  auto p = Process::start("/bin/sh", {"-c", "echo cannot-bind >&2; exit 1"}, &err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_FALSE(p->waitForSocket("unix:/nonexistent/am.sock", 20s, &err));
  EXPECT_NE(err.find("exited (exit 1)"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot-bind"), std::string::npos) << err;
}

TEST(Process, WaitForSocketTimesOut) {
  std::string err;
  auto p = Process::start("/bin/sleep", {"30"}, &err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_FALSE(p->waitForSocket("unix:/nonexistent/am.sock", 200ms, &err));
  EXPECT_NE(err.find("not accepting"), std::string::npos) << err;
}

TEST(Process, WaitForSocketSucceedsOnAListeningSocket) {
  FakeMilter f({}, nullptr);
  ASSERT_TRUE(f.ok());
  std::string err;
  auto p = Process::start("/bin/sleep", {"30"}, &err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_TRUE(p->waitForSocket(f.spec(), 10s, &err)) << err;
}

std::string writeEml(const TempDir& dir) {
  std::string path = dir.path() + "/m.eml";
  std::ofstream(path) << "From: a@example.org\nSubject: cli\nX-Old: 1\n\nbody\n";
  return path;
}

TEST(Cli, PrintsTheVerdictAndExitsZero) {
  TempDir dir;
  FakeMilter f({}, [](const milter_client::wire::Packet& p) -> std::optional<std::string> {
    if (p.cmd != milter_client::wire::kEndOfBody) return std::nullopt;
    return FakeMilter::header(milter_client::wire::kInsertHeader, 0, "X-Cli", "yes") +
           FakeMilter::header(milter_client::wire::kChangeHeader, 1, "X-Old", "") +
           FakeMilter::reply(milter_client::wire::kAccept);
  });
  std::string err;
  auto p = Process::start(AM_MILTER_CLIENT_CLI,
                          {"-s", f.spec(), "--from", "<a@example.org>", "--rcpt", "<b@example.com>", "--macro",
                           "i=Q1", "--repeat", "2", writeEml(dir)},
                          &err);
  ASSERT_NE(p, nullptr) << err;
  auto st = p->wait(60s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->str(), "exit 0") << p->output();
  std::string out = p->output();
  EXPECT_NE(out.find("message 2: action=accept stage=eom"), std::string::npos) << out;
  EXPECT_NE(out.find("change: delete index=1 X-Old"), std::string::npos) << out;
  EXPECT_NE(out.find("final headers:\n  X-Cli: yes\n  From: a@example.org\n  Subject: cli\n"), std::string::npos)
      << out;
}

TEST(Cli, UsageAndConnectionErrors) {
  TempDir dir;
  std::string err;
  auto usage = Process::start(AM_MILTER_CLIENT_CLI, {writeEml(dir)}, &err);
  ASSERT_NE(usage, nullptr) << err;
  auto st = usage->wait(60s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, 2);
  EXPECT_NE(usage->output().find("-s SOCKET is required"), std::string::npos) << usage->output();
  auto noConn = Process::start(AM_MILTER_CLIENT_CLI, {"-s", "unix:" + dir.path() + "/none.sock", writeEml(dir)}, &err);
  ASSERT_NE(noConn, nullptr) << err;
  st = noConn->wait(60s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, 1) << noConn->output();
}

}  // namespace
}  // namespace am::milter_process
