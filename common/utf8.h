// common/utf8.h — the one UTF-8 decoder of the log and JSON writers (common/json.h,
// filter/core/log.h): which bytes of untrusted text are valid UTF-8 and which code points they
// encode. Pure, thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace am::utf8 {

// Length (2..4) of the valid, shortest-form UTF-8 sequence that starts at s[i] (a byte >= 0x80),
// with its code point in `cp`; 0 when the bytes there are not one (stray continuation byte,
// overlong form, surrogate, beyond U+10FFFF, truncated).
inline size_t sequence(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) return 0;
  cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Code points a log line must not carry raw: C1 controls (U+0080..U+009F, NEL among them) and the
// Unicode line and paragraph separators.
inline bool unsafeCodePoint(uint32_t cp) { return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029; }

}  // namespace am::utf8
