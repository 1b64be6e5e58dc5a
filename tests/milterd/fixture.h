// tests/milterd/fixture.h — an in-process authmilter milter server for tests: a real core::Engine
// over an in-memory resolver and a fixed clock, a milter::Server on a unix socket in a temp dir
// (or TCP 127.0.0.1 port 0), run() on its own thread. Everything is stopped and freed in
// TearDown, with bounded waits. Also small raw-socket helpers for hostile-peer tests.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "tests/support/memorydns/memory_resolver.h"
#include "filter/core/engine.h"
#include "filter/milter/server.h"
#include "tests/milterclient/milter_client.h"

namespace am::milterd_test {

// TXT lookups of names ending in "slow.test" wait until open() (bounded, 20 s): a DNS lookup that
// stalls a worker. With `hint` they bracket the wait with am::aboutToBlock() / am::doneBlocking(),
// as the real resolver does around a query on the network.
class DnsGate {
 public:
  std::atomic<bool> hint{true};
  void open();
  void waitIfSlow(std::string_view name);
  int waiting() const { return waiting_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::atomic<int> waiting_{0};
};

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Builds the engine (extraConfig appended to a minimal config) and starts the server.
  // tcp: 127.0.0.1 port 0 (or [::1] with v6); else a unix socket in the temp dir.
  void start(milter::Server::Options opts = {}, const std::string& extraConfig = "", bool tcp = false,
             bool v6 = false);
  // Stops the server; returns whether run() returned within the bound (and its value in *rc).
  bool stopServer(int* rc = nullptr);
  std::unique_ptr<milter_client::Client> connect(milter_client::Client::Options o = {});
  milter_client::Result sendOne(const milter_client::Message& m);
  // Polls (bounded, 10 s) until pred() holds; returns pred().
  template <class P>
  bool eventually(P pred) {
    for (int i = 0; i < 1000 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return pred();
  }
  // Waits (bounded) until no connection is being served, then returns the stats.
  milter::Server::Stats settledStats();

  FixedClock clock{1700000000};
  core::Logger log;
  InMemoryResolver* dns = nullptr;
  std::shared_ptr<DnsGate> gate = std::make_shared<DnsGate>();
  std::unique_ptr<core::Engine> engine;
  std::unique_ptr<milter::Server> server;
  std::future<int> running;
  std::string dir, spec;
};

// A message from 192.0.2.10 whose MAIL FROM domain `domain` and From header domain are the same.
milter_client::Message message(const std::string& mailFrom, const std::string& from);
std::string headerValue(const milter_client::Result& r, const std::string& name);
bool has(const std::string& hay, const std::string& needle);

// Raw socket to a unix socket spec ("unix:/path"); -1 on failure. Caller closes.
int rawConnect(const std::string& spec);
bool rawSend(int fd, const std::string& bytes);
// Reads until EOF or `max` bytes or 10 s; returns what arrived. *eof tells whether the peer closed.
std::string rawReadAll(int fd, size_t max, bool* eof);
// Reads exactly one milter packet (bounded, 10 s); cmd 0 on failure.
std::pair<char, std::string> rawReadPacket(int fd);
std::string packet(char cmd, const std::string& data = "");
std::string optneg(uint32_t version, uint32_t actions, uint32_t protocol);

}  // namespace am::milterd_test
