// reports/failure_text.cpp — see failure_text.h.
#include "reports/failure_text.h"

#include <cstdint>

#include "common/utf8.h"

namespace am::reports::text {
namespace {

constexpr size_t kFoldAt = 78;     // RFC 5322 §2.1.1: SHOULD
constexpr size_t kLineMax = 998;   // RFC 5322 §2.1.1: MUST (without CRLF)
constexpr size_t kHardAt = 900;    // a word longer than a line is broken here

bool isSpace(char c) { return c == ' ' || c == '\t'; }

// Bytes that end a UTF-8 sequence at `n` (a position inside `s`) without splitting one.
size_t charBoundary(std::string_view s, size_t n) {
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

bool has8bit(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

std::string cleanValue(std::string_view v, bool asciiOnly) {
  std::string out;
  out.reserve(v.size());
  bool pendingSpace = false;
  for (size_t i = 0; i < v.size();) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7F || c == ' ') {  // CR, LF, NUL, TAB and every other control
      pendingSpace = !out.empty();
      ++i;
      continue;
    }
    if (pendingSpace) out += ' ', pendingSpace = false;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = utf8::sequence(v, i, cp);
    if (asciiOnly) {
      out += '?';
      i += len ? len : 1;
    } else if (len == 0 || utf8::unsafeCodePoint(cp)) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      i += len ? len : 1;
    } else {
      out.append(v.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string cleanName(std::string_view name) {
  std::string out;
  for (char ch : name.substr(0, 76)) {
    unsigned char c = static_cast<unsigned char>(ch);
    out += (c > 32 && c < 127 && c != ':') ? ch : '-';
  }
  return out.empty() ? "X-Unnamed" : out;
}


namespace {
// Appends `word` at column `col`, broken at character boundaries (`breakWith` after each piece: CRLF,
// or CRLF and the space of a folded header line) while it would pass kLineMax; `col` follows.
void appendWord(std::string& out, std::string_view word, size_t& col, std::string_view breakWith) {
  while (col + word.size() > kLineMax) {
    size_t take = charBoundary(word, kHardAt > col ? kHardAt - col : 1);
    if (take == 0) take = 1;
    out.append(word.substr(0, take));
    out.append(breakWith);
    col = breakWith.size() - 2;
    word.remove_prefix(take);
  }
  out.append(word);
  col += word.size();
}
}  // namespace

std::string foldField(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ':';
  size_t lineLen = out.size();
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && isSpace(value[i])) ++i;
    size_t end = i;
    while (end < value.size() && !isSpace(value[end])) ++end;
    std::string_view word = value.substr(i, end - i);
    i = end;
    if (word.empty()) break;
    // Fold before the space that precedes the word when the word does not fit on this line.
    if (lineLen + 1 + word.size() > kFoldAt && lineLen > name.size() + 1) {
      out += "\r\n";
      lineLen = 0;
    }
    out += ' ';
    ++lineLen;
    // A word longer than a line: broken (unfolding then shows a space there).
    appendWord(out, word, lineLen, "\r\n ");
  }
  out += "\r\n";
  return out;
}

std::string wrapLines(std::string_view t) {
  std::string out;
  for (size_t start = 0; start < t.size();) {
    size_t end = t.find("\r\n", start);
    std::string_view line = t.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? t.size() : end + 2;
    size_t col = 0;
    for (size_t i = 0; i < line.size();) {
      size_t e = line.find(' ', i);
      std::string_view word = line.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
      i = e == std::string_view::npos ? line.size() : e + 1;
      if (word.empty()) continue;
      if (col > 0 && col + 1 + word.size() > 76) {
        out += "\r\n";
        col = 0;
      } else if (col > 0) {
        out += ' ';
        ++col;
      }
      appendWord(out, word, col, "\r\n");
    }
    out += "\r\n";
  }
  return out;
}

std::string bodyLines(std::string_view body, size_t maxBytes, bool* cut) {
  std::string out;
  out.reserve(body.size() < maxBytes ? body.size() + body.size() / 16 : maxBytes);
  size_t lineStart = 0;   // in out
  size_t lastGoodEnd = 0; // out.size() after the last complete line that fit
  *cut = false;
  const auto endLine = [&] {
    out += "\r\n";
    lineStart = out.size();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;
      endLine();
    } else if (c != '\0') {
      if (out.size() - lineStart >= kLineMax) endLine();
      out += c;
    }
    if (out.size() > maxBytes) {
      out.resize(lastGoodEnd);
      *cut = true;
      return out;
    }
    if (out.size() == lineStart) lastGoodEnd = out.size();
  }
  if (out.size() != lineStart) {  // the last line gets its CRLF
    if (out.size() + 2 > maxBytes) {
      out.resize(lastGoodEnd);
      *cut = true;
      return out;
    }
    endLine();
  }
  return out;
}

}  // namespace am::reports::text
