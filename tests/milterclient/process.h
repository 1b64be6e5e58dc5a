// tests/milterclient/process.h — a child-process fixture for end-to-end tests: start a program
// (e.g. the authmilter binary) with arguments, capture its stderr (and stdout) into a temp file,
// wait (bounded) until a milter socket spec accepts connections, and stop it with SIGTERM to its
// PID, a bounded wait, then SIGKILL. Reports how the process ended.
//
// Ownership: a Process owns its child and its capture file; the destructor stops a running child
// and deletes the file (unless keepOutput). Only the PID it started is ever signalled.
// Not thread-safe: use one Process from one thread. No global state.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace am::milter_process {

struct ExitStatus {
  bool exited = false;  // normal exit: `code` is valid
  int code = 0;
  bool signaled = false;  // killed by `signal`
  int signal = 0;
  bool killed = false;  // stop() had to escalate to SIGKILL
  std::string str() const;  // "exit 0", "signal 9 (after SIGKILL)"
};

class Process {
 public:
  struct Options {
    std::vector<std::string> env;  // extra "NAME=value" entries on top of the parent environment
    std::string workDir;           // empty: inherit
    bool captureStdout = true;     // stdout into the same capture file (else inherited)
    bool keepOutput = false;       // keep the capture file after destruction
  };

  // argv[0] is `program`; `args` follow. Returns nullptr and sets err when spawning fails.
  static std::unique_ptr<Process> start(const std::string& program, const std::vector<std::string>& args,
                                        std::string* err);
  static std::unique_ptr<Process> start(const std::string& program, const std::vector<std::string>& args,
                                        const Options& options, std::string* err);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();  // reaps the child if it has exited
  // Polls until `socketSpec` accepts a connection (then closes it), the child exits, or the
  // timeout passes. err explains a failure and includes the tail of the captured output.
  bool waitForSocket(const std::string& socketSpec, std::chrono::milliseconds timeout, std::string* err);
  // Waits up to `timeout` for the child to exit on its own.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL and wait again. Returns the exit status (also when
  // the child had already exited). nullopt only if the child could not be reaped at all.
  std::optional<ExitStatus> stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
  const std::optional<ExitStatus>& exitStatus() const { return status_; }

  const std::string& outputPath() const { return outputPath_; }
  std::string output() const;  // the captured stderr (+ stdout) so far

 private:
  Process() = default;
  bool reap(bool block);
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  std::string outputPath_;
  bool keepOutput_ = false;
};

}  // namespace am::milter_process
