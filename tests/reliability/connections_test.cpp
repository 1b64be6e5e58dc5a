// tests/reliability/connections_test.cpp — the real binary under many connections: 2,000 idle
// milter connections at once (the server holds its 1,024-connection limit, the rest wait in the
// listen queue and are served as slots free), then 10,000 connect/disconnect cycles; afterwards
// the open descriptors are exactly the baseline and resident memory is back near it.
// Measured on /proc/PID of the authmilter process (proc_stats.h).
#include <gtest/gtest.h>
#include <poll.h>

#include <cstdio>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/proc_stats.h"

using namespace am::e2e;
using namespace am::reliability;
namespace mc = am::milter_client;
namespace wire = am::milter_client::wire;

namespace {

constexpr size_t kIdle = 2000;
constexpr size_t kServerLimit = 1024;  // milter::Server::Options::maxConnections (no config key)
constexpr int kCycles = 10000;

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string optneg() {
  std::string d;
  wire::putU32(d, 6);
  wire::putU32(d, wire::kAllActions);
  wire::putU32(d, wire::kPostfixV6Protocol);
  return wire::encode(wire::kOptNeg, d);
}

class Connections : public ::testing::Test {
 protected:
  // Freed memory goes straight back to the allocator instead of ASan's 256 MB quarantine, so
  // VmRSS shows what the program keeps, not what the sanitizer holds back.
  ScopedAsanOptions asan{"quarantine_size_mb=1"};
  Env env;
  mc::SocketSpec spec;
  pid_t pid = -1;
  long baseFds = -1, baseRssKb = -1;

  void SetUp() override {
    // 2,000 client sockets here, 1,024 connections in the binary (which inherits the limit).
    ASSERT_EQ(raiseNoFile(kIdle + 1024), "");
    ASSERT_EQ(env.start(), "");
    pid = env.milter->pid();
    std::string err;
    auto s = mc::SocketSpec::parse(env.socket, &err);
    ASSERT_TRUE(s) << err;
    spec = *s;
    // Warm up: a message on each of a few connections (threads, caches, allocator arenas).
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(send(env.socket, message("a@pass.e2e.test", "a@pass.e2e.test")).ok());
    ASSERT_TRUE(settled());
    baseFds = openFds(pid);
    baseRssKb = readStatus(pid)->rssKb;
    std::printf("baseline: %ld descriptors, VmRSS %s\n", baseFds, kib(baseRssKb).c_str());
  }

  // Descriptors back at the baseline (bounded wait: closes are noticed asynchronously).
  bool settled() {
    long last = -1;
    int stable = 0;
    return eventually([&] {
      long n = openFds(pid);
      stable = n == last ? stable + 1 : 0;
      last = n;
      return (baseFds < 0 ? stable >= 20 : n == baseFds);
    });
  }

  mc::UniqueFd open(std::string* err) {
    mc::UniqueFd fd = mc::connectSocket(spec, std::chrono::seconds(10), err);
    if (fd.valid() && mc::PacketChannel(fd.get(), std::chrono::seconds(10)).write(optneg(), err) != mc::IoStatus::Ok)
      fd.reset();
    return fd;
  }

  // Reads the negotiation reply of every socket that has one ready; returns how many have had one.
  size_t collectReplies(std::vector<mc::UniqueFd>& socks, std::vector<bool>& served) {
    std::vector<pollfd> pfds;
    std::vector<size_t> idx;
    for (size_t i = 0; i < socks.size(); ++i)
      if (!served[i] && socks[i].valid()) {
        pfds.push_back({socks[i].get(), POLLIN, 0});
        idx.push_back(i);
      }
    if (!pfds.empty() && ::poll(pfds.data(), pfds.size(), 50) > 0)
      for (size_t k = 0; k < pfds.size(); ++k) {
        if (!(pfds[k].revents & POLLIN)) continue;
        wire::Packet p;
        std::string err;
        if (mc::PacketChannel(pfds[k].fd, std::chrono::seconds(10)).read(p, &err) == mc::IoStatus::Ok &&
            p.cmd == wire::kOptNeg)
          served[idx[k]] = true;
      }
    size_t n = 0;
    for (size_t i = 0; i < served.size(); ++i) n += served[i];
    return n;
  }
};

}  // namespace

