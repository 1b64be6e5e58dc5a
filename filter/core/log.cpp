// filter/core/log.cpp — see log.h.
#include "filter/core/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace am::core {


void Logger::configure(bool useSyslog, const std::string& facility, bool debug) {
  std::lock_guard lk(mu_);
  debug_ = debug;
  if (useSyslog && !syslog_.load()) {
    int fac = LOG_MAIL;
    if (facility == "daemon") fac = LOG_DAEMON;
    else if (facility.rfind("local", 0) == 0 && facility.size() == 6) fac = LOG_LOCAL0 + ((facility[5] - '0') << 3);
    openlog("authmilter", LOG_PID | LOG_NDELAY, fac);
  }
  syslog_ = useSyslog;
}

void Logger::write(LogLevel level, std::string_view line) const {
  if (level == LogLevel::Debug && !debug_) return;
  static const char* names[] = {"error", "warning", "info", "debug"};
  static const int prios[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
  int i = static_cast<int>(level);
  // No lock of ours around the I/O: every worker logs once per message, and a mutex held across
  // a syscall makes the other workers queue (measured: futex waits at concurrency 64). glibc's
  // syslog() serialises internally; on stderr the line goes out in one write(), which the kernel
  // keeps whole (pipes: up to PIPE_BUF; files opened with O_APPEND).
  if (syslog_.load(std::memory_order_relaxed)) {
    syslog(prios[i], "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string out;
  out.reserve(line.size() + 64);
  out.append(ts).append(" authmilter[").append(names[i]).append("]: ").append(line).push_back('\n');
  for (size_t done = 0; done < out.size();) {
    ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to
    done += static_cast<size_t>(n);
  }
}

std::string logValue(std::string_view v) {
  bool quote = v.empty();
  std::string out;
  for (unsigned char c : v) {
    if (c == ' ' || c == '"' || c == '=') quote = true;
    if (c < 0x20 || c == 0x7f) {
      char b[5];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
      quote = true;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() > 512) out = out.substr(0, 512) + "...";
  return quote ? "\"" + out + "\"" : out;
}

}  // namespace am::core
