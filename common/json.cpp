// common/json.cpp — see json.h.
#include "common/json.h"

#include "common/utf8.h"

namespace am::json {

void appendString(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  auto u = [&out](uint32_t cp) {
    const char e[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15], hex[cp & 15]};
    out.append(e, 6);
  };
  out += '"';
  for (size_t i = 0; i < s.size();) {
    size_t j = i;  // a run of printable ASCII other than '"' and '\\' goes out in one piece
    while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x20 && static_cast<unsigned char>(s[j]) < 0x7f &&
           s[j] != '"' && s[j] != '\\')
      ++j;
    if (j > i) {
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      uint32_t cp = 0;
      size_t len = utf8::sequence(s, i, cp);
      if (len == 0) {
        u(0xFFFD);  // not UTF-8: replaced
        ++i;
      } else {
        if (utf8::unsafeCodePoint(cp)) u(cp);
        else out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) u(c);
        else out += static_cast<char>(c);
    }
  }
  out += '"';
}

void Writer::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

Writer& Writer::open(char c) {
  separate();
  out_ += c;
  first_.push_back(true);
  return *this;
}

Writer& Writer::close(char c) {
  out_ += c;
  if (!first_.empty()) first_.pop_back();
  return *this;
}

Writer& Writer::key(std::string_view k) {
  separate();
  appendString(out_, k);
  out_ += ':';
  afterKey_ = true;
  return *this;
}

Writer& Writer::value(std::string_view s) {
  separate();
  appendString(out_, s);
  return *this;
}

Writer& Writer::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

Writer& Writer::value(int64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

Writer& Writer::value(uint64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

Writer& Writer::null() {
  separate();
  out_ += "null";
  return *this;
}

}  // namespace am::json