TEST_F(Connections, TwoThousandIdleConnectionsThenAllClosedLeaveNoDescriptorOrMemoryBehind) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<mc::UniqueFd> socks;
  for (size_t i = 0; i < kIdle; ++i) {
    std::string err;
    socks.push_back(open(&err));
    ASSERT_TRUE(socks.back().valid()) << "connection " << i << ": " << err;
  }
  std::vector<bool> served(kIdle, false);
  // The server takes exactly its limit; the others wait in the listen queue.
  ASSERT_TRUE(eventually([&] { return collectReplies(socks, served) >= kServerLimit; }, std::chrono::seconds(60)))
      << collectReplies(socks, served);
  ASSERT_TRUE(eventually([&] { return openFds(pid) == baseFds + static_cast<long>(kServerLimit); }))
      << openFds(pid) << " descriptors";
  EXPECT_EQ(collectReplies(socks, served), kServerLimit);
  EXPECT_TRUE(waitForOutput(*env.milter, "connection limit reached: 1024")) << env.milter->output();
  long fullRss = readStatus(pid)->rssKb;
  std::printf("1024 open + 976 queued: %ld descriptors, VmRSS %s\n", openFds(pid), kib(fullRss).c_str());
  // Close the first 1,000 served: every queued connection is then served.
  size_t closed = 0;
  for (size_t i = 0; i < kIdle && closed < 1000; ++i)
    if (served[i]) {
      socks[i].reset();
      ++closed;
    }
  ASSERT_TRUE(eventually([&] {
    size_t ready = 0;
    collectReplies(socks, served);
    for (size_t i = 0; i < kIdle; ++i) ready += socks[i].valid() && served[i];
    return ready == kIdle - 1000;
  }, std::chrono::seconds(60)));
  socks.clear();
  ASSERT_TRUE(settled()) << openFds(pid) << " descriptors, baseline " << baseFds;
  long afterRss = readStatus(pid)->rssKb;
  std::printf("after closing all: %ld descriptors, VmRSS %s (baseline %s), %.1f s\n", openFds(pid),
              kib(afterRss).c_str(), kib(baseRssKb).c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  // Each open connection costs memory (its Session, buffers given back when idle); once closed,
  // what is left is allocator slack, not connections.
  EXPECT_LT(afterRss - baseRssKb, 16 * 1024) << "VmRSS grew from " << baseRssKb << " to " << afterRss << " KiB";
  // The server still works.
  EXPECT_TRUE(has(ourAuthResults(send(env.socket, message("a@pass.e2e.test", "a@pass.e2e.test"))), "spf=pass"));
}

TEST_F(Connections, TenThousandConnectDisconnectCyclesLeaveNoDescriptorOrMemoryBehind) {
  auto t0 = std::chrono::steady_clock::now();
  long rssAt2000 = -1;
  for (int i = 0; i < kCycles; ++i) {
    std::string err;
    if (i % 2 == 0) {  // negotiation, then SMFIC_QUIT
      auto c = mc::Client::connect(env.socket, std::chrono::seconds(10), &err);
      ASSERT_TRUE(c) << "cycle " << i << ": " << err;
      if (i % 100 == 0) {
        ASSERT_TRUE(c->send(message("a@pass.e2e.test", "a@pass.e2e.test")).ok()) << i;
      }
      c->quit();
    } else {  // negotiation, then the peer just goes away
      mc::UniqueFd fd = open(&err);
      ASSERT_TRUE(fd.valid()) << "cycle " << i << ": " << err;
      wire::Packet p;
      ASSERT_EQ(mc::PacketChannel(fd.get(), std::chrono::seconds(10)).read(p, &err), mc::IoStatus::Ok) << err;
    }
    if (i + 1 == 2000) {
      ASSERT_TRUE(settled());
      rssAt2000 = readStatus(pid)->rssKb;
    }
  }
  ASSERT_TRUE(settled()) << openFds(pid) << " descriptors, baseline " << baseFds;
  long rss = readStatus(pid)->rssKb;
  std::printf("%d cycles in %.1f s: %ld descriptors (baseline %ld), VmRSS %s after 2,000, %s after %d (baseline %s)\n",
              kCycles, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), openFds(pid),
              baseFds, kib(rssAt2000).c_str(), kib(rss).c_str(), kCycles, kib(baseRssKb).c_str());
  // 8,000 cycles after the first 2,000: a leak of 500 bytes per connection would show as 4 MB.
  EXPECT_LT(rss - rssAt2000, 4 * 1024) << "VmRSS grew from " << rssAt2000 << " to " << rss << " KiB";
  EXPECT_LT(rss - baseRssKb, 16 * 1024) << "VmRSS grew from " << baseRssKb << " to " << rss << " KiB";
}
