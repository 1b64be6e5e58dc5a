// filter/milter/server.cpp — see server.h. Leader/follower pool: every idle worker blocks in
// accept() on the shared listening socket, and the kernel hands each new connection to exactly one
// of them, so a connection costs no user-space hand-off (no mutex, no condition variable, no extra
// wake-up). A worker that takes a connection while no other worker is left in accept() starts one
// more (below maxConnections), so there is always someone accepting while there is room.
//
// The counters are atomics; the pool mutex guards only the worker registry (start, exit, and the
// destructor's shutdown of live connections), never the per-connection path. Each worker's
// current descriptor sits in its own slot behind a mutex only that worker and ~Server take, so
// ~Server never shuts down a descriptor number the worker has already closed and reused.
#include "filter/milter/server.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "filter/milter/connection.h"
#include "filter/milter/listener.h"

namespace am::milter {

struct WorkerSlot {
  std::mutex mu;
  int fd = -1;  // the connection being served, -1 when none
};

struct PoolState {
  PoolState(core::Engine& e, const Server::Options& o, const Listener& l) : engine(e), opts(o), listener(l) {}
  core::Engine& engine;
  const Server::Options opts;
  const Listener& listener;  // owned by the Server, which outlives every worker (~Server waits)

  std::mutex mu;  // registry and the two condition variables below
  std::condition_variable exited, stopped;
  std::list<std::shared_ptr<WorkerSlot>> slots;
  bool stopping = false;  // ~Server: no new connection may be served
  int fatal = 0;          // errno of a fatal accept error (run() returns 1)

  std::atomic<size_t> workers{0}, idle{0}, live{0};
  std::atomic<bool> stopRequested{false};
  std::atomic<uint64_t> accepted{0}, limitWaits{0}, packets{0}, reads{0}, writes{0};
  std::atomic<int64_t> lastLimitLog{0};  // steady_clock seconds
  std::atomic<int64_t> lastAcceptErrorLog{0};
};

namespace {

size_t minWorkers(const PoolState& p) {
  return std::min(std::max<size_t>(1, p.opts.maxConnections), std::max<size_t>(1, p.opts.warmWorkers));
}

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void startWorker(const std::shared_ptr<PoolState>& p);

// Called by the worker whose accept() left no other worker in accept() (it took `idle` to 0):
// start one if there is room.
void keepAcceptor(const std::shared_ptr<PoolState>& p) {
  size_t n = p->workers.load();
  while (n < p->opts.maxConnections) {
    if (p->workers.compare_exchange_weak(n, n + 1)) return startWorker(p);
  }
  ++p->limitWaits;
  int64_t now = nowSeconds(), last = p->lastLimitLog.load();
  if (now - last >= 10 && p->lastLimitLog.compare_exchange_strong(last, now))
    p->engine.log().error("milter connection limit reached: all " + std::to_string(p->opts.maxConnections) +
                          " workers busy; new connections wait in the listen queue");
}

// One accept() attempt. Returns the connection; -1 to retry (`retry`) or stop; -2 when an idle
// worker beyond the minimum should exit (already uncounted). `lastIdle`: this accept took `idle` to 0.
int acceptOne(PoolState& p, std::string& peer, bool& retry, bool& lastIdle) {
  retry = false;
  ++p.idle;
  int fd = acceptConnection(p.listener, &peer);
  int e = errno;
  lastIdle = --p.idle == 0;
  if (fd >= 0) {
    if (!p.stopRequested) return fd;
    ::close(fd);
    return -1;
  }
  if (p.stopRequested) return -1;
  if (e == EAGAIN || e == EWOULDBLOCK) {  // idle timeout (SO_RCVTIMEO on the listener)
    // Leave only while another worker is still in accept(): `workers` also counts the busy ones,
    // so the count alone could let the last acceptor go while every other worker serves a long
    // session, and new connections would wait unserved.
    size_t n = p.workers.load();
    while (!lastIdle && n > minWorkers(p))
      if (p.workers.compare_exchange_weak(n, n - 1)) return -2;  // leave; already uncounted
    retry = true;
    return -1;
  }
  retry = true;
  if (e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM) return -1;
  if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
    int64_t now = nowSeconds(), last = p.lastAcceptErrorLog.load();
    if (now - last >= 10 && p.lastAcceptErrorLog.compare_exchange_strong(last, now))
      p.engine.log().error(std::string("milter accept: ") + std::strerror(e) + "; retrying");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return -1;
  }
  p.engine.log().error(std::string("milter accept failed: ") + std::strerror(e));
  std::lock_guard lk(p.mu);
  p.fatal = e;
  p.stopped.notify_all();
  retry = false;
  return -1;
}

void serve(PoolState& p, WorkerSlot& slot, int fd, const std::string& peer, IoBuffers& buf) {
  {
    std::lock_guard lk(slot.mu);
    slot.fd = fd;
  }
  // Whatever happens below (including an exception), the connection is closed under the slot
  // lock, so ~Server never shuts down a descriptor number that has been reused.
  struct Release {
    PoolState& p;
    WorkerSlot& slot;
    bool counted = false;
    ~Release() {
      std::lock_guard lk(slot.mu);
      ::close(slot.fd);
      slot.fd = -1;
      if (counted) --p.live;
    }
  } release{p, slot};
  {
    std::lock_guard lk(p.mu);  // ~Server may have begun: it only shuts down registered slots
    if (p.stopping) return;
  }
  ++p.live;
  release.counted = true;
  ServeStats st = serveConnection(fd, p.engine, buf, peer);
  p.packets += st.packets;
  p.reads += st.reads;
  p.writes += st.writes;
}

void workerMain(std::shared_ptr<PoolState> p, std::shared_ptr<WorkerSlot> slot) {
  IoBuffers buf;
  bool counted = true;  // still in p->workers
  for (;;) {
    std::string peer;
    bool retry = false, lastIdle = false;
    int fd = acceptOne(*p, peer, retry, lastIdle);
    if (fd == -2) {
      counted = false;
      break;
    }
    if (fd < 0) {
      if (retry && !p->stopRequested) continue;
      break;
    }
    ++p->accepted;
    try {
      if (lastIdle) keepAcceptor(p);
    } catch (const std::exception& e) {
      p->engine.log().error(std::string("cannot start a milter worker thread: ") + e.what());
    }
    try {
      serve(*p, *slot, fd, peer, buf);  // closes fd on every path
    } catch (const std::exception& e) {  // bad_alloc and the like: this connection ends, the daemon stays
      p->engine.log().error(std::string("milter worker: ") + e.what() + "; connection closed");
    }
    if (buf.capacity > IoBuffers::kInitialInput) {  // a huge packet grew it: give the memory back
      buf.in.reset();
      buf.capacity = 0;
    }
  }
  std::lock_guard lk(p->mu);
  p->slots.remove(slot);
  if (counted) --p->workers;
  p->exited.notify_all();
}

void startWorker(const std::shared_ptr<PoolState>& p) {  // p->workers already counts it
  std::shared_ptr<WorkerSlot> slot;
  try {
    slot = std::make_shared<WorkerSlot>();
    {
      std::lock_guard lk(p->mu);
      p->slots.push_back(slot);
    }
    std::thread(workerMain, p, slot).detach();
  } catch (const std::exception& e) {
    p->engine.log().error(std::string("cannot start a milter worker thread: ") + e.what());
    std::lock_guard lk(p->mu);
    if (slot) p->slots.remove(slot);
    --p->workers;
    p->exited.notify_all();
  }
}

}  // namespace

