// tests/milterclient/socket_io.cpp — see socket_io.h.
#include "tests/milterclient/socket_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace am::milter_client {

using Clock = std::chrono::steady_clock;

static void setErr(std::string* err, std::string msg) {
  if (err) *err = std::move(msg);
}

static std::optional<uint16_t> parsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::optional<SocketSpec> SocketSpec::parse(std::string_view spec, std::string* err) {
  SocketSpec s;
  auto colon = spec.find(':');
  std::string_view proto = colon == std::string_view::npos ? std::string_view{} : spec.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? spec : spec.substr(colon + 1);
  if (proto.empty() || proto == "unix" || proto == "local") {
    if (rest.empty() || rest.front() != '/') {
      setErr(err, "socket spec '" + std::string(spec) + "': expected unix:/absolute/path");
      return std::nullopt;
    }
    if (rest.size() >= sizeof(sockaddr_un::sun_path)) {
      setErr(err, "socket spec '" + std::string(spec) + "': path too long");
      return std::nullopt;
    }
    s.kind = Kind::Unix;
    s.path = std::string(rest);
    return s;
  }
  if (proto != "inet" && proto != "inet6") {
    setErr(err, "socket spec '" + std::string(spec) + "': unknown protocol '" + std::string(proto) + "'");
    return std::nullopt;
  }
  s.kind = proto == "inet" ? Kind::Inet : Kind::Inet6;
  auto at = rest.find('@');
  auto port = parsePort(rest.substr(0, at));
  if (!port) {
    setErr(err, "socket spec '" + std::string(spec) + "': bad port");
    return std::nullopt;
  }
  s.port = *port;
  std::string_view host = at == std::string_view::npos ? std::string_view{} : rest.substr(at + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = s.kind == Kind::Inet ? "127.0.0.1" : "::1";
  s.host = std::string(host);
  return s;
}

std::string SocketSpec::str() const {
  switch (kind) {
    case Kind::Unix: return "unix:" + path;
    case Kind::Inet: return "inet:" + std::to_string(port) + "@" + host;
    case Kind::Inet6: return "inet6:" + std::to_string(port) + "@[" + host + "]";
  }
  return {};
}

bool waitFd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) left = 0;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following I/O call report the error
  }
}

// Resolves host for the given family (loopback names and literals in practice).
static bool resolve(const SocketSpec& spec, sockaddr_storage& ss, socklen_t& len, std::string* err) {
  addrinfo hints{};
  hints.ai_family = spec.kind == SocketSpec::Kind::Inet ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(spec.host.c_str(), std::to_string(spec.port).c_str(), &hints, &res);
  if (rc != 0 || !res) {
    setErr(err, "cannot resolve '" + spec.host + "': " + ::gai_strerror(rc));
    return false;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  return true;
}

static bool buildAddress(const SocketSpec& spec, sockaddr_storage& ss, socklen_t& len, std::string* err) {
  std::memset(&ss, 0, sizeof ss);
  if (spec.kind != SocketSpec::Kind::Unix) return resolve(spec, ss, len, err);
  auto* un = reinterpret_cast<sockaddr_un*>(&ss);
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, spec.path.c_str(), spec.path.size() + 1);
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + spec.path.size() + 1);
  return true;
}

UniqueFd connectSocket(const SocketSpec& spec, std::chrono::milliseconds timeout, std::string* err) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!buildAddress(spec, ss, len, err)) return {};
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    setErr(err, std::string("socket: ") + std::strerror(errno));
    return {};
  }
  if (spec.kind != SocketSpec::Kind::Unix) {
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      setErr(err, "connect " + spec.str() + ": " + std::strerror(errno));
      return {};
    }
    if (!waitFd(fd.get(), POLLOUT, Clock::now() + timeout)) {
      setErr(err, "connect " + spec.str() + ": timed out");
      return {};
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
      setErr(err, "connect " + spec.str() + ": " + std::strerror(soerr));
      return {};
    }
  }
  return fd;
}

IoStatus PacketChannel::readExact(char* buf, size_t n, Clock::time_point deadline, std::string* err) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd_, buf + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) {
      setErr(err, "connection closed by filter");
      return IoStatus::Closed;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      setErr(err, std::string("read: ") + std::strerror(errno));
      return IoStatus::Error;
    }
    if (!waitFd(fd_, POLLIN, deadline)) {
      setErr(err, "timed out after " + std::to_string(timeout_.count()) + " ms waiting for the filter");
      return IoStatus::Timeout;
    }
  }
  return IoStatus::Ok;
}

IoStatus PacketChannel::read(wire::Packet& out, std::string* err) {
  auto deadline = Clock::now() + timeout_;
  unsigned char hdr[4];
  IoStatus st = readExact(reinterpret_cast<char*>(hdr), 4, deadline, err);
  if (st != IoStatus::Ok) return st;
  uint32_t len = (uint32_t{hdr[0]} << 24) | (uint32_t{hdr[1]} << 16) | (uint32_t{hdr[2]} << 8) | hdr[3];
  if (len == 0 || len > wire::kMaxPacket) {
    setErr(err, "malformed packet: length " + std::to_string(len));
    return IoStatus::Malformed;
  }
  std::string body(len, '\0');
  st = readExact(body.data(), len, deadline, err);
  if (st != IoStatus::Ok) return st;
  out.cmd = body[0];
  out.data = body.substr(1);
  return IoStatus::Ok;
}

IoStatus PacketChannel::write(std::string_view bytes, std::string* err) {
  auto deadline = Clock::now() + timeout_;
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t w = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (w > 0) {
      sent += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitFd(fd_, POLLOUT, deadline)) {
        setErr(err, "timed out after " + std::to_string(timeout_.count()) + " ms writing to the filter");
        return IoStatus::Timeout;
      }
      continue;
    }
    setErr(err, std::string("write: ") + std::strerror(errno));
    return errno == EPIPE || errno == ECONNRESET ? IoStatus::Closed : IoStatus::Error;
  }
  return IoStatus::Ok;
}

}  // namespace am::milter_client
