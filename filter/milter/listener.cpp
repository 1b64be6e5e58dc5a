// filter/milter/listener.cpp — see listener.h.
#include "filter/milter/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

namespace am::milter {

std::optional<ListenSpec> ListenSpec::parse(std::string_view spec, std::string* err) {
  ListenSpec s;
  auto colon = spec.find(':');
  std::string proto = colon == std::string_view::npos ? "" : std::string(spec.substr(0, colon));
  for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (colon == std::string_view::npos || proto == "unix" || proto == "local") {
    s.path = std::string(colon == std::string_view::npos ? spec : spec.substr(colon + 1));
    if (s.path.empty() || s.path.front() != '/') return *err = "unix socket path must be absolute", std::nullopt;
    if (s.path.size() >= sizeof(sockaddr_un::sun_path)) return *err = "unix socket path too long", std::nullopt;
    return s;
  }
  if (proto != "inet" && proto != "inet6") return *err = "unknown socket type '" + proto + "'", std::nullopt;
  s.kind = proto == "inet" ? Kind::Inet : Kind::Inet6;
  std::string_view rest = spec.substr(colon + 1);
  auto at = rest.find('@');
  s.port = std::string(rest.substr(0, at));
  if (at != std::string_view::npos) s.host = std::string(rest.substr(at + 1));
  if (s.host.size() >= 2 && s.host.front() == '[' && s.host.back() == ']') s.host = s.host.substr(1, s.host.size() - 2);
  if (s.port.empty()) return *err = "socket port missing", std::nullopt;
  if (at != std::string_view::npos && s.host.empty()) return *err = "socket address is empty", std::nullopt;
  return s;
}

namespace {

std::string sysErr(const std::string& what) { return what + ": " + std::strerror(errno); }

// What is at a unix socket path: nothing, a socket nobody accepts on (a crashed instance left it),
// a socket some process accepts on, or another kind of file.
enum class PathState { Free, Stale, InUse, NotSocket };

PathState probePath(const std::string& path, std::string* detail) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return PathState::Free;
  if (!S_ISSOCK(st.st_mode)) return PathState::NotSocket;
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe.valid()) return *detail = sysErr("socket"), PathState::InUse;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return PathState::InUse;
  if (errno == ECONNREFUSED) return PathState::Stale;
  if (errno == ENOENT) return PathState::Free;  // removed in between
  // EAGAIN: a listener whose queue is full is alive; anything else (EACCES...) is not ours to remove.
  *detail = std::strerror(errno);
  return PathState::InUse;
}

std::optional<Listener> openUnix(const ListenSpec& spec, unsigned umask, std::string* err) {
  auto lock = claimUnixPath(spec.path, err);
  if (!lock) return std::nullopt;
  Listener l;
  l.path = spec.path;
  l.fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return *err = sysErr("socket"), std::nullopt;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, spec.path.data(), spec.path.size());
  mode_t old = ::umask(static_cast<mode_t>(umask));
  int rc = ::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  int bindErrno = errno;
  ::umask(old);
  if (rc != 0) return errno = bindErrno, *err = sysErr("bind " + spec.path), std::nullopt;
  struct stat st{};
  if (::stat(spec.path.c_str(), &st) == 0) {
    l.dev = st.st_dev;
    l.ino = st.st_ino;
  }
  return l;
}

std::optional<Listener> openInet(const ListenSpec& spec, std::string* err) {
  addrinfo hints{};
  hints.ai_family = spec.kind == ListenSpec::Kind::Inet ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(spec.host.empty() ? nullptr : spec.host.c_str(), spec.port.c_str(), &hints, &res);
  if (rc != 0) return *err = "cannot resolve socket address " + spec.host + ": " + gai_strerror(rc), std::nullopt;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  Listener l;
  l.tcp = true;
  l.fd = UniqueFd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return *err = sysErr("socket"), std::nullopt;
  int one = 1;
  ::setsockopt(l.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (res->ai_family == AF_INET6) ::setsockopt(l.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  // Linux copies TCP_NODELAY from the listener to every accepted socket (tested in codec_test):
  // no end-of-message Nagle stall, and no setsockopt per connection.
  if (::setsockopt(l.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    return *err = sysErr("setsockopt TCP_NODELAY"), std::nullopt;
  if (::bind(l.fd.get(), res->ai_addr, res->ai_addrlen) != 0) return *err = sysErr("bind"), std::nullopt;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    l.port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return l;
}

}  // namespace

std::optional<UniqueFd> claimUnixPath(const std::string& path, std::string* err) {
  std::string dir = path.substr(0, std::max<size_t>(1, path.rfind('/')));
  if (::mkdir(dir.c_str(), 0750) == 0) {
    // Created here (the systemd unit's RuntimeDirectory makes it otherwise): owner and group only.
  } else if (errno != EEXIST) {
    return *err = sysErr("cannot create the socket directory " + dir), std::nullopt;
  }
  // Two instances starting together take turns: the check and the bind happen under this lock.
  // A directory we cannot open for reading is checked without it.
  UniqueFd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (lock.valid()) {
    while (::flock(lock.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  std::string detail;
  switch (probePath(path, &detail)) {
    case PathState::Free: break;
    case PathState::Stale:
      if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return *err = sysErr("cannot remove the stale socket " + path), std::nullopt;
      break;
    case PathState::InUse:
      return *err = "socket " + path + " is in use by a running process (another authmilter?)" +
                    (detail.empty() ? "" : ": " + detail) + "; refusing to take it over",
             std::nullopt;
    case PathState::NotSocket:
      return *err = path + " exists and is not a socket; refusing to remove it", std::nullopt;
  }
  return lock;
}

std::optional<Listener> openListener(const ListenSpec& spec, unsigned umask, std::string* err) {
  auto l = spec.kind == ListenSpec::Kind::Unix ? openUnix(spec, umask, err) : openInet(spec, err);
  if (!l) return std::nullopt;
  int flags = ::fcntl(l->fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(l->fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    *err = sysErr("fcntl");
    removeSocketFile(*l);
    return std::nullopt;
  }
  if (::listen(l->fd.get(), SOMAXCONN) != 0) {
    *err = sysErr("listen");
    removeSocketFile(*l);
    return std::nullopt;
  }
  return l;
}

void removeSocketFile(const Listener& l) {
  if (l.tcp || l.path.empty()) return;
  struct stat st{};
  if (::lstat(l.path.c_str(), &st) == 0 && st.st_dev == l.dev && st.st_ino == l.ino) ::unlink(l.path.c_str());
}

int acceptConnection(const Listener& l, std::string* peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int fd = ::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return fd;
  if (!l.tcp) {
    *peer = "unix";
    return fd;
  }
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  *peer = std::string(host) + ":" + std::to_string(port);
  return fd;
}

}  // namespace am::milter