Server::Server(std::shared_ptr<PoolState> pool, std::unique_ptr<Listener> listener)
    : pool_(std::move(pool)), listener_(std::move(listener)) {}

std::unique_ptr<Server> Server::create(core::Engine& engine, const Options& opts, std::string* err) {
  auto spec = ListenSpec::parse(opts.socketSpec, err);
  if (!spec) return nullptr;
  auto l = openListener(*spec, opts.umask, opts.ioTimeout, err);
  if (!l) return nullptr;
  // accept() in an idle worker times out after idleWorkerTimeout (accepted sockets get ioTimeout
  // set explicitly by acceptConnection).
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(std::max<int64_t>(1, opts.idleWorkerTimeout.count()));
  ::setsockopt(l->fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto listener = std::make_unique<Listener>(std::move(*l));
  auto pool = std::make_shared<PoolState>(engine, opts, *listener);
  return std::unique_ptr<Server>(new Server(std::move(pool), std::move(listener)));
}

Server::~Server() {
  stop();
  std::unique_lock lk(pool_->mu);
  pool_->stopping = true;
  for (auto& s : pool_->slots) {
    std::lock_guard sl(s->mu);
    if (s->fd >= 0) ::shutdown(s->fd, SHUT_RDWR);  // wakes the worker blocked in recv()
  }
  pool_->exited.wait(lk, [&] { return pool_->workers.load() == 0 && pool_->slots.empty(); });
}

int Server::run() {
  auto& p = *pool_;
  for (size_t i = 0; i < minWorkers(p) && !p.stopRequested; ++i) {
    ++p.workers;
    startWorker(pool_);
  }
  std::unique_lock lk(p.mu);
  p.stopped.wait(lk, [&] { return p.stopRequested.load() || p.fatal != 0; });
  return p.fatal != 0 && !p.stopRequested ? 1 : 0;
}

void Server::stop() {
  if (pool_->stopRequested.exchange(true)) return;
  ::shutdown(listener_->fd.get(), SHUT_RDWR);  // wakes every accept() at once; new connections are refused
  removeSocketFile(*listener_);
  std::lock_guard lk(pool_->mu);
  pool_->stopped.notify_all();
}

uint16_t Server::port() const { return listener_->port; }

Server::Stats Server::stats() const {
  const auto& p = *pool_;
  Stats s;
  s.accepted = p.accepted.load();
  s.limitWaits = p.limitWaits.load();
  s.workers = p.workers.load();
  s.idle = p.idle.load();
  s.live = p.live.load();
  s.packets = p.packets.load();
  s.reads = p.reads.load();
  s.writes = p.writes.load();
  return s;
}

}  // namespace am::milter
