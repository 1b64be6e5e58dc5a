// filter/dns/transport.cpp — see transport.h.
#include "filter/dns/transport.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace am::dns {
namespace {

constexpr size_t kMaxUdp = 65535;

// Owns one socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

socklen_t toSockaddr(const Server& s, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (s.addr.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(s.port);
    std::memcpy(&a->sin6_addr, s.addr.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(s.port);
  std::memcpy(&a->sin_addr, s.addr.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

Fd openConnected(const Server& s, int socktype) {
  sockaddr_storage ss;
  socklen_t len = toSockaddr(s, ss);
  Fd fd(::socket(ss.ss_family, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.ok()) return fd;
  int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
  if (rc != 0 && errno != EINPROGRESS) return Fd(-1);
  return fd;
}

// Waits for `events` on fd until the deadline. 1 = ready, 0 = timeout, -1 = error.
int waitFor(int fd, short events, Deadline deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 60000)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return -1;
    if (rc == 0) continue;  // loop re-checks the deadline
    if (p.revents & (POLLERR | POLLNVAL)) return -1;
    return 1;
  }
}

// Calls op(doneSoFar) (one send or recv) until `total` bytes moved or the deadline passes.
template <class Op>
ExchangeStatus transferAll(int fd, short events, Deadline deadline, size_t total, Op op) {
  size_t done = 0;
  while (done < total) {
    ssize_t n = op(done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return ExchangeStatus::NetworkError;  // peer closed
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return ExchangeStatus::NetworkError;
    int w = waitFor(fd, events, deadline);
    if (w == 0) return ExchangeStatus::Timeout;
    if (w < 0) return ExchangeStatus::NetworkError;
  }
  return ExchangeStatus::Ok;
}

}  // namespace

Exchange udpExchange(const Server& server, std::span<const uint8_t> query, Deadline deadline,
                     const AcceptFn& accept) {
  Exchange ex;
  Fd fd = openConnected(server, SOCK_DGRAM);
  if (!fd.ok()) return ex;
  if (::send(fd.get(), query.data(), query.size(), 0) != static_cast<ssize_t>(query.size()))
    return ex;
  std::vector<uint8_t> buf(kMaxUdp);
  for (;;) {
    int w = waitFor(fd.get(), POLLIN, deadline);
    if (w == 0) {
      ex.status = ExchangeStatus::Timeout;
      return ex;
    }
    if (w < 0) return ex;  // e.g. ICMP port unreachable reported as POLLERR
    ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) return ex;
    std::span<const uint8_t> got(buf.data(), static_cast<size_t>(n));
    if (!accept(got)) continue;  // not ours (spoofed or stale): keep waiting
    buf.resize(static_cast<size_t>(n));
    ex.reply = std::move(buf);
    ex.status = ExchangeStatus::Ok;
    return ex;
  }
}

Exchange tcpExchange(const Server& server, std::span<const uint8_t> query, Deadline deadline) {
  Exchange ex;
  if (query.size() > 0xffff) return ex;
  Fd fd = openConnected(server, SOCK_STREAM);
  if (!fd.ok()) return ex;
  int w = waitFor(fd.get(), POLLOUT, deadline);  // connect completion
  if (w <= 0) {
    ex.status = w == 0 ? ExchangeStatus::Timeout : ExchangeStatus::NetworkError;
    return ex;
  }
  int soerr = 0;
  socklen_t sl = sizeof soerr;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) return ex;
  std::vector<uint8_t> out;
  out.reserve(query.size() + 2);
  out.push_back(static_cast<uint8_t>(query.size() >> 8));
  out.push_back(static_cast<uint8_t>(query.size() & 0xff));
  out.insert(out.end(), query.begin(), query.end());
  ex.status = transferAll(fd.get(), POLLOUT, deadline, out.size(), [&](size_t done) {
    return ::send(fd.get(), out.data() + done, out.size() - done, MSG_NOSIGNAL);
  });
  if (ex.status != ExchangeStatus::Ok) return ex;
  uint8_t lenBuf[2];
  ex.status = transferAll(fd.get(), POLLIN, deadline, 2, [&](size_t done) {
    return ::recv(fd.get(), lenBuf + done, 2 - done, 0);
  });
  if (ex.status != ExchangeStatus::Ok) return ex;
  size_t len = static_cast<size_t>(lenBuf[0]) << 8 | lenBuf[1];
  ex.reply.resize(len);
  ex.status = transferAll(fd.get(), POLLIN, deadline, len, [&](size_t done) {
    return ::recv(fd.get(), ex.reply.data() + done, len - done, 0);
  });
  if (ex.status != ExchangeStatus::Ok) ex.reply.clear();
  return ex;
}

}  // namespace am::dns
