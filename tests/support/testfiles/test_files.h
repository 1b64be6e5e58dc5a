// tests/support/testfiles/test_files.h — file and command helpers for tests: a temp directory that
// removes itself, whole-file read and write, a shell command's stdout and exit status, and a
// bounded poll (no fixed sleeps in tests: wait for a condition, with an upper bound).
//
// runCommand starts `sh -c` through popen and waits for it; it signals nothing. Bound a command
// that could hang with its own timeout (`timeout 300 ...`, swaks --timeout). TempDir owns its
// directory and deletes it, with everything below it, on destruction.
// Thread-safety: free functions are safe to call from several threads on different files; a
// TempDir belongs to one thread.
#pragma once
#include <chrono>
#include <functional>
#include <string>

namespace am::testing {

// A fresh directory /tmp/<prefix>-XXXXXX (mkdtemp); `path` is empty when it could not be made.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& prefix = "am-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `text` to path/name (binary) and returns that path.
  std::string file(const std::string& name, const std::string& text) const;
};

// The whole file, byte for byte; "" when it cannot be read.
std::string readFile(const std::string& path);
// Replaces `path` with `text` (binary); false when it cannot be written.
bool writeFile(const std::string& path, const std::string& text);

// Runs `cmd` with /bin/sh and returns its stdout (add 2>&1 to the command for stderr). In
// *status: the exit code, -1 when it was killed or could not be started.
std::string runCommand(const std::string& cmd, int* status = nullptr);

// Asks `ready` at once and then every `interval` until it returns true (then true) or `bound` has
// passed (then false). A zero bound asks once.
bool waitUntil(const std::function<bool()>& ready, std::chrono::milliseconds bound,
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

}  // namespace am::testing
