// tests/postfix/dns_fault_proxy.cpp — see dns_fault_proxy.h. One worker thread owns both sockets
// (the listening one on 127.0.0.1:port and the one towards the upstream), the table of forwarded
// queries and the queue of late answers; other threads only post a mode and read counters.
#include "tests/postfix/dns_fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <random>
#include <vector>

namespace am::postfix_test {

namespace {
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// The end of the question section (header + one question), or 0 when the query is malformed.
size_t questionEnd(const uint8_t* q, size_t n) {
  if (n < 12) return 0;
  size_t p = 12;
  while (p < n && q[p] != 0) {
    if (q[p] >= 64) return 0;  // queries carry no compression
    p += q[p] + 1;
  }
  p += 1 + 4;  // the root label, QTYPE, QCLASS
  return p <= n ? p : 0;
}

// The query's header and question, turned into a reply header with `rcode` and no records.
Bytes replyHead(const uint8_t* q, size_t n, uint8_t rcode) {
  size_t end = questionEnd(q, n);
  Bytes r(q, q + (end ? end : 12));
  r[2] = static_cast<uint8_t>(0x80 | (q[2] & 0x79));  // QR, opcode and RD kept
  r[3] = static_cast<uint8_t>(0x80 | rcode);          // RA
  r[4] = 0;
  r[5] = end ? 1 : 0;
  for (int i = 6; i < 12; ++i) r[i] = 0;
  return r;
}
}  // namespace

struct DnsFaultProxy::State {
  std::mutex mu;
  std::condition_variable applied;
  Mode desired = Mode::Forward;
  uint64_t desiredSeq = 0, appliedSeq = 0;
  std::string bindError;

  int listenFd = -1, upstreamFd = -1;
  Mode mode = Mode::Forward;  // worker only
  struct Pending {
    sockaddr_in client;
    uint8_t id[2];
    Clock::time_point sent;
  };
  std::map<uint16_t, Pending> pending;  // by the id we used upstream
  uint16_t nextId = 1;
  struct Late {
    Clock::time_point due;
    sockaddr_in client;
    Bytes answer;
  };
  std::deque<Late> late;  // constant delay: ordered by due
  std::mt19937 rng{20261123};
  unsigned garbageTurn = 0;

  std::atomic<uint64_t> queries{0}, forwarded{0}, delayed{0}, servfail{0}, garbage{0}, closedSwitches{0};
};

const char* DnsFaultProxy::modeName(Mode m) {
  switch (m) {
    case Mode::Forward: return "forward";
    case Mode::Closed: return "closed";
    case Mode::Slow: return "slow";
    case Mode::ServFail: return "servfail";
    case Mode::Garbage: return "garbage";
  }
  return "?";
}

std::unique_ptr<DnsFaultProxy> DnsFaultProxy::start(uint16_t upstreamPort, std::chrono::milliseconds delay,
                                                    std::string* err) {
  std::unique_ptr<DnsFaultProxy> p(new DnsFaultProxy());
  p->st_ = std::make_unique<State>();
  p->upstream_ = upstreamPort;
  p->delay_ = delay;
  if (!p->bindListen(err)) return nullptr;
  p->st_->upstreamFd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in any = loopback(0);
  if (p->st_->upstreamFd < 0 || bind(p->st_->upstreamFd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
    *err = std::string("upstream socket: ") + std::strerror(errno);
    return nullptr;
  }
  p->worker_ = std::thread([raw = p.get()] { raw->run(); });
  return p;
}

DnsFaultProxy::~DnsFaultProxy() {
  stop_ = true;
  if (worker_.joinable()) worker_.join();
  if (st_) {
    if (st_->listenFd >= 0) close(st_->listenFd);
    if (st_->upstreamFd >= 0) close(st_->upstreamFd);
  }
}

// The lowest ephemeral port: ports below it are never handed out by the kernel for port 0.
uint16_t ephemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 32768;
  in >> low;
  return static_cast<uint16_t>(low > 11000 && low < 65536 ? low : 32768);
}

// The first time, a free port BELOW the ephemeral range: while the proxy is Closed its port is
// free, and an ephemeral one could be taken meanwhile by any socket bound to port 0 (authmilter's
// resolver opens such sockets all the time). Later binds take the same port again.
bool DnsFaultProxy::bindListen(std::string* err) {
  const bool first = port_ == 0;
  const uint16_t low = ephemeralLow();
  std::mt19937 rng(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < (first ? 50 : 1); ++attempt) {
    uint16_t port = first ? static_cast<uint16_t>(low - 10000 + rng() % 9999) : port_;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return *err = std::string("socket: ") + std::strerror(errno), false;
    sockaddr_in a = loopback(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      port_ = port;
      st_->listenFd = fd;
      return true;
    }
    *err = "bind 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    close(fd);
  }
  return false;
}

bool DnsFaultProxy::setMode(Mode m, std::string* err) {
  std::unique_lock<std::mutex> lock(st_->mu);
  st_->desired = m;
  uint64_t seq = ++st_->desiredSeq;
  if (!st_->applied.wait_for(lock, std::chrono::seconds(5), [&] { return st_->appliedSeq >= seq; }))
    return *err = "the DNS proxy did not switch modes within 5 s", false;
  if (!st_->bindError.empty()) return *err = st_->bindError, false;
  return true;
}

DnsFaultProxy::Counts DnsFaultProxy::counts() const {
  Counts c;
  c.queries = st_->queries;
  c.forwarded = st_->forwarded;
  c.delayed = st_->delayed;
  c.servfail = st_->servfail;
  c.garbage = st_->garbage;
  c.closedSwitches = st_->closedSwitches;
  return c;
}

void DnsFaultProxy::run() {
  State& s = *st_;
  uint8_t buf[4096];
  while (!stop_) {
    {  // apply a posted mode
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.appliedSeq != s.desiredSeq) {
        s.mode = s.desired;
        s.bindError.clear();
        if (s.mode == Mode::Closed && s.listenFd >= 0) {
          close(s.listenFd);
          s.listenFd = -1;
          ++s.closedSwitches;
        } else if (s.mode != Mode::Closed && s.listenFd < 0) {
          std::string err;
          for (int i = 0; i < 20 && !bindListen(&err); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
          if (s.listenFd < 0) s.bindError = err;
        }
        s.appliedSeq = s.desiredSeq;
        s.applied.notify_all();
      }
    }
    pollfd fds[2] = {{s.upstreamFd, POLLIN, 0}, {s.listenFd, POLLIN, 0}};
    int timeout = 20;
    if (!s.late.empty()) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.late.front().due - Clock::now()).count();
      timeout = static_cast<int>(std::max<long long>(0, std::min<long long>(timeout, ms)));
    }
    int n = poll(fds, s.listenFd >= 0 ? 2 : 1, timeout);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      ssize_t got;
      while ((got = recv(s.upstreamFd, buf, sizeof buf, 0)) > 0) onUpstream(buf, static_cast<size_t>(got), s.mode);
    }
    if (n > 0 && s.listenFd >= 0 && (fds[1].revents & POLLIN)) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t got;
      while ((got = recvfrom(s.listenFd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len)) > 0) {
        onQuery(buf, static_cast<size_t>(got), &from, len, s.mode);
        len = sizeof from;
      }
    }
    sendDue();
    // Forwarded queries the upstream never answered (it was stopped) are forgotten after 10 s.
    for (auto it = s.pending.begin(); it != s.pending.end();)
      it = Clock::now() - it->second.sent > std::chrono::seconds(10) ? s.pending.erase(it) : std::next(it);
  }
}

