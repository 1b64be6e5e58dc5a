// filter/milter/server.cpp — see server.h. One epoll instance, shared by every worker: the
// listening socket and each connection are registered EPOLLONESHOT, so the kernel hands each
// readiness event to exactly one worker, which owns that connection until it re-arms it (after
// serveReady) or closes it. epoll_wait takes one event at a time: a worker that finds more ready
// work takes it without sleeping, and a ready connection never waits behind another's DNS lookup.
//
// Threads: `base` workers (the number of cores, at least max(1, warmWorkers)) are started as soon
// as every worker is busy; more only when the monitor sees every worker busy and one of them busy
// for `blockedAfter`, or when a worker is about to send a DNS query (the core blocks on DNS cache
// misses; common/blocking.h) and no other worker waits. So CPU-bound load runs on about one thread
// per core and ready events queue in epoll instead of waking threads.
//
// Memory: a connection holds an input buffer only while a packet is incomplete; each worker keeps
// one spare 72 KiB buffer that it lends to the connection it serves.
//
// Locking: the pool mutex guards the connection registry (insert, remove, the monitor's timeout
// sweep and ~Server's shutdown); a descriptor is closed only after its connection has left the
// registry, so nobody shuts down a descriptor number that has been closed and reused. The per-event path takes no lock; counters are atomics.
// Metrics (MetricsListen) read those atomics at scrape time; serving counts nothing more.
#include "filter/milter/server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "common/blocking.h"
#include "filter/milter/connection.h"
#include "filter/milter/listener.h"
#include "filter/milter/server_metrics.h"

namespace am::milter {

struct Conn {
  Conn(core::Engine& e, int fd, std::string peer) : fd(fd), proto(e, std::move(peer)) {}
  int fd;  // closed by closeConn once out of the registry (or by ~Server)
  Connection proto;
  InputBuffer in;
  std::string out;
  ServeStats st;
  bool registered = false;  // in epoll (ADD done)
  // kBusy while a worker owns it; while armed in epoll, the steady ms at which its last step
  // ended; kTimedOut once the monitor's sweep has claimed it. The sweep claims it with a
  // compare-exchange on the timestamp it judged, so a worker that picks the connection up at the
  // same moment either wins and serves it, or sees kTimedOut and closes it (never both), and a
  // connection that has had a step since can never be claimed on the strength of an old one.
  static constexpr int64_t kBusy = -1, kTimedOut = -2;
  std::atomic<int64_t> idleSince{kBusy};
  int64_t progressAt = -1;  // steady ms of the last whole packet handled or bytes written (worker-owned)
  std::list<std::unique_ptr<Conn>>::iterator self;
};

struct WorkerSlot {
  std::atomic<int64_t> busySince{0};  // steady ns; 0 while waiting for an event
};

struct PoolState {
  PoolState(core::Engine& e, const Server::Options& o, const Listener& l) : engine(e), opts(o), listener(l) {}
  core::Engine& engine;
  const Server::Options opts;
  const Listener& listener;  // owned by the Server, which outlives every worker (~Server waits)
  UniqueFd ep, wake;         // epoll instance; eventfd made readable by ~Server
  char listenTag = 0, wakeTag = 0;  // epoll_event.data.ptr of the two non-connection entries
  size_t base = 1;                  // workers started without evidence of blocking

  std::mutex mu;  // registry, slots, the condition variables
  std::condition_variable exited, stopped, tick;
  std::list<std::shared_ptr<WorkerSlot>> slots;
  std::list<std::unique_ptr<Conn>> conns;
  std::thread monitor;
  std::atomic<bool> stopping{false};  // ~Server: workers leave, no connection is registered any more
  int fatal = 0;                      // errno of a fatal accept/epoll error (run() returns 1)

