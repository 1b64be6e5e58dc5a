// filter/milter/listener.h — the milter listening socket: socket specs in libmilter form
// (unix:/path, local:/path, inet:PORT@ADDR, inet6:PORT@ADDR; ADDR may be a name or [v6]),
// opening (unix: a missing parent directory created with mode 0750, a socket another process still
// accepts on refused, a stale one replaced, any other file left alone, mode from the configured
// umask; TCP: SO_REUSEADDR and TCP_NODELAY; always close-on-exec and non-blocking) and accepting
// (accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; accepted TCP connections inherit TCP_NODELAY from the
// listener). The server waits for readiness in epoll (server.cpp), never in accept().
// Ownership: UniqueFd owns one descriptor. Functions are thread-safe except openListener, which
// changes the process umask around bind() (call it at start-up).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace am::milter {

using am::UniqueFd;

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
};

// Gets a unix socket path ready for bind(), for our server and for the libmilter adapter alike:
// creates a missing parent directory (mode 0750; only the last component), refuses a path where a
// process still accepts connections or a file that is not a socket, and removes a stale socket (one
// nobody accepts on: a crashed instance left it). Returns a lock on the parent directory (invalid
// if it could not be opened) to hold until bind() is done; nullopt with *err on refusal.
std::optional<UniqueFd> claimUnixPath(const std::string& path, std::string* err);

// Opens and listens (non-blocking). Returns nullopt with *err on failure.
std::optional<Listener> openListener(const ListenSpec& spec, unsigned umask, std::string* err);

// Removes the unix socket file if it is still the one we created.
void removeSocketFile(const Listener& l);

// accept4(SOCK_NONBLOCK | SOCK_CLOEXEC); TCP connections have TCP_NODELAY from the listener. Returns -1 with errno
// on failure (EAGAIN: nothing to accept).
// `peer` gets "ADDR:PORT" or "unix".
int acceptConnection(const Listener& l, std::string* peer);

}  // namespace am::milter
