// tools/tsan_epoll_handoff_check.cpp — checks the preload library tools/tsan_epoll_handoff.cpp
// (built and run by tools/tsan.sh with -fsanitize=thread). Two modes, both on one epoll
// instance with an always-readable eventfd registered EPOLLONESHOT and its first event already
// taken (so the entry is disarmed, as a connection is while a worker serves it):
//   handoff  the main thread writes `shared`, re-arms the eventfd (EPOLL_CTL_MOD); a second
//            thread blocked in epoll_wait gets the event and reads `shared`. Correct code, the
//            server's hand-off: without the library TSan reports a race here (libtsan misses
//            the MOD → epoll_wait edge), with it TSan must stay silent.
//   race     the same, but the second thread does not wait for the event: it reads `shared`
//            once a relaxed atomic (no happens-before for TSan) says the write is done. A real
//            race: TSan must report it with the library preloaded too.
// Exit status 0 when no race is reported (TSan exits 66 on a report, halt_on_error=1).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

int shared = 0;
std::atomic<int> written{0};

}  // namespace

int main(int argc, char** argv) {
  const bool race = argc > 1 && std::strcmp(argv[1], "race") == 0;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int ev = eventfd(1, EFD_CLOEXEC);  // readable from the start
  epoll_event e{};
  e.events = EPOLLIN | EPOLLONESHOT;
  if (ep < 0 || ev < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) != 0 || epoll_wait(ep, &e, 1, -1) != 1) {
    std::perror("setup");
    return 2;
  }
  int seen = -1;
  std::thread next([&] {
    if (race) {
      while (written.load(std::memory_order_relaxed) == 0) std::this_thread::yield();
    } else {
      epoll_event got{};
      if (epoll_wait(ep, &got, 1, -1) != 1) return;
    }
    seen = shared;
  });
  shared = 42;
  e.events = EPOLLIN | EPOLLONESHOT;
  if (epoll_ctl(ep, EPOLL_CTL_MOD, ev, &e) != 0) std::perror("epoll_ctl MOD");
  written.store(1, std::memory_order_relaxed);
  next.join();
  close(ev);
  close(ep);
  return seen == 42 ? 0 : 3;
}
