// filter/milter/server.h — authmilter's own milter protocol server (MilterServer native), the
// alternative to libmilter (adapter.h).
//
// A small pool of worker threads shares one epoll instance holding the listening socket and every
// connection (non-blocking, EPOLLONESHOT: the worker that takes an event owns that connection until
// it re-arms it). A worker serves whatever is ready — accepts a connection, or reads a
// connection's packets, runs the core and writes the replies (serveReady) — and then takes the
// next ready event without sleeping, so under load one wake-up serves many connections. Threads
// sleep only when nothing is ready. The core may block on DNS inside a connection: the other
// workers go on, and a monitor starts one more worker when every worker is busy and one has been
// busy for `blockedAfter` (a stalled DNS lookup), up to `maxWorkers`. Idle workers beyond
// max(1, `warmWorkers`) exit after `idleWorkerTimeout`. At most `maxConnections` connections are
// open at once; further ones wait in the listen queue (a log line says so, at most every 10 s).
// A connection that completes no packet and writes nothing for `ioTimeout` is closed (a peer that
// trickles one byte at a time is cut too: partial packets do not restart the clock).
//
// Ownership: the Server owns the listening socket, the epoll instance and every connection, and
// shares the pool state with its workers (the last one frees it). Thread-safety: run() on one
// thread; stop() and stats() from any thread. The destructor stops, shuts down live connections,
// waits for every worker and frees what is left.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "filter/core/engine.h"

namespace am::milter {

struct PoolState;
struct Listener;

class Server {
 public:
  struct Options {
    std::string socketSpec;                  // libmilter form; see listener.h
    unsigned umask = 007;                    // unix socket mode
    size_t maxConnections = 1024;
    size_t warmWorkers = 2;                  // idle workers kept beyond the idle timeout
    size_t maxWorkers = 256;                 // threads, busy (also blocked in DNS) or idle
    std::chrono::seconds idleWorkerTimeout{60};
    std::chrono::seconds ioTimeout{600};     // a connection silent this long is closed (as smfi_settimeout(600))
    std::chrono::milliseconds blockedAfter{50};  // every worker busy, one this long: start another
  };
  struct Stats {
    uint64_t accepted = 0, limitWaits = 0;  // limitWaits: times the listener paused at maxConnections
    size_t workers = 0, idle = 0, live = 0;  // threads, idle threads, open connections
    uint64_t packets = 0, reads = 0, writes = 0;  // summed over finished connections
    uint64_t timeouts = 0;                         // connections closed by ioTimeout
    uint64_t idleTimeouts = 0;                     // waits of idle workers that ran out (idleWorkerTimeout)
  };

  // Opens the socket. nullptr with *err on failure.
  static std::unique_ptr<Server> create(core::Engine& engine, const Options& opts, std::string* err);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the workers and waits until stop(), watching for blocked workers and silent
  // connections meanwhile. 0 after stop(), 1 on a fatal accept or epoll error.
  int run();
  // Closes the listener and makes run() return promptly. Open connections go on being served.
  void stop();

  uint16_t port() const;  // TCP: the bound port (useful with inet:0@127.0.0.1)
  Stats stats() const;

 private:
  Server(std::shared_ptr<PoolState> pool, std::unique_ptr<Listener> listener);

  std::shared_ptr<PoolState> pool_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace am::milter
