// filter/milter/server.cpp — see server.h. The pool: `idle` counts workers waiting for a job that
// no job has been handed to yet (idle = waiting workers - queued jobs), so dispatch() knows without
// races whether a waiting worker will pick the connection up or a new worker is needed.
#include "filter/milter/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "filter/milter/connection.h"
#include "filter/milter/listener.h"

namespace am::milter {

struct Job {
  int fd;
  std::string peer;
};

struct PoolState {
  PoolState(core::Engine& e, const Server::Options& o) : engine(e), opts(o) {}
  core::Engine& engine;
  const Server::Options opts;
  mutable std::mutex mu;
  std::condition_variable work, exited;
  std::deque<Job> queue;
  size_t idle = 0, workers = 0;
  std::unordered_set<int> live;  // connections being served (shut down by ~Server)
  bool stopping = false;         // ~Server: workers exit
  std::atomic<bool> stopRequested{false};
  uint64_t accepted = 0, refused = 0;
  ServeStats io;  // summed over finished connections
  std::chrono::steady_clock::time_point lastLimitLog{};
};

namespace {

// One log line per `every` at most, for conditions that can repeat per connection.
bool throttle(std::chrono::steady_clock::time_point& last, std::chrono::seconds every = std::chrono::seconds(10)) {
  auto now = std::chrono::steady_clock::now();
  if (last.time_since_epoch().count() != 0 && now - last < every) return false;
  last = now;
  return true;
}

void serveJob(PoolState& p, const Job& job, IoBuffers& buf) {
  {
    std::lock_guard lk(p.mu);
    if (p.stopping) {
      ::close(job.fd);
      return;
    }
    p.live.insert(job.fd);
  }
  ServeStats st = serveConnection(job.fd, p.engine, buf, job.peer);
  std::lock_guard lk(p.mu);  // close under the lock: ~Server never shuts down a reused descriptor
  p.io.packets += st.packets;
  p.io.reads += st.reads;
  p.io.writes += st.writes;
  p.live.erase(job.fd);
  ::close(job.fd);
}

void workerMain(std::shared_ptr<PoolState> p, Job job) {
  IoBuffers buf;
  for (;;) {
    serveJob(*p, job, buf);
    std::unique_lock lk(p->mu);
    if (buf.capacity > IoBuffers::kInitialInput) {  // a huge packet grew it: give the memory back
      buf.in.reset();
      buf.capacity = 0;
    }
    ++p->idle;
    while (p->queue.empty() && !p->stopping) {
      if (p->work.wait_for(lk, p->opts.idleWorkerTimeout) == std::cv_status::timeout && p->queue.empty() &&
          p->workers > p->opts.warmWorkers)
        break;
    }
    if (!p->queue.empty()) {  // dispatch() already took us off `idle`
      job = std::move(p->queue.front());
      p->queue.pop_front();
      continue;
    }
    --p->idle;
    --p->workers;
    p->exited.notify_all();
    return;
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
  return std::unique_ptr<Server>(
      new Server(std::make_shared<PoolState>(engine, opts), std::make_unique<Listener>(std::move(*l))));
}

Server::~Server() {
  stop();
  std::unique_lock lk(pool_->mu);
  pool_->stopping = true;
  for (auto& j : pool_->queue) ::close(j.fd);
  pool_->idle += pool_->queue.size();
  pool_->queue.clear();
  for (int fd : pool_->live) ::shutdown(fd, SHUT_RDWR);  // wakes workers blocked in recv()
  pool_->work.notify_all();
  pool_->exited.wait(lk, [&] { return pool_->workers == 0; });
}

int Server::run() {
  auto& p = *pool_;
  while (!p.stopRequested) {
    std::string peer;
    int fd = acceptConnection(*listener_, &peer);
    if (fd >= 0) {
      if (p.stopRequested) {
        ::close(fd);
        break;
      }
      dispatch(fd, std::move(peer));
      continue;
    }
    int e = errno;
    if (p.stopRequested) break;
    if (e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM) continue;
    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
      p.engine.log().error(std::string("milter accept: ") + std::strerror(e) + "; retrying");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    p.engine.log().error(std::string("milter accept failed: ") + std::strerror(e));
    return 1;
  }
  return 0;
}

void Server::stop() {
  if (pool_->stopRequested.exchange(true)) return;
  ::shutdown(listener_->fd.get(), SHUT_RDWR);  // wakes accept4() at once; new connections are refused
  removeSocketFile(*listener_);
}

void Server::dispatch(int fd, std::string peer) {
  auto& p = *pool_;
  {
    std::lock_guard lk(p.mu);
    ++p.accepted;
    if (p.idle > 0) {
      --p.idle;
      p.queue.push_back({fd, std::move(peer)});
      p.work.notify_one();
      return;
    }
    if (p.workers >= p.opts.maxConnections) {
      ++p.refused;
      if (throttle(p.lastLimitLog))
        p.engine.log().error("milter connection limit reached (" + std::to_string(p.opts.maxConnections) +
                             " connections being served); closing new connections, refused so far: " +
                             std::to_string(p.refused));
      ::close(fd);
      return;
    }
    ++p.workers;
  }
  try {
    std::thread(workerMain, pool_, Job{fd, std::move(peer)}).detach();
  } catch (const std::exception& e) {
    p.engine.log().error(std::string("cannot start a milter worker thread: ") + e.what());
    std::lock_guard lk(p.mu);
    --p.workers;
    p.exited.notify_all();
    ::close(fd);
  }
}

uint16_t Server::port() const { return listener_->port; }

Server::Stats Server::stats() const {
  std::lock_guard lk(pool_->mu);
  const auto& p = *pool_;
  return {p.accepted, p.refused, p.workers, p.idle, p.live.size(), p.io.packets, p.io.reads, p.io.writes};
}

}  // namespace am::milter