void DnsFaultProxy::onQuery(const uint8_t* q, size_t n, const void* from, unsigned, Mode mode) {
  State& s = *st_;
  ++s.queries;
  if (n < 12) return;
  const auto* client = static_cast<const sockaddr_in*>(from);
  auto reply = [&](const Bytes& r) {
    sendto(s.listenFd, r.data(), r.size(), 0, reinterpret_cast<const sockaddr*>(client), sizeof *client);
  };
  if (mode == Mode::ServFail) {
    ++s.servfail;
    return reply(replyHead(q, n, 2));
  }
  if (mode == Mode::Garbage) {
    ++s.garbage;
    Bytes r = replyHead(q, n, 0);
    switch (s.garbageTurn++ % 5) {
      case 0: {  // random bytes, sometimes shorter than a header
        r.resize(1 + s.rng() % 60);
        for (auto& b : r) b = static_cast<uint8_t>(s.rng());
        break;
      }
      case 1: r[7] = 5; break;  // ANCOUNT 5, no answers follow
      case 2: {                 // one answer whose owner name points at itself
        r[7] = 1;
        uint16_t self = static_cast<uint16_t>(r.size());
        r.push_back(static_cast<uint8_t>(0xC0 | (self >> 8)));
        r.push_back(static_cast<uint8_t>(self & 0xFF));
        const uint8_t tail[] = {0, 16, 0, 1, 0, 0, 0, 60, 0, 4, 3, 'a', 'b', 'c'};
        r.insert(r.end(), tail, tail + sizeof tail);
        break;
      }
      case 3: r[0] ^= 0x5A; break;  // not the id that was asked
      case 4:                       // the right id, another question
        if (r.size() > 13) r[13] = static_cast<uint8_t>(r[13] == 'z' ? 'y' : 'z');
        break;
    }
    return reply(r);
  }
  // Forward and Slow: relay under an id of ours.
  uint16_t id = s.nextId++;
  State::Pending p{*client, {q[0], q[1]}, Clock::now()};
  s.pending[id] = p;
  Bytes fwd(q, q + n);
  fwd[0] = static_cast<uint8_t>(id >> 8);
  fwd[1] = static_cast<uint8_t>(id & 0xFF);
  sockaddr_in up = loopback(upstream_);
  sendto(s.upstreamFd, fwd.data(), fwd.size(), 0, reinterpret_cast<sockaddr*>(&up), sizeof up);
}

void DnsFaultProxy::onUpstream(const uint8_t* a, size_t n, Mode mode) {
  State& s = *st_;
  if (n < 12) return;
  uint16_t id = static_cast<uint16_t>((a[0] << 8) | a[1]);
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return;
  Bytes r(a, a + n);
  r[0] = it->second.id[0];
  r[1] = it->second.id[1];
  sockaddr_in client = it->second.client;
  s.pending.erase(it);
  if (mode == Mode::Slow) {
    ++s.delayed;
    s.late.push_back({Clock::now() + delay_, client, std::move(r)});
    return;
  }
  if (s.listenFd < 0) return;
  ++s.forwarded;
  sendto(s.listenFd, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&client), sizeof client);
}

void DnsFaultProxy::sendDue() {
  State& s = *st_;
  while (!s.late.empty() && s.late.front().due <= Clock::now()) {
    auto& l = s.late.front();
    if (s.listenFd >= 0) {
      ++s.forwarded;
      sendto(s.listenFd, l.answer.data(), l.answer.size(), 0, reinterpret_cast<sockaddr*>(&l.client), sizeof l.client);
    }
    s.late.pop_front();
  }
}

}  // namespace am::postfix_test
