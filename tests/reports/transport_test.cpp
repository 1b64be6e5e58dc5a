// tests/reports/transport_test.cpp — the ReportCommand transport (reports/mail_command.cpp) with
// small shell scripts the test writes into a temporary directory: one that saves its stdin (the
// whole message arrives, arguments are split on whitespace and never seen by a shell), exit 75
// (temporary), exit 1 (permanent, its stderr in the detail and bounded), a signal, one that hangs
// past the timeout (killed by PID with what it started, reaped, the call bounded), one that exits
// without reading a large message (no SIGPIPE for us: the test process keeps the default action),
// a program that cannot be started, an ignored SIGCHLD; and sendMessage: the report message, with
// LF line endings and the To: header that `sendmail -t` reads, goes to the command.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "reports/mail.h"

using namespace am::reports;
namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct CommandTransport : ::testing::Test {
  std::string dir;
  void SetUp() override {
    ASSERT_EQ(signal(SIGPIPE, SIG_DFL), SIG_DFL);  // a write to a dead reader would kill this process
    char tmpl[] = "/tmp/am-transport-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir); }
  // Writes an executable /bin/sh script; returns its path.
  std::string script(const std::string& name, const std::string& body) {
    std::string p = dir + "/" + name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    chmod(p.c_str(), 0755);
    return p;
  }
  // A message of about `bytes` bytes, CRLF lines.
  static std::string bigMessage(size_t bytes) {
    std::string m = "To: <dmarc@example.com>\r\nSubject: big\r\n\r\n";
    while (m.size() < bytes) m += std::string(76, 'A') + "\r\n";
    return m;
  }
};

const auto kTimeout = std::chrono::seconds(20);

}  // namespace

TEST_F(CommandTransport, TheWholeMessageReachesStdinAndArgumentsAreSplitWithoutAShell) {
  std::string save = script("save.sh", "cat > \"$1\"; echo \"$2\" > \"$1.arg\"");
  const std::string msg = bigMessage(3 << 20);  // larger than a pipe buffer
  // "$HOME;x" reaches the script as one literal word: no shell expands or splits it.
  auto r = commandSend(save + "  " + dir + "/out\t$HOME;x", msg, kTimeout);
  EXPECT_TRUE(r.accepted) << r.detail;
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, save + " exited 0");
  EXPECT_EQ(readFile(dir + "/out"), msg);
  EXPECT_EQ(readFile(dir + "/out.arg"), "$HOME;x\n");
}

TEST_F(CommandTransport, ExTempfailIsTemporary) {
  std::string s = script("busy.sh", "cat >/dev/null; echo 'queue busy' >&2; exit 75");
  auto r = commandSend(s, "To: <a@example.com>\r\n\r\nhi\r\n", kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, s + " exited 75: queue busy");
}

TEST_F(CommandTransport, OtherExitCodesArePermanentWithBoundedOutputInTheDetail) {
  std::string s = script("fail.sh", "cat >/dev/null; echo 'no recipients'; "
                                    "head -c 1000000 /dev/zero | tr '\\0' x >&2; exit 1");
  auto r = commandSend(s, "Subject: no To\r\n\r\nhi\r\n", kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.detail.rfind(s + " exited 1: no recipients xxxx", 0), 0u) << r.detail.substr(0, 200);
  EXPECT_LT(r.detail.size(), s.size() + 2100);
}

TEST_F(CommandTransport, ASignalIsTemporary) {
  std::string s = script("killed.sh", "kill -TERM $$");
  auto r = commandSend(s, "To: <a@example.com>\r\n\r\nhi\r\n", kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, s + " killed by signal 15");
}

