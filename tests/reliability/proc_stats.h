// tests/reliability/proc_stats.h — what the reliability tests measure on the real authmilter
// process: resident memory (VmRSS), its peak (VmHWM), threads, credentials and capabilities from
// /proc/PID/status, and the open descriptors in /proc/PID/fd. Also the test-side set-up they
// share: a raised RLIMIT_NOFILE (inherited by the binary), a bounded poll, and ASAN_OPTIONS for
// the spawned binary (restored on scope exit).
// Plain functions over /proc; no state. Thread-safe apart from ScopedAsanOptions (setenv).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace am::reliability {

struct ProcStatus {
  long rssKb = -1;      // VmRSS
  long hwmKb = -1;      // VmHWM (peak VmRSS)
  long threads = -1;    // Threads
  std::string uid, gid;  // "real effective saved fs", tab-separated as the kernel writes them
  std::string groups;    // supplementary groups ("" when none)
  std::string capPrm, capEff;  // hex masks
};

std::optional<ProcStatus> readStatus(pid_t pid);
// Entries in /proc/PID/fd; -1 if the directory cannot be read.
long openFds(pid_t pid);

// Raises this process's RLIMIT_NOFILE (soft, and hard when needed and allowed) to at least `n`.
// Children spawned afterwards inherit it. Empty string on success.
std::string raiseNoFile(long n);

// Polls pred() every 10 ms until it holds or `bound` passes; returns pred().
template <class P>
bool eventually(P pred, std::chrono::milliseconds bound = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Appends `extra` to ASAN_OPTIONS for processes spawned while it lives. This process's own ASan
// read its options at start-up, so only children see the change.
class ScopedAsanOptions {
 public:
  explicit ScopedAsanOptions(const std::string& extra);
  ~ScopedAsanOptions();
  ScopedAsanOptions(const ScopedAsanOptions&) = delete;
  ScopedAsanOptions& operator=(const ScopedAsanOptions&) = delete;

 private:
  std::optional<std::string> old_;
};

// "1234 KiB" style figure for messages.
std::string kib(long kb);

}  // namespace am::reliability
