// filter/milter/listener.h — the milter listening socket: socket specs in libmilter form
// (unix:/path, local:/path, inet:PORT@ADDR, inet6:PORT@ADDR; ADDR may be a name or [v6]),
// opening (stale unix socket removed, mode from the configured umask, SO_REUSEADDR on TCP,
// close-on-exec) and accepting (accept4 with SOCK_CLOEXEC, TCP_NODELAY on TCP connections).
// Ownership: UniqueFd owns one descriptor. Functions are thread-safe except openListener, which
// changes the process umask around bind() (call it at start-up).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace am::milter {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct ListenSpec {
  enum class Kind { Unix, Inet, Inet6 } kind = Kind::Unix;
  std::string path;  // Unix
  std::string host;  // Inet/Inet6 without brackets; empty = every address (libmilter's inet:PORT)
  std::string port;  // number or service name; "0" picks a free port (tests)
  static std::optional<ListenSpec> parse(std::string_view spec, std::string* err);
};

struct Listener {
  UniqueFd fd;
  bool tcp = false;
  uint16_t port = 0;  // TCP: the bound port
  std::string path;   // Unix: the socket file
  dev_t dev = 0;      // Unix: identity of the file we created (removed only if it is still ours)
  ino_t ino = 0;
  std::chrono::seconds ioTimeout{0};
};

// Opens and listens; accepted sockets get SO_RCVTIMEO/SO_SNDTIMEO = ioTimeout (TCP sockets inherit
// them from the listener on Linux, unix sockets do not and get them set by acceptConnection).
// Returns nullopt with *err on failure.
std::optional<Listener> openListener(const ListenSpec& spec, unsigned umask, std::chrono::seconds ioTimeout,
                                     std::string* err);

// Removes the unix socket file if it is still the one we created.
void removeSocketFile(const Listener& l);

// accept4(SOCK_CLOEXEC); sets TCP_NODELAY on TCP connections and the ioTimeout on every one. Returns -1 with errno on failure.
// `peer` gets "ADDR:PORT" or "unix".
int acceptConnection(const Listener& l, std::string* peer);

}  // namespace am::milter
