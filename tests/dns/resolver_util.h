// tests/dns/resolver_util.h — helpers shared by the UdpResolver tests against the scripted
// loopback server: options, creation, a canned A answer, and a bounded poll on a condition
// (the tests wait for what they assert on, never for a fixed time).
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "filter/dns/udp_resolver.h"
#include "tests/dns/fake_server.h"

namespace am::dns::test {

// Generous: a reply that comes, comes at once; only a loaded machine makes it slow.
inline constexpr std::chrono::milliseconds kPatient{5000};

inline Options fastOptions(std::vector<Server> servers, const Clock* clock, unsigned retries = 0) {
  Options o;
  o.servers = std::move(servers);
  o.timeout = kPatient;
  o.retries = retries;
  o.clock = clock;
  return o;
}

inline std::unique_ptr<UdpResolver> make(Options o) {
  std::string err;
  auto r = UdpResolver::create(std::move(o), &err);
  EXPECT_TRUE(r) << err;
  return r;
}

inline std::vector<Bytes> answerA(const FakeDnsServer::Query& q, const char* addr = "192.0.2.1") {
  return {FakeDnsServer::reply(q, kAa, {{q.qname, wire::type::A, 300, rdAddr(addr)}})};
}

// Polls `cond` until it holds or `bound` passes; returns its last value. For conditions
// another thread makes true (the server thread counting a datagram it has yet to read).
template <class Cond>
bool pollUntil(Cond cond, std::chrono::milliseconds bound = std::chrono::milliseconds(10000)) {
  auto end = std::chrono::steady_clock::now() + bound;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= end) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace am::dns::test
