// tools/tsan_epoll_handoff.cpp — a preload library for the ThreadSanitizer run of
// milterd_tests (tools/tsan.sh; docs/fuzzing.md, report T1). Test-only: never linked into the
// filter.
//
// The milter server (filter/milter/server.cpp) hands a connection from one worker to the next
// through epoll: a worker re-arms the descriptor with epoll_ctl(EPOLL_CTL_MOD, EPOLLONESHOT) and
// stops touching it; the worker whose epoll_wait returns the event owns it from then on and may
// close it. The kernel orders the two (the re-arm and the wait both take the epoll instance's
// mutex), so everything the first worker did before epoll_ctl happens before everything the
// second does after epoll_wait. GCC 12's libtsan models that edge for EPOLL_CTL_ADD only: its
// epoll_ctl interceptor records a read of the target descriptor, then a release on the epoll
// descriptor if op == EPOLL_CTL_ADD, and nothing for EPOLL_CTL_MOD (checked in the
// disassembly of libtsan.so.2, GCC 12.2.0; LLVM's compiler-rt has the same rule). Its epoll_wait
// interceptor acquires the epoll descriptor. So after a re-arm TSan sees no order between the
// re-arming worker's last accesses and the next owner's close/free, and reports a data race.
//
// This library states the missing edge and nothing else:
//   epoll_ctl(EPOLL_CTL_MOD): a release on a per-epoll-descriptor token, then the system call
//     itself (syscall(2), so TSan's interceptor does not record its read of the descriptor
//     after the release; recording it there would be the very report, as that read is not
//     covered by any release). Every other op goes to TSan's interceptor unchanged.
//   epoll_wait: TSan's interceptor, then, when it returned events, an acquire on the token.
// What TSan no longer checks: a re-arm (MOD) racing with a close of the same descriptor by a
// thread that did not get the event. Every other access to the connection, including the
// re-arming worker's own accesses before epoll_ctl against the next owner's, is still checked.
//
// Built and preloaded by tools/tsan.sh for milterd_tests only (LD_PRELOAD ahead of libtsan, so
// these definitions win; dlsym(RTLD_NEXT) then finds TSan's interceptors).
#include <dlfcn.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

// libtsan's annotation interface; weak, so that a child process without TSan that inherits
// LD_PRELOAD still loads this library (the calls are then skipped).
extern "C" {
__attribute__((weak)) void __tsan_acquire(void* addr);
__attribute__((weak)) void __tsan_release(void* addr);
}

namespace {

char tokens[4096];  // one synchronization address per epoll descriptor (modulo 4096)

void* token(int epfd) { return &tokens[static_cast<unsigned>(epfd) % sizeof tokens]; }

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) {
  if (op == EPOLL_CTL_MOD && epfd >= 0) {
    if (__tsan_release) __tsan_release(token(epfd));
    return static_cast<int>(syscall(SYS_epoll_ctl, epfd, op, fd, ev));
  }
  static auto real = next<int (*)(int, int, int, epoll_event*)>("epoll_ctl");
  return real(epfd, op, fd, ev);
}

extern "C" int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout) {
  static auto real = next<int (*)(int, epoll_event*, int, int)>("epoll_wait");
  int n = real(epfd, events, maxevents, timeout);
  if (n > 0 && epfd >= 0 && __tsan_acquire) __tsan_acquire(token(epfd));
  return n;
}
