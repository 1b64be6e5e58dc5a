// policy/idna.cpp — toAsciiDomain(): ASCII lowercasing plus RFC 3492 punycode for labels that
// carry UTF-8. Deliberately small: no Unicode case folding or NFC normalisation (those need
// tables); a U-label that is not already in canonical form therefore maps to a different
// A-label, which can only make alignment fail, never pass wrongly. Pure, thread-safe.
#include <cstdint>

#include "common/strings.h"
#include "policy/from_header.h"

namespace am::policy {
namespace {

bool decodeUtf8(std::string_view s, std::vector<uint32_t>& out) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (int k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    out.push_back(cp);
    i += len;
  }
  return true;
}

char digit(uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

uint32_t adapt(uint32_t delta, uint32_t numPoints, bool first) {
  delta = first ? delta / 700 : delta / 2;
  delta += delta / numPoints;
  uint32_t k = 0;
  while (delta > ((36 - 1) * 26) / 2) {
    delta /= 36 - 1;
    k += 36;
  }
  return k + (36 * delta) / (delta + 38);
}

// RFC 3492 §6.3 encoder; false on overflow.
bool punycode(const std::vector<uint32_t>& in, std::string& out) {
  uint32_t n = 128, delta = 0, bias = 72;
  size_t basic = 0;
  for (uint32_t c : in)
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++basic;
    }
  size_t h = basic;
  if (basic > 0) out += '-';
  while (h < in.size()) {
    uint32_t m = UINT32_MAX;
    for (uint32_t c : in)
      if (c >= n && c < m) m = c;
    if (static_cast<uint64_t>(m - n) * (h + 1) + delta > UINT32_MAX) return false;
    delta += (m - n) * static_cast<uint32_t>(h + 1);
    n = m;
    for (uint32_t c : in) {
      if (c < n && ++delta == 0) return false;
      if (c != n) continue;
      uint32_t q = delta;
      for (uint32_t k = 36;; k += 36) {
        uint32_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
        if (q < t) break;
        out += digit(t + (q - t) % (36 - t));
        q = (q - t) / (36 - t);
      }
      out += digit(q);
      bias = adapt(delta, static_cast<uint32_t>(h + 1), h == basic);
      delta = 0;
      ++h;
    }
    ++delta;
    ++n;
  }
  return true;
}

bool asciiLabelOk(std::string_view l) {
  for (char c : l) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string toAsciiDomain(std::string_view domain) {
  std::string lower = toLower(domain);
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  if (lower.empty() || lower.size() > 1024) return {};
  std::string out;
  for (auto& label : split(lower, ".", false)) {
    if (label.empty()) return {};
    std::string ascii;
    bool plain = true;
    for (char c : label)
      if (static_cast<unsigned char>(c) >= 0x80) plain = false;
    if (plain) {
      if (!asciiLabelOk(label)) return {};
      ascii = label;
    } else {
      std::vector<uint32_t> cps;
      if (!decodeUtf8(label, cps)) return {};
      // The ASCII code points of a U-label obey the rule of an ASCII label: "bü#cher" is as
      // unusable as "bu#cher" (punycode would otherwise carry the '#' into an A-label).
      for (uint32_t cp : cps) {
        char c = static_cast<char>(cp);
        if (cp < 0x80 && !asciiLabelOk(std::string_view(&c, 1))) return {};
      }
      ascii = "xn--";
      if (!punycode(cps, ascii)) return {};
    }
    if (ascii.size() > 63) return {};
    if (!out.empty()) out += '.';
    out += ascii;
  }
  if (out.size() > 253) return {};
  return out;
}

}  // namespace am::policy
