// tests/milterclient/process.cpp — see process.h.
#include "tests/milterclient/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tests/milterclient/socket_io.h"
#include "tests/support/testfiles/test_files.h"

extern char** environ;

namespace am::milter_process {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(20);

std::string ExitStatus::str() const {
  std::string s = exited ? "exit " + std::to_string(code)
                         : signaled ? "signal " + std::to_string(signal) : std::string("unknown");
  if (killed) s += " (after SIGKILL)";
  return s;
}

namespace {

// posix_spawn attributes and file actions, released on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::string makeCaptureFile(int& fd, std::string* err) {
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/am-process-XXXXXX";
  fd = ::mkstemp(path.data());
  if (fd < 0) {
    if (err) *err = "mkstemp: " + std::string(std::strerror(errno));
    return {};
  }
  return path;
}

// The child starts with an empty signal mask and default dispositions, whatever the test runner
// has blocked or ignored (libmilter relies on sigwait for SIGTERM).
void resetSignals(posix_spawnattr_t& attr) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

std::vector<std::string> childEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  for (const auto& x : extra) {
    auto eq = x.find('=');
    std::string key = x.substr(0, eq == std::string::npos ? x.size() : eq + 1);
    std::erase_if(env, [&](const std::string& s) { return s.compare(0, key.size(), key) == 0; });
    env.push_back(x);
  }
  return env;
}

std::vector<char*> cPointers(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::unique_ptr<Process> Process::start(const std::string& program, const std::vector<std::string>& args,
                                        std::string* err) {
  return start(program, args, Options{}, err);
}

std::unique_ptr<Process> Process::start(const std::string& program, const std::vector<std::string>& args,
                                        const Options& options, std::string* err) {
  std::unique_ptr<Process> p(new Process());
  int outFd = -1;
  p->outputPath_ = makeCaptureFile(outFd, err);
  if (outFd < 0) return nullptr;
  p->keepOutput_ = options.keepOutput;
  milter_client::UniqueFd out(outFd);
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, out.get(), STDERR_FILENO);
  if (options.captureStdout) posix_spawn_file_actions_adddup2(&setup.actions, out.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!options.workDir.empty()) posix_spawn_file_actions_addchdir_np(&setup.actions, options.workDir.c_str());
  resetSignals(setup.attr);
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = childEnvironment(options.env);
  auto cargv = cPointers(argv);
  auto cenv = cPointers(env);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attr, cargv.data(), cenv.data());
  if (rc != 0) {
    if (err) *err = "spawn " + program + ": " + std::strerror(rc);
    return nullptr;  // the destructor removes the capture file
  }
  p->pid_ = pid;
  return p;
}

Process::~Process() {
  if (pid_ > 0 && !status_) stop(std::chrono::seconds(10));
  if (!keepOutput_ && !outputPath_.empty()) ::unlink(outputPath_.c_str());
}

bool Process::reap(bool block) {
  if (status_ || pid_ <= 0) return status_.has_value();
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  ExitStatus e;
  e.exited = WIFEXITED(st);
  e.code = e.exited ? WEXITSTATUS(st) : 0;
  e.signaled = WIFSIGNALED(st);
  e.signal = e.signaled ? WTERMSIG(st) : 0;
  status_ = e;
  return true;
}

bool Process::running() { return pid_ > 0 && !reap(false); }

std::optional<ExitStatus> Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!reap(false)) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return status_;
}

std::optional<ExitStatus> Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return std::nullopt;
  if (status_) return status_;
  ::kill(pid_, SIGTERM);
  if (wait(grace)) return status_;
  ::kill(pid_, SIGKILL);
  if (!wait(std::chrono::seconds(10))) return std::nullopt;
  status_->killed = true;
  return status_;
}

std::string Process::output() const { return am::testing::readFile(outputPath_); }

bool Process::waitForSocket(const std::string& socketSpec, std::chrono::milliseconds timeout, std::string* err) {
  auto spec = milter_client::SocketSpec::parse(socketSpec, err);
  if (!spec) return false;
  auto deadline = Clock::now() + timeout;
  std::string last;
  for (;;) {
    if (!running()) {
      std::string out = output();
      if (out.size() > 2000) out = out.substr(out.size() - 2000);
      if (err) *err = "process exited (" + (status_ ? status_->str() : "?") + ") before " + socketSpec +
                      " accepted connections; output:\n" + out;
      return false;
    }
    if (milter_client::connectSocket(*spec, std::chrono::milliseconds(500), &last).valid()) return true;
    if (Clock::now() >= deadline) {
      if (err) *err = socketSpec + " not accepting connections after " + std::to_string(timeout.count()) +
                      " ms: " + last;
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace am::milter_process
