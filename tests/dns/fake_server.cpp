// tests/dns/fake_server.cpp — see fake_server.h.
#include "tests/dns/fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "filter/dns/wire.h"

namespace am::dns::test {
namespace {

bool bindLoopback(int fd, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

bool parse(const uint8_t* data, size_t len, bool tcp, FakeDnsServer::Query& q) {
  auto p = wire::decodePreamble(std::span<const uint8_t>(data, len));
  if (!p) return false;
  q = {p->header.id, p->qname, p->qtype, tcp, p->header.arcount > 0};
  return true;
}

bool readAll(int fd, uint8_t* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::recv(fd, buf + done, len - done, 0);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

FakeDnsServer::FakeDnsServer(Handler handler) : handler_(std::move(handler)) {
  for (int tries = 0; tries < 20 && !ok(); ++tries) {
    if (udp_ >= 0) ::close(udp_);
    if (tcp_ >= 0) ::close(tcp_);
    udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (udp_ < 0 || tcp_ < 0 || !bindLoopback(udp_, 0) ||
        ::getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
        !bindLoopback(tcp_, ntohs(a.sin_port)) || ::listen(tcp_, 16) != 0) {
      ::close(udp_);
      ::close(tcp_);
      udp_ = tcp_ = -1;
      continue;
    }
    port_ = ntohs(a.sin_port);
  }
  if (ok()) thread_ = std::thread([this] { serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (udp_ >= 0) ::close(udp_);
  if (tcp_ >= 0) ::close(tcp_);
}

Server FakeDnsServer::server() const { return Server{IpAddress::v4(127, 0, 0, 1), port_}; }

void FakeDnsServer::serve() {
  while (!stop_) {
    pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
    if (::poll(fds, 2, 20) <= 0) continue;
    if (fds[0].revents & POLLIN) serveUdp();
    if (fds[1].revents & POLLIN) serveTcp();
  }
}

void FakeDnsServer::serveUdp() {
  uint8_t buf[4096];
  sockaddr_storage from{};
  socklen_t fromLen = sizeof from;
  ssize_t n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
  Query q;
  if (n <= 0 || !parse(buf, static_cast<size_t>(n), false, q)) return;
  ++udpQueries_;
  for (const auto& out : handler_(q))
    ::sendto(udp_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fromLen);
}

void FakeDnsServer::serveTcp() {
  int c = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  timeval tv{1, 0};  // a client that stalls cannot hang the server thread
  ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  uint8_t lenBuf[2];
  Query q;
  if (readAll(c, lenBuf, 2)) {
    std::vector<uint8_t> msg(static_cast<size_t>(lenBuf[0] << 8 | lenBuf[1]));
    if (readAll(c, msg.data(), msg.size()) && parse(msg.data(), msg.size(), true, q)) {
      ++tcpQueries_;
      for (const auto& out : handler_(q)) {
        Bytes framed;
        put16(framed, static_cast<uint16_t>(out.size()));
        framed.insert(framed.end(), out.begin(), out.end());
        ::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
      }
    }
  }
  ::close(c);
}

}  // namespace am::dns::test
