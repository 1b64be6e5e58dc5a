// tests/dns/fake_server.h — a scripted DNS server on 127.0.0.1 (UDP and TCP on one free port)
// for resolver tests that need misbehaviour a real server will not produce: wrong IDs,
// garbage, truncation, REFUSED, FORMERR to EDNS, silence.
//
// One background thread serves until destruction; the handler runs on that thread and
// returns the datagrams (or TCP messages) to send back, possibly none. Counters are atomic.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "filter/dns/transport.h"
#include "tests/dns/dns_builder.h"

namespace am::dns::test {

class FakeDnsServer {
 public:
  struct Query {
    uint16_t id = 0;
    std::string qname;
    uint16_t qtype = 0;
    bool tcp = false;
    bool edns = false;  // the query carried an additional record (OPT)
  };
  using Handler = std::function<std::vector<Bytes>(const Query&)>;

  explicit FakeDnsServer(Handler handler);
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  bool ok() const { return udp_ >= 0 && tcp_ >= 0; }
  Server server() const;
  int udpQueries() const { return udpQueries_.load(); }
  int tcpQueries() const { return tcpQueries_.load(); }

  // A reply echoing the query's ID and question.
  static Bytes reply(const Query& q, uint16_t flags, const std::vector<RrSpec>& answers = {},
                     const std::vector<RrSpec>& authority = {}) {
    return buildMessage(q.id, static_cast<uint16_t>(kQr | flags), q.qname, q.qtype, answers, authority);
  }

 private:
  void serve();
  void serveUdp();
  void serveTcp();

  Handler handler_;
  int udp_ = -1, tcp_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> udpQueries_{0}, tcpQueries_{0};
  std::thread thread_;
};

}  // namespace am::dns::test
