// filter/core/log.h — the process log: syslog (facility from config) or stderr. One key=value
// line per message is built by the core; this class only writes lines. Thread-safe.
#pragma once
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

namespace am::core {

enum class LogLevel { Error, Warning, Info, Debug };

class Logger {
 public:
  Logger() = default;  // stderr until configure()
  void configure(bool useSyslog, const std::string& facility, bool debug);
  void write(LogLevel level, std::string_view line) const;
  void error(std::string_view l) const { write(LogLevel::Error, l); }
  void warning(std::string_view l) const { write(LogLevel::Warning, l); }
  void info(std::string_view l) const { write(LogLevel::Info, l); }
  void debug(std::string_view l) const { write(LogLevel::Debug, l); }
  bool debugEnabled() const { return debug_; }
  // Only warnings and errors are written (`test-message` without --log).
  void setQuiet(bool quiet) { quiet_ = quiet; }

 private:
  mutable std::mutex mu_;  // configure() only; write() takes no lock
  std::atomic<bool> syslog_{false};
  std::atomic<bool> debug_{false};
  std::atomic<bool> quiet_{false};
};

// Quote a value for key=value logs when it has spaces, quotes or control bytes.
std::string logValue(std::string_view v);
// The same, appended to `out` (no temporaries).
void appendLogValue(std::string& out, std::string_view v);

}  // namespace am::core