TEST_F(CommandTransport, ACommandPastTheTimeoutIsKilledReapedAndTemporary) {
  // Starts a helper of its own (as sendmail starts postdrop), writes both PIDs, then becomes a sleep
  // that never reads its stdin.
  std::string s = script("hang.sh", "sleep 600 & echo $! > \"$1.helper\"; echo $$ > \"$1\"; exec sleep 600");
  auto t0 = std::chrono::steady_clock::now();
  auto r = commandSend(s + " " + dir + "/pid", bigMessage(1 << 20), std::chrono::milliseconds(2000));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, s + " killed after 2000 ms");
  EXPECT_GE(took, std::chrono::milliseconds(2000));
  EXPECT_LT(took, std::chrono::seconds(10));
  pid_t pid = std::stoi(readFile(dir + "/pid"));
  // Killed and reaped: the PID is gone (a zombie would still accept signal 0).
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  // The helper was killed with it (its process group); reaped by init, or a zombie where init does not.
  const std::string helper = "/proc/" + readFile(dir + "/pid.helper").substr(0, readFile(dir + "/pid.helper").find('\n'));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto state = [&] {
    std::string st = readFile(helper + "/stat");
    auto p = st.rfind(')');
    return p == std::string::npos || p + 2 >= st.size() ? 'X' : st[p + 2];
  };
  while (state() != 'X' && state() != 'Z' && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(state() == 'X' || state() == 'Z') << helper << " is still running";
}

TEST_F(CommandTransport, ACommandThatExitsWithoutReadingDoesNotKillUsAndIsNotSent) {
  std::string quick = script("quick.sh", "exit 0");
  auto r = commandSend(quick, bigMessage(8 << 20), kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, quick + " exited 0 before reading the whole message");
  std::string refuse = script("refuse.sh", "echo 'message too big' >&2; exit 1");
  r = commandSend(refuse, bigMessage(8 << 20), kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.detail, refuse + " exited 1: message too big");
}

TEST_F(CommandTransport, AProgramThatCannotStartIsTemporary) {
  auto r = commandSend(dir + "/missing -t", "x\r\n", kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, "cannot start " + dir + "/missing: No such file or directory");
  r = commandSend("  ", "x\r\n", kTimeout);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.detail, "ReportCommand is empty");
}

TEST_F(CommandTransport, SendMessageUsesTheCommandWhenSetAndTheReportCarriesTheToHeader) {
  Report rep;
  rep.domain = "example.com";
  rep.reportId = "example.com-1-2";
  rep.begin = 1700000000;
  rep.end = rep.begin + 86400;
  Reporter who{"Org", "reports@mx.example.net", "gen"};
  std::string msg = reportMessage(rep, who, "dmarc@example.com", "f.xml.gz", "gzipdata", rep.end + 60);
  am::reports::Transport t;
  t.command = script("save.sh", "cat > \"$1\"") + " " + dir + "/out";
  t.relay.port = 1;  // never used: nothing listens there
  auto r = sendMessage(t, "dmarc@example.com", msg);
  EXPECT_TRUE(r.accepted) << r.detail;
  std::string got = readFile(dir + "/out");
  // LF line endings, as a local submission program reads them; nothing else changed.
  std::string lf = msg;
  for (size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.erase(p, 1);
  EXPECT_EQ(got, lf);
  EXPECT_EQ(got.find('\r'), std::string::npos);
  // The header block carries the recipient `sendmail -t` reads.
  EXPECT_NE(got.substr(0, got.find("\n\n")).find("\nTo: <dmarc@example.com>\n"), std::string::npos);
}

TEST(SplitCommand, WhitespaceSeparatesWordsAndNothingElse) {
  EXPECT_EQ(splitCommand(" /usr/sbin/sendmail  -t\t-oi \"a b\" "),
            (std::vector<std::string>{"/usr/sbin/sendmail", "-t", "-oi", "\"a", "b\""}));
  EXPECT_TRUE(splitCommand(" \t").empty());
}

// A process that ignores SIGCHLD (inherited from whoever started it) gets no exit status: the report
// is retried, and the call neither spins nor waits for the timeout.
TEST_F(CommandTransport, AnIgnoredSigchldLosesTheStatusAndIsTemporary) {
  std::string s = script("ok.sh", "cat >/dev/null; exit 0");
  auto old = signal(SIGCHLD, SIG_IGN);
  auto t0 = std::chrono::steady_clock::now();
  auto r = commandSend(s, "To: <a@example.com>\r\n\r\nhi\r\n", kTimeout);
  auto took = std::chrono::steady_clock::now() - t0;
  signal(SIGCHLD, old);
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.detail, s + ": exit status lost (SIGCHLD is ignored)");
  EXPECT_LT(took, std::chrono::seconds(10));
}