  std::atomic<size_t> workers{0}, idle{0}, live{0};
  std::atomic<size_t> inDns{0};  // workers inside an announced blocking call (common/blocking.h)
  std::atomic<bool> stopRequested{false}, parked{false};
  std::atomic<uint64_t> accepted{0}, limitWaits{0}, packets{0}, reads{0}, writes{0}, timeouts{0}, idleTimeouts{0};
  std::atomic<int64_t> lastLimitLog{0}, lastAcceptErrorLog{0};
};

namespace {

size_t minWorkers(const PoolState& p) { return std::max<size_t>(1, std::min(p.opts.warmWorkers, p.opts.maxWorkers)); }

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t nowMs() { return nowNs() / 1'000'000; }
int64_t nowSeconds() { return nowNs() / 1'000'000'000; }

// Runs a log call that builds strings (and so may throw bad_alloc) on a path that must go on to
// close or re-arm a connection.
template <class F>
void logNoThrow(F&& f) noexcept {
  try {
    f();
  } catch (...) {
  }
}

// Logs at most every 10 s per `last` clock.
bool throttled(std::atomic<int64_t>& last) {
  int64_t now = nowSeconds(), prev = last.load();
  return now - prev < 10 || !last.compare_exchange_strong(prev, now);
}

void fatalError(PoolState& p, int e, const char* what) {
  logNoThrow([&] { p.engine.log().error(std::string("milter ") + what + " failed: " + std::strerror(e)); });
  std::lock_guard lk(p.mu);
  p.fatal = e;
  p.stopped.notify_all();
}

void startWorker(const std::shared_ptr<PoolState>& p);

// Counts and starts one more worker if fewer than `limit` run.
void addWorker(const std::shared_ptr<PoolState>& p, size_t limit) {
  size_t n = p->workers.load();
  while (n < limit)
    if (p->workers.compare_exchange_weak(n, n + 1)) return startWorker(p);
}

// Counts the calling worker out of `workers` if more than `floor` remain; true if it did (the
// worker then leaves and must not count itself down again).
bool countOut(PoolState& p, size_t floor) {
  size_t k = p.workers.load();
  while (k > floor)
    if (p.workers.compare_exchange_weak(k, k - 1)) return true;
  return false;
}

// Without the listener armed nobody accepts: a failure is fatal (run() returns 1).
void armListener(PoolState& p) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = &p.listenTag;
  if (::epoll_ctl(p.ep.get(), EPOLL_CTL_MOD, p.listener.fd.get(), &ev) != 0)
    fatalError(p, errno, "epoll_ctl (listener)");
}

// At maxConnections the listener stays disarmed (new connections wait in the listen queue) until
// a connection closes. The re-check after setting `parked` closes the race with closeConn.
void parkListener(PoolState& p) {
  p.parked = true;
  ++p.limitWaits;
  if (!throttled(p.lastLimitLog))
    logNoThrow([&] {
      p.engine.log().error("milter connection limit reached: " + std::to_string(p.opts.maxConnections) +
                           " connections open; new connections wait in the listen queue");
    });
  if (p.live.load() < p.opts.maxConnections && p.parked.exchange(false)) armListener(p);
}

void closeConn(PoolState& p, Conn& c) {
  p.packets += c.st.packets;
  p.reads += c.st.reads;
  p.writes += c.st.writes;
  std::unique_ptr<Conn> owned;
  {
    std::lock_guard lk(p.mu);
    owned = std::move(*c.self);
    p.conns.erase(c.self);
  }
  // Out of the registry, nobody else can reach the descriptor (the sweep and ~Server shut down
  // only registered ones, under the mutex), so it is closed outside the lock: a TCP close is
  // not free, and the worker accepting the next connection waits on this mutex.
  ::close(owned->fd);  // also leaves the epoll set
  owned.reset();       // the Session (and any transaction) ends here
  --p.live;
  if (p.parked.exchange(false)) armListener(p);
}

struct Worker {
  InputBuffer spare;  // lent to the connection being served
};

// Serves one ready connection and re-arms it; the connection may belong to another worker as soon
// as it is re-armed.
void serveConn(PoolState& p, Conn& c, Worker& w) {
  IoWait wait = IoWait::Close;
  if (c.idleSince.exchange(Conn::kBusy) == Conn::kTimedOut) {
    logNoThrow([&] {
      p.engine.log().warning("milter peer " + c.proto.peer() + ": no data for " +
                             std::to_string(p.opts.ioTimeout.count()) + " s; closing the connection");
    });
    ++p.timeouts;
  } else {
    if (!c.in.data) std::swap(c.in, w.spare);
    const uint64_t before = c.st.packets + c.st.writes;
    try {
      wait = serveReady(c.fd, c.proto, c.in, c.out, c.st, p.engine.log());
      if (c.progressAt < 0 || c.st.packets + c.st.writes != before) c.progressAt = nowMs();
    } catch (const std::exception& e) {  // bad_alloc and the like: this connection ends, the daemon stays
      logNoThrow([&] {
        p.engine.log().error(std::string("milter connection ") + c.proto.peer() + ": " + e.what() +
                             "; connection closed");
      });
    }
    // Nothing pending: the buffer goes back to the worker if it has no spare, else it is freed
    // (an idle connection never keeps one, whatever size it has).
    if (c.in.empty() && c.in.data) {
      c.in.start = c.in.end = 0;
      if (!w.spare.data && c.in.capacity == InputBuffer::kInitial) std::swap(c.in, w.spare);
      else c.in = InputBuffer{};
    }
  }
  if (wait == IoWait::Close) return closeConn(p, c);
  c.idleSince = c.progressAt;
  epoll_event ev{};
  ev.events = (wait == IoWait::Write ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
  ev.data.ptr = &c;
  int op = c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  c.registered = true;
  if (::epoll_ctl(p.ep.get(), op, c.fd, &ev) != 0) {  // no event can come: still ours
    int e = errno;
    c.idleSince = Conn::kBusy;
    logNoThrow([&] {
      p.engine.log().error(std::string("milter epoll_ctl: ") + std::strerror(e) + "; connection closed");
    });
    closeConn(p, c);
  }
}

// Adds an accepted descriptor to the registry. nullptr (descriptor closed) while ~Server runs or
// when there is no memory for it (logged).
Conn* registerConn(PoolState& p, int fd, std::string peer) {
  try {
    auto owned = std::make_unique<Conn>(p.engine, fd, std::move(peer));
    std::lock_guard lk(p.mu);
    if (p.stopping) {
      ::close(fd);
      return nullptr;
    }
    p.conns.push_back(std::move(owned));
    Conn* c = p.conns.back().get();
    c->self = std::prev(p.conns.end());
    return c;
  } catch (const std::exception& e) {
    ::close(fd);
    logNoThrow([&] { p.engine.log().error(std::string("milter accept: ") + e.what() + "; connection closed"); });
    return nullptr;
  }
}

// The listener is ready: accept one connection, re-arm the listener (or park it at the limit) so
// other workers can accept the next, then serve the new connection at once (the MTA's option
// negotiation is often already there).
void acceptOne(PoolState& p, Worker& w) {
  std::string peer;
  int fd = acceptConnection(p.listener, &peer);
  if (fd < 0) {
    int e = errno;
    if (p.stopRequested) return;  // stop() shut the listener down: it stays disarmed
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM) {
      armListener(p);
      return;
    }
    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
      if (!throttled(p.lastAcceptErrorLog))
        logNoThrow([&] { p.engine.log().error(std::string("milter accept: ") + std::strerror(e) + "; retrying"); });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      armListener(p);
      return;
    }
    return fatalError(p, e, "accept");
  }
  // Accepted before or after stop(): it is served (registerConn refuses only once ~Server runs).
  Conn* c = registerConn(p, fd, std::move(peer));
  if (!c && p.stopping) return;
  if (c) ++p.accepted;
  // The listener is re-armed (or parked) on every path: a lost re-arm would stop all accepting.
  if (c && ++p.live >= p.opts.maxConnections) parkListener(p);
  else armListener(p);
  if (c) serveConn(p, *c, w);
}

// Installed on each worker (common/blocking.h): called around each DNS query the core sends. With
// no other worker waiting, start one now rather than after the monitor's `blockedAfter`. Workers
// beyond `base` are bounded by the lookups in flight: with ready events queued in epoll every new
// worker is busy at once, so without that bound each cache miss in a burst would add a thread.
void onBlocking(void* arg, bool entering) noexcept {
  auto& p = *static_cast<std::shared_ptr<PoolState>*>(arg);
  if (!entering) {
    --p->inDns;
    return;
  }
  size_t blocked = ++p->inDns;
  if (p->idle.load() != 0) return;
  try {
    addWorker(p, std::min(p->opts.maxWorkers, p->base + blocked));
  } catch (...) {  // startWorker logs its own failures; nothing may escape into the resolver
  }
}

// Workers beyond `base` were started because others blocked. A worker about to wait, which has
// just counted itself in `idle` and so sees `waiting` waiters including itself, is surplus when
// `base` others already wait and more than `base` workers exist: it leaves (counted out of
// `workers` here; the caller must not count it down again, and takes itself out of `idle`).
// Deciding on the value of its own increment means two workers coming back at once cannot both
// stay on the strength of the same count. Surplus workers must not linger as waiters: measured
// at concurrency 1 after a burst had grown the pool to 6, all 6 stayed in use (events arrive
// while the worker that served the last step is still finishing it, and wake another waiter),
// none idled long enough to time out, and wake-ups found the event already taken: 6.0 context
// switches per message with 6 waiters, 3.9 with 2; CPU per message -6 to -10%.
bool leaveIfSurplus(PoolState& p, size_t waiting) { return waiting > p.base && countOut(p, p.base); }

void workerMain(std::shared_ptr<PoolState> p, std::shared_ptr<WorkerSlot> slot) {
  Worker w;
  setBlockingHook(&onBlocking, &p);
  struct Unhook {
    ~Unhook() { setBlockingHook(nullptr, nullptr); }
  } unhook;
  bool counted = true;  // still in p->workers
  int timeoutMs = static_cast<int>(std::max<int64_t>(1, p->opts.idleWorkerTimeout.count()) * 1000);
  for (;;) {
    if (leaveIfSurplus(*p, ++p->idle)) {
      --p->idle;
      counted = false;
      break;
    }
    epoll_event ev{};
    // At or below the minimum no worker may leave, so it waits without a timer (one hrtimer
    // armed and cancelled per wait less; a worker that enters later with more running uses it).
    int n = ::epoll_wait(p->ep.get(), &ev, 1, p->workers.load() > minWorkers(*p) ? timeoutMs : -1);
    int e = errno;
    bool lastIdle = --p->idle == 0;
    if (n < 0) {
      if (e == EINTR) continue;
      fatalError(*p, e, "epoll_wait");
      break;
    }
    if (n == 0) {  // idle timeout: leave if another worker still waits and we are beyond the minimum
      ++p->idleTimeouts;
      if (!lastIdle && countOut(*p, minWorkers(*p))) {
        counted = false;
        break;
      }
      w.spare = InputBuffer{};  // an idle worker holds no buffer
      continue;
    }
    if (ev.data.ptr == &p->wakeTag) {
      if (p->stopping) break;
      continue;
    }
    if (lastIdle) {  // nobody left waiting: up to `base` workers run without evidence of blocking
      try {
        addWorker(p, p->base);
      } catch (const std::exception& ex) {
        logNoThrow([&] { p->engine.log().error(std::string("cannot start a milter worker thread: ") + ex.what()); });
      }
    }
    slot->busySince = nowNs();
    try {
      if (ev.data.ptr == &p->listenTag) acceptOne(*p, w);
      else serveConn(*p, *static_cast<Conn*>(ev.data.ptr), w);
    } catch (const std::exception& ex) {  // the daemon stays; serveConn has already closed what it could
      logNoThrow([&] { p->engine.log().error(std::string("milter worker: ") + ex.what()); });
    }
    slot->busySince = 0;
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
    logNoThrow([&] { p->engine.log().error(std::string("cannot start a milter worker thread: ") + e.what()); });
    std::lock_guard lk(p->mu);
    if (slot) p->slots.remove(slot);
    --p->workers;
    p->exited.notify_all();
  }
}

// Every `blockedAfter`: one more worker when none waits and one has been busy that long. Every
// second: connections silent for ioTimeout are shut down (their worker then logs and closes them).
void monitorMain(std::shared_ptr<PoolState> p) {
  const auto period = std::max(p->opts.blockedAfter, std::chrono::milliseconds(1));
  const int64_t blockedNs = std::chrono::nanoseconds(period).count();
  int64_t lastSweep = nowSeconds();
  std::unique_lock lk(p->mu);
  while (!p->stopping) {
    p->tick.wait_for(lk, period);
    if (p->stopping) break;
    size_t blocked = 0;  // workers busy for `blockedAfter` or longer
    if (p->idle.load() == 0) {
      int64_t now = nowNs();
      for (auto& s : p->slots) {
        int64_t since = s->busySince.load();
        blocked += since != 0 && now - since >= blockedNs;
      }
    }
    if (blocked) {  // one more, but never more than `base` beyond the stalled ones
      lk.unlock();
      try {
        addWorker(p, std::min(p->opts.maxWorkers, p->base + blocked));
      } catch (const std::exception& e) {
        logNoThrow([&] { p->engine.log().error(std::string("cannot start a milter worker thread: ") + e.what()); });
      }
      lk.lock();
    }
    if (nowSeconds() == lastSweep) continue;
    lastSweep = nowSeconds();
    const int64_t now = nowMs(), limit = std::chrono::milliseconds(p->opts.ioTimeout).count();
    for (auto& c : p->conns) {
      int64_t since = c->idleSince.load();
      if (since < 0 || now - since < limit) continue;
      if (c->idleSince.compare_exchange_strong(since, Conn::kTimedOut))
        ::shutdown(c->fd, SHUT_RDWR);  // makes it ready: its worker logs and closes it
    }
  }
}

Server::Stats statsOf(const PoolState& p) {
  Server::Stats s;
  s.accepted = p.accepted.load();
  s.limitWaits = p.limitWaits.load();
  s.workers = p.workers.load();
  s.idle = p.idle.load();
  s.live = p.live.load();
  s.packets = p.packets.load();
  s.reads = p.reads.load();
  s.writes = p.writes.load();
  s.timeouts = p.timeouts.load();
  s.idleTimeouts = p.idleTimeouts.load();
  return s;
}

}  // namespace

