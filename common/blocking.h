// common/blocking.h — a per-thread hint that the calling thread is about to block on the network,
// and that it no longer does (the DNS resolver brackets each query it sends on a cache miss with
// a BlockingScope). The milter server runs about one worker per core and installs a hook on each
// worker: on entry it starts another worker when no other one is free, so a lookup that stalls
// holds up only its own connection; the number of workers it starts this way is bounded by the
// number of lookups in flight. Threads without a hook pay one thread_local read per cache miss.
// Thread-safety: the hook belongs to the thread that installed it and is only called on it.
#pragma once

namespace am {

// `entering` is true before the blocking call, false after it.
using BlockingHook = void (*)(void* arg, bool entering) noexcept;

// Installs the calling thread's hook (nullptr removes it). `arg` is passed back unchanged and
// must outlive the installation.
void setBlockingHook(BlockingHook hook, void* arg);

// Calls the calling thread's hook, if any, with entering = true / false.
void aboutToBlock();
void doneBlocking();

// aboutToBlock() now, doneBlocking() at the end of the scope.
class BlockingScope {
 public:
  BlockingScope() { aboutToBlock(); }
  ~BlockingScope() { doneBlocking(); }
  BlockingScope(const BlockingScope&) = delete;
  BlockingScope& operator=(const BlockingScope&) = delete;
};

}  // namespace am
