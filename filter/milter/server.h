// filter/milter/server.h — authmilter's own milter protocol server (MilterServer native), the
// alternative to libmilter (adapter.h).
//
// Worker threads serve connections with blocking I/O (serveConnection). Idle workers all wait in
// accept() on the listening socket (leader/follower: the kernel gives each connection to one of
// them, with no hand-off between threads); a worker that takes a connection when no other one is
// left in accept() starts another, so threads are created only when all are busy and are reused
// afterwards. Idle workers beyond max(1, `warmWorkers`) exit after `idleWorkerTimeout`. At most
// `maxConnections` connections are served at once; further ones wait in the listen queue until a
// worker is free (a log line says so, at most every 10 s), and the MTA's own timeouts apply.
// The core may block on DNS inside a connection, which an event loop would turn into a stall of
// every connection; thread-per-connection with reuse avoids that and the clone() per connection.
//
// Ownership: the Server owns the listening socket and shares the worker pool's state with its
// workers (the last one frees it). Thread-safety: run() on one thread; stop() and stats() from any
// thread. The destructor stops, shuts down live connections and waits for every worker.
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
    std::chrono::seconds idleWorkerTimeout{60};
    std::chrono::seconds ioTimeout{600};     // per read/write on a connection (as smfi_settimeout(600))
  };
  struct Stats {
    uint64_t accepted = 0, limitWaits = 0;  // limitWaits: times every worker was busy at maxConnections
    size_t workers = 0, idle = 0, live = 0;  // threads, idle threads, connections being served
    uint64_t packets = 0, reads = 0, writes = 0;  // summed over finished connections
  };

  // Opens the socket. nullptr with *err on failure.
  static std::unique_ptr<Server> create(core::Engine& engine, const Options& opts, std::string* err);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the workers and waits until stop(). 0 after stop(), 1 on a fatal accept error.
  int run();
  // Closes the listener and makes run() return promptly. Connections being served go on.
  void stop();

  uint16_t port() const;  // TCP: the bound port (useful with inet:0@127.0.0.1)
  Stats stats() const;

 private:
  Server(std::shared_ptr<PoolState> pool, std::unique_ptr<Listener> listener);

  std::shared_ptr<PoolState> pool_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace am::milter
