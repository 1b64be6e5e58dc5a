// tests/milterclient/socket_io.h — sockets for the milter client: libmilter socket specs,
// connecting with a deadline, and framed packet I/O where every read and write is bounded by a
// timeout (a hung peer yields an error, never a hang). SIGPIPE is never raised (MSG_NOSIGNAL).
// UniqueFd owns one descriptor. Channel objects are not thread-safe; use one per thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

#include "tests/milterclient/protocol.h"

namespace am::milter_client {

using am::UniqueFd;

// A parsed libmilter socket spec: "unix:/path", "local:/path", "/path", "inet:PORT@ADDR",
// "inet6:PORT@ADDR" (ADDR may be "[::1]" or a host name). "inet:PORT" alone means 127.0.0.1.
struct SocketSpec {
  enum class Kind { Unix, Inet, Inet6 } kind = Kind::Unix;
  std::string path;  // Unix
  std::string host;  // Inet/Inet6, without brackets
  uint16_t port = 0;
  static std::optional<SocketSpec> parse(std::string_view spec, std::string* err);
  std::string str() const;
};

// Connects (non-blocking, bounded by timeout) and returns a non-blocking descriptor. TCP sockets
// get TCP_NODELAY.
UniqueFd connectSocket(const SocketSpec& spec, std::chrono::milliseconds timeout, std::string* err);

enum class IoStatus { Ok, Timeout, Closed, Malformed, Error };

// Framed milter packets over a non-blocking descriptor (which the channel does not own).
class PacketChannel {
 public:
  PacketChannel(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  // Reads one whole packet; the complete packet must arrive within the timeout.
  // Length 0 or above wire::kMaxPacket is Malformed (nothing more is read).
  IoStatus read(wire::Packet& out, std::string* err);
  // Writes all bytes within the timeout.
  IoStatus write(std::string_view bytes, std::string* err);
  void setTimeout(std::chrono::milliseconds t) { timeout_ = t; }

 private:
  IoStatus readExact(char* buf, size_t n, std::chrono::steady_clock::time_point deadline, std::string* err);
  int fd_;
  std::chrono::milliseconds timeout_;
};

// Waits until fd is readable/writable or the deadline passes. Returns false on timeout.
bool waitFd(int fd, short events, std::chrono::steady_clock::time_point deadline);

}  // namespace am::milter_client
