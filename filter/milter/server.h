// filter/milter/server.h — authmilter's own milter protocol server (MilterServer native), the
// alternative to libmilter (adapter.h).
//
// One accept loop (run()) hands each accepted connection to a worker thread that serves it with
// blocking I/O (serveConnection). Workers are reused: an idle worker takes the next connection; a
// new one is created only when none is idle; idle workers beyond `warmWorkers` exit after
// `idleWorkerTimeout`. At most `maxConnections` connections are served at once; beyond that a new
// connection is closed at once with a log line (the MTA applies its milter_default_action).
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
    uint64_t accepted = 0, refused = 0;     // refused: over maxConnections
    size_t workers = 0, idle = 0, live = 0;  // threads, idle threads, connections being served
    uint64_t packets = 0, reads = 0, writes = 0;  // summed over finished connections
  };

  // Opens the socket. nullptr with *err on failure.
  static std::unique_ptr<Server> create(core::Engine& engine, const Options& opts, std::string* err);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts until stop(). 0 after stop(), 1 on a fatal accept error.
  int run();
  // Closes the listener and makes run() return promptly. Connections being served go on.
  void stop();

  uint16_t port() const;  // TCP: the bound port (useful with inet:0@127.0.0.1)
  Stats stats() const;

 private:
  Server(std::shared_ptr<PoolState> pool, std::unique_ptr<Listener> listener);
  void dispatch(int fd, std::string peer);

  std::shared_ptr<PoolState> pool_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace am::milter
