// filter/core/log.cpp — see log.h.
#include "filter/core/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/utf8.h"

namespace am::core {
namespace {

constexpr size_t kStampMax = 32;

// Writes "YYYY-MM-DDTHH:MM:SSZ" (UTC) to out; returns its length. The text is formatted once
// per second per thread.
size_t stamp(char* out) {
  thread_local std::time_t last = -1;
  thread_local char text[kStampMax];
  thread_local size_t len = 0;
  std::time_t t = std::time(nullptr);
  if (t != last) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    len = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    last = t;
  }
  std::memcpy(out, text, len);
  return len;
}

// Writes all of data, resuming after partial writes and EINTR; gives up silently on errors
// (nowhere left to log to).
void writeAll(int fd, const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

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
  if (level >= LogLevel::Info && quiet_.load(std::memory_order_relaxed)) return;
  static const char* names[] = {"error", "warning", "info", "debug"};
  static const int prios[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
  int i = static_cast<int>(level);
  // No lock of ours around the I/O: every worker logs once per message, and a mutex held across
  // a syscall makes the other workers queue (measured: futex waits at concurrency 64). glibc's
  // syslog() serialises internally; on stderr the line goes out in one write(), which the kernel
  // keeps whole (pipes: up to PIPE_BUF; files opened with O_APPEND). It is assembled on the
  // stack when it fits (1 KiB), with the timestamp text reused within a second.
  if (syslog_.load(std::memory_order_relaxed)) {
    syslog(prios[i], "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  char stackBuf[1024];  // the usual line fits: no allocation
  std::string heapBuf;
  const size_t need = kStampMax + 24 + line.size();  // stamp, " authmilter[warning]: ", line, LF
  char* out = stackBuf;
  if (need > sizeof stackBuf) {
    heapBuf.resize(need);
    out = heapBuf.data();
  }
  size_t n = stamp(out);
  for (std::string_view piece : {std::string_view(" authmilter["), std::string_view(names[i]), std::string_view("]: "), line}) {
    std::memcpy(out + n, piece.data(), piece.size());
    n += piece.size();
  }
  out[n++] = '\n';
  writeAll(STDERR_FILENO, out, n);
}

// Message data can carry anything. Escaped as \xHH: C0 controls, DEL, bytes that are not valid
// UTF-8, and the bytes of C1 controls (U+0080..U+009F) and U+2028/U+2029; '"' and '\\' get a
// backslash. A value is cut before the unit (byte, escape, character) that would take it over
// kMax bytes, never inside one, and then ends in "...".
void appendLogValue(std::string& out, std::string_view v) {
  constexpr size_t kMax = 512;
  static const char hex[] = "0123456789abcdef";
  bool quote = v.empty();
  for (unsigned char c : v)
    if (c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f) { quote = true; break; }
  if (quote) out += '"';
  const size_t start = out.size();
  bool cut = false;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;  // a run of printable ASCII other than '"' and '\\' goes out in one piece
    while (j < v.size() && static_cast<unsigned char>(v[j]) >= 0x20 && static_cast<unsigned char>(v[j]) < 0x7f &&
           v[j] != '"' && v[j] != '\\')
      ++j;
    if (j > i) {
      const size_t room = kMax - (out.size() - start);
      if (j - i > room) {
        out.append(v.data() + i, room);
        cut = true;
        break;
      }
      out.append(v.data() + i, j - i);
      i = j;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(v[i]);
    char unit[16];
    size_t n = 0, used = 1;
    auto escape = [&](unsigned char b) {
      unit[n++] = '\\';
      unit[n++] = 'x';
      unit[n++] = hex[b >> 4];
      unit[n++] = hex[b & 15];
    };
    if (c < 0x20 || c == 0x7f) {
      escape(c);
    } else if (c < 0x80) {
      if (c == '"' || c == '\\') unit[n++] = '\\';
      unit[n++] = static_cast<char>(c);
    } else {
      uint32_t cp = 0;
      used = utf8::sequence(v, i, cp);
      if (used == 0) {
        used = 1;
        escape(c);
      } else {
        for (size_t k = 0; k < used; ++k) {
          unsigned char b = static_cast<unsigned char>(v[i + k]);
          if (utf8::unsafeCodePoint(cp)) escape(b);
          else unit[n++] = static_cast<char>(b);
        }
      }
    }
    if (out.size() - start + n > kMax) {
      cut = true;
      break;
    }
    out.append(unit, n);
    i += used;
  }
  if (cut) out += "...";
  if (quote) out += '"';
}

std::string logValue(std::string_view v) {
  std::string out;
  appendLogValue(out, v);
  return out;
}

}  // namespace am::core
