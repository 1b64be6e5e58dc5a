// tests/dns/cli_test.cpp — the am-test-nsd CLI: starts from a zone file, prints its port,
// serves the zone, writes and removes its pid file, and exits 0 on SIGTERM. The CLI is our
// own child; it is signalled by its PID only and every wait is bounded.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "filter/dns/udp_resolver.h"

namespace am::dns {
namespace {

namespace fs = std::filesystem;

// Reads one line from fd within `ms` milliseconds ("" on timeout or EOF).
std::string readLine(int fd, int ms) {
  std::string line;
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c;
    if (::read(fd, &c, 1) != 1) break;
    if (c == '\n') return line;
    line += c;
  }
  return "";
}

// waitpid with a bound; true with *status when the child exited in time.
bool waitBounded(pid_t pid, int* status, int ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (::waitpid(pid, status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(AmTestNsdCli, ServesZoneFileAndStopsOnSigterm) {
  char tmpl[] = "/tmp/am-nsd-cli-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  std::ofstream(dir / "example.net.zone") << "@ TXT \"from the cli\"\nwww A 192.0.2.80\n";
  std::string zoneArg = "example.net=" + (dir / "example.net.zone").string();
  std::string pidfile = (dir / "cli.pid").string();

  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::execl(AM_TEST_NSD_BIN, "am-test-nsd", "--zone", zoneArg.c_str(), "--pidfile",
            pidfile.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string portLine = readLine(out[0], 15000);
  ::close(out[0]);

  TxtAnswer txt;
  bool pidfileSeen = fs::exists(pidfile);
  auto server = parseServer("127.0.0.1:" + portLine);
  if (server) {
    Options o;
    o.servers = {*server};
    o.timeout = std::chrono::milliseconds(2000);
    std::string err;
    if (auto r = UdpResolver::create(o, &err)) txt = r->txt("example.net");
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  bool exited = waitBounded(pid, &status, 10000);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  bool pidfileRemoved = !fs::exists(pidfile);
  fs::remove_all(dir);

  ASSERT_TRUE(server) << "port line: '" << portLine << "'";
  EXPECT_TRUE(pidfileSeen);
  ASSERT_EQ(txt.status, DnsStatus::Ok);
  EXPECT_EQ(txt.records, std::vector<std::string>{"from the cli"});
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(pidfileRemoved);
}

TEST(AmTestNsdCli, UsageErrorExitsTwo) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::execl(AM_TEST_NSD_BIN, "am-test-nsd", "--bogus", "x", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  bool exited = waitBounded(pid, &status, 10000);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
}  // namespace am::dns
