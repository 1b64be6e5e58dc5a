// filter/core/log.cpp — see log.h.
#include "filter/core/log.h"

#include <syslog.h>

#include <cstdio>
#include <ctime>

namespace am::core {


void Logger::configure(bool useSyslog, const std::string& facility, bool debug) {
  std::lock_guard lk(mu_);
  debug_ = debug;
  if (useSyslog && !syslog_) {
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
  std::lock_guard lk(mu_);
  if (syslog_) {
    syslog(prios[i], "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s authmilter[%s]: %.*s\n", ts, names[i], static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
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
