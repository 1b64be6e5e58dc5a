// reports/mail_command.cpp — the ReportCommand transport of mail.h: the command line split on
// whitespace and started without a shell (posix_spawn), the message written to its stdin, its
// stdout and stderr captured together (the first kDetailBytes kept for the detail), the whole run
// bounded by one deadline; past it the child (with its process group, whose id is the child's PID:
// a sendmail leaves no postdrop behind) is killed and reaped. Exit 0 after reading
// the whole message = accepted; EX_TEMPFAIL, a signal, a timeout, a command that stopped reading
// early or could not be started = temporary (retried by the next run); any other exit = permanent.
// Writing to a command that exited must not kill us: SIGPIPE is blocked on this thread while
// writing and a pending one is consumed (the process may not ignore SIGPIPE).
// Every descriptor here is owned by one UniqueFd and closed on every path; the child is always reaped.
// Blocking on the caller's thread; thread-safe (per-thread signal mask, CLOEXEC pipes).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"
#include "reports/mail.h"

extern char** environ;

namespace am::reports {
namespace {

constexpr size_t kDetailBytes = 2048;


// Blocks SIGPIPE on this thread for its lifetime; a SIGPIPE raised meanwhile (a write to a pipe
// whose reader is gone) is consumed before the old mask comes back.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    wasPending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!wasPending_ && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      timespec zero{0, 0};
      while (sigtimedwait(&pipe, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
  bool wasPending_ = false;
};

// The child's outcome once it is gone.
struct Exit {
  bool timedOut = false;
  int status = 0;  // waitpid status; -1 when it was lost (SIGCHLD ignored: the kernel reaped it)
};

class Child {
 public:
  ~Child() {
    if (pid_ > 0) killGroup(), reap();
  }
  // Starts argv with stdin from the returned pipe and stdout+stderr into the other; "" or why not.
  std::string spawn(const std::vector<std::string>& words) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    stdinW_.reset(in[1]);
    UniqueFd inR(in[0]);
    if (pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    outR_.reset(out[0]);
    UniqueFd outW(out[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inR.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, outW.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, outW.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);  // the command gets the default SIGPIPE even if we ignore it
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setpgroup(&attr, 0);  // its own process group, id = its PID: see kill()
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      pid_ = -1;
      return words[0] + ": " + std::strerror(rc);
    }
    fcntl(stdinW_.get(), F_SETFL, O_NONBLOCK);
    fcntl(outR_.get(), F_SETFL, O_NONBLOCK);
    pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));  // -1 on old kernels: polled instead
    return "";
  }

  // Feeds `message`, collects the output, waits for the exit; kills the child at `deadline`.
  Exit run(const std::string& message, std::chrono::steady_clock::time_point deadline) {
    SigpipeBlock guard;
    size_t off = 0;
    for (;;) {
      if (stdinW_.get() >= 0 && off == message.size()) stdinW_.reset();  // EOF: the message is complete
      int status = 0;
      pid_t w = pid_ > 0 ? waitpid(pid_, &status, WNOHANG) : 0;
      if (w == pid_ || (w < 0 && errno == ECHILD)) {  // ECHILD: reaped for us (SIGCHLD ignored)
        pid_ = -1;
        if (off < message.size()) stoppedReading_ = true;
        drain();
        return Exit{false, w < 0 ? -1 : status};
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p[3] = {{stdinW_.get(), POLLOUT, 0}, {outR_.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
      int wait = pidfd_.get() >= 0 ? static_cast<int>(left.count()) : std::min<int>(static_cast<int>(left.count()), 20);
      if (poll(p, 3, wait) < 0 && errno != EINTR) break;
      if (p[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
        ssize_t n = write(stdinW_.get(), message.data() + off, message.size() - off);
        if (n > 0) off += static_cast<size_t>(n);
        else if (n < 0 && errno != EAGAIN && errno != EINTR) stdinW_.reset(), stoppedReading_ = true;  // EPIPE
      }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) drain();
    }
    killGroup();
    reap();
    return Exit{true, 0};
  }
  bool stoppedReading() const { return stoppedReading_; }
  const std::string& output() const { return output_; }

 private:
  // Reads what the command wrote so far; keeps the first kDetailBytes, discards the rest.
  void drain() {
    char buf[4096];
    for (;;) {
      ssize_t n = read(outR_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) outR_.reset();  // EOF: every writer is gone
        return;
      }
      output_.append(buf, std::min(static_cast<size_t>(n), kDetailBytes - std::min(kDetailBytes, output_.size())));
    }
  }
  // The child and what it started in its group (sendmail's postdrop, say), by the child's PID, which
  // stays ours until it is reaped.
  void killGroup() {
    if (kill(-pid_, SIGKILL) != 0) kill(pid_, SIGKILL);
  }
  void reap() {
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  pid_t pid_ = -1;
  UniqueFd stdinW_, outR_, pidfd_;
  std::string output_;
  bool stoppedReading_ = false;
};

// The command's output as one line for the detail.
std::string oneLine(const std::string& out) {
  std::string s;
  for (char c : out) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s.empty() ? "" : ": " + s;
}

}  // namespace

std::vector<std::string> splitCommand(const std::string& command) {
  std::vector<std::string> words;
  std::string w;
  for (char c : command) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!w.empty()) words.push_back(w), w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(w);
  return words;
}

SmtpResult commandSend(const std::string& command, const std::string& message, std::chrono::milliseconds timeout) {
  SmtpResult res;
  auto words = splitCommand(command);
  if (words.empty()) return res.detail = "ReportCommand is empty", res;
  Child child;
  if (auto e = child.spawn(words); !e.empty()) return res.detail = "cannot start " + e, res;  // temporary
  Exit x = child.run(message, std::chrono::steady_clock::now() + timeout);
  const std::string out = oneLine(child.output());
  if (x.timedOut) return res.detail = words[0] + " killed after " + std::to_string(timeout.count()) + " ms" + out, res;
  if (x.status == -1) return res.detail = words[0] + ": exit status lost (SIGCHLD is ignored)" + out, res;
  if (WIFSIGNALED(x.status))
    return res.detail = words[0] + " killed by signal " + std::to_string(WTERMSIG(x.status)) + out, res;
  int code = WEXITSTATUS(x.status);
  if (code == 0 && child.stoppedReading())
    return res.detail = words[0] + " exited 0 before reading the whole message" + out, res;
  res.accepted = code == 0;
  res.permanent = code != 0 && code != EX_TEMPFAIL;
  res.detail = words[0] + " exited " + std::to_string(code) + out;
  return res;
}

}  // namespace am::reports