Server::Server(std::shared_ptr<PoolState> pool, std::unique_ptr<Listener> listener)
    : pool_(std::move(pool)), listener_(std::move(listener)) {}

std::unique_ptr<Server> Server::create(core::Engine& engine, const Options& opts, std::string* err) {
  auto spec = ListenSpec::parse(opts.socketSpec, err);
  if (!spec) return nullptr;
  auto l = openListener(*spec, opts.umask, err);
  if (!l) return nullptr;
  auto listener = std::make_unique<Listener>(std::move(*l));
  auto pool = std::make_shared<PoolState>(engine, opts, *listener);
  pool->ep = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  pool->wake = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  epoll_event lev{}, wev{};
  lev.events = EPOLLIN | EPOLLONESHOT;
  lev.data.ptr = &pool->listenTag;
  wev.events = EPOLLIN;  // level-triggered and never read: once written, every worker sees it
  wev.data.ptr = &pool->wakeTag;
  if (!pool->ep.valid() || !pool->wake.valid() ||
      ::epoll_ctl(pool->ep.get(), EPOLL_CTL_ADD, listener->fd.get(), &lev) != 0 ||
      ::epoll_ctl(pool->ep.get(), EPOLL_CTL_ADD, pool->wake.get(), &wev) != 0) {
    *err = std::string("epoll: ") + std::strerror(errno);
    removeSocketFile(*listener);
    return nullptr;
  }
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  pool->base = std::min(std::max(minWorkers(*pool), cores), std::max<size_t>(1, opts.maxWorkers));
  if (auto* r = engine.metrics()) {  // read at scrape time; the pool is held weakly (0 once it is gone)
    std::weak_ptr<PoolState> weak = pool;
    registerServerMetrics(*r, [weak] {
      auto p = weak.lock();
      return p ? statsOf(*p) : Stats{};
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(pool), std::move(listener)));
}

Server::~Server() {
  stop();
  auto& p = *pool_;
  {
    std::lock_guard lk(p.mu);
    p.stopping = true;
    for (auto& c : p.conns) ::shutdown(c->fd, SHUT_RDWR);  // wakes a worker blocked on nothing but this
    p.tick.notify_all();
  }
  uint64_t one = 1;
  if (::write(p.wake.get(), &one, sizeof one) < 0) { /* an eventfd write cannot fail here */ }
  if (p.monitor.joinable()) p.monitor.join();
  std::unique_lock lk(p.mu);
  p.exited.wait(lk, [&] { return p.workers.load() == 0 && p.slots.empty(); });
  for (auto& c : p.conns) ::close(c->fd);  // left in epoll by workers that have gone
  auto rest = std::move(p.conns);
  lk.unlock();
  rest.clear();
}

int Server::run() {
  auto& p = *pool_;
  for (size_t i = 0; i < minWorkers(p) && !p.stopRequested; ++i) {
    ++p.workers;
    startWorker(pool_);
  }
  {
    std::lock_guard lk(p.mu);
    if (!p.monitor.joinable() && !p.stopping) p.monitor = std::thread(monitorMain, pool_);
  }
  std::unique_lock lk(p.mu);
  p.stopped.wait(lk, [&] { return p.stopRequested.load() || p.fatal != 0; });
  return p.fatal != 0 && !p.stopRequested ? 1 : 0;
}

void Server::stop() {
  if (pool_->stopRequested.exchange(true)) return;
  ::shutdown(listener_->fd.get(), SHUT_RDWR);  // new connections are refused; the listener stays disarmed
  removeSocketFile(*listener_);
  std::lock_guard lk(pool_->mu);
  pool_->stopped.notify_all();
}

uint16_t Server::port() const { return listener_->port; }

Server::Stats Server::stats() const { return statsOf(*pool_); }

}  // namespace am::milter
