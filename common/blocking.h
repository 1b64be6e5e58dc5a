// common/blocking.h — a per-thread hint that the calling thread is about to block on the network
// (the DNS resolver calls it on a cache miss, before it sends a query). The milter server runs
// about one worker per core and installs a hook on each worker that starts another worker when no
// other one is free, so a lookup that stalls holds up only its own connection. Threads without a
// hook pay one thread_local read per cache miss.
// Thread-safety: the hook belongs to the thread that installed it and is only called on it.
#pragma once

namespace am {

using BlockingHook = void (*)(void* arg) noexcept;

// Installs the calling thread's hook (nullptr removes it). `arg` is passed back unchanged and
// must outlive the installation.
void setBlockingHook(BlockingHook hook, void* arg);

// Calls the calling thread's hook, if any.
void aboutToBlock();

}  // namespace am
