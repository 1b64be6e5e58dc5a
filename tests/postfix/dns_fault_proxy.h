// tests/postfix/dns_fault_proxy.h — a small UDP DNS proxy on 127.0.0.1 for fault tests: the
// resolver under test is pointed at it, and it forwards to a real upstream server (the test nsd)
// or misbehaves, by mode:
//   Forward   relays queries and answers unchanged;
//   Closed    its socket is closed, as when the server process is gone (the client gets ICMP
//             port unreachable); leaving Closed binds the same port again (it lies below the
//             kernel's ephemeral range, so no port-0 socket takes it meanwhile);
//   Slow      relays, but each answer goes back `delay` after the upstream gave it;
//   ServFail  answers every query itself with RCODE 2 (SERVFAIL);
//   Garbage   answers every query itself with junk, in turn: random bytes, a header that claims
//             five answers and has none, an answer whose name is a compression loop, a reply
//             with the wrong id, a reply for another question.
// The upstream port can be changed while it runs (a restarted nsd gets a new port).
//
// Ownership: the proxy owns its sockets and one worker thread; the destructor stops both.
// Thread-safety: setMode/setUpstream/counts may be called from any thread while it runs.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace am::postfix_test {

class DnsFaultProxy {
 public:
  enum class Mode { Forward, Closed, Slow, ServFail, Garbage };
  struct Counts {
    uint64_t queries = 0;    // queries received
    uint64_t forwarded = 0;  // answers relayed (at once or late)
    uint64_t delayed = 0;    // of those, relayed late (Slow)
    uint64_t servfail = 0;
    uint64_t garbage = 0;
    uint64_t closedSwitches = 0;  // times the socket was closed
  };

  static std::unique_ptr<DnsFaultProxy> start(uint16_t upstreamPort, std::chrono::milliseconds delay, std::string* err);
  ~DnsFaultProxy();
  DnsFaultProxy(const DnsFaultProxy&) = delete;
  DnsFaultProxy& operator=(const DnsFaultProxy&) = delete;

  uint16_t port() const { return port_; }
  // Switches the mode; returns once the worker has applied it (bounded, 5 s). False and *err
  // when the port could not be bound again after Closed.
  bool setMode(Mode m, std::string* err);
  void setUpstream(uint16_t port) { upstream_ = port; }
  Counts counts() const;

  static const char* modeName(Mode m);

 private:
  DnsFaultProxy() = default;
  void run();
  bool bindListen(std::string* err);
  void onQuery(const uint8_t* q, size_t n, const void* from, unsigned fromLen, Mode mode);
  void onUpstream(const uint8_t* a, size_t n, Mode mode);
  void sendDue();

  struct State;
  std::unique_ptr<State> st_;
  uint16_t port_ = 0;
  std::atomic<uint16_t> upstream_{0};
  std::chrono::milliseconds delay_{2000};
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

}  // namespace am::postfix_test
