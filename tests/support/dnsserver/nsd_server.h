// tests/support/dnsserver/nsd_server.h — test fixture that runs a REAL authoritative DNS
// server (NLnet Labs nsd, Debian package `nsd`) on 127.0.0.1 on a free port.
//
// Everything nsd needs (nsd.conf, zone files, pid file, log, xfrd state) lives in a private
// mkdtemp directory that stop() removes. nsd runs in the foreground (-d) as the current user
// (`username: ""`), in its own process group: its server and xfrd children are signalled
// with it, by that group id only. start() returns once the server answers an SOA query for
// every zone (bounded wait). Ownership: the NsdServer object owns the nsd processes and the
// temp directory; the destructor calls stop(). Not thread-safe: use one object per thread;
// the DNS service itself may be queried from any number of threads.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace am::testing {

class NsdServer {
 public:
  struct Zone {
    std::string origin;  // "example.org" (trailing dot optional)
    // Zone-file records, names relative to the origin or absolute. When the body has no SOA
    // record, "$TTL 300", an SOA (MINIMUM 300) and an NS record are added in front of it.
    std::string body;
  };

  static std::unique_ptr<NsdServer> start(const std::vector<Zone>& zones, std::string* error);
  ~NsdServer();
  NsdServer(const NsdServer&) = delete;
  NsdServer& operator=(const NsdServer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1"; }
  pid_t pid() const { return pid_; }
  std::string log() const;  // nsd's log file, for test diagnostics

  // SIGTERM to nsd, bounded wait (5 s), then SIGKILL to its process group; removes the temp
  // directory. Idempotent.
  void stop();
  // SIGSTOP / SIGCONT to nsd's process group: a paused server receives but never answers.
  bool pause();
  bool resume();

  // TXT RDATA in zone-file syntax: quoted strings of at most 255 bytes each, with '"' and
  // '\' escaped and non-printable bytes as \DDD. "" for an empty text.
  static std::string quoteTxt(std::string_view text);

 private:
  NsdServer() = default;
  bool launch(const std::vector<Zone>& zones, std::string* error);
  bool waitUntilServing(const std::vector<Zone>& zones, std::string* error);

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
  bool exitedEarly_ = false;  // last start-up attempt ended because nsd exited
};

}  // namespace am::testing
