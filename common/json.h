// common/json.h — the one JSON writer: `test-message --json` (the whole MessageOutcome) and
// `LogFormat json` (one object per message) both write through it, so there is one string escaper.
// Strings are untrusted message data: quotes, backslashes, every control character (C0, DEL, C1)
// and U+2028/U+2029 are escaped, and bytes that are not valid UTF-8 become U+FFFD, so the output
// is always one line of valid UTF-8 JSON. A Writer is a plain value; use one per thread.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace am::json {

// Appends `s` as a JSON string, quotes included.
void appendString(std::string& out, std::string_view s);

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  Writer& beginObject() { return open('{'); }
  Writer& endObject() { return close('}'); }
  Writer& beginArray() { return open('['); }
  Writer& endArray() { return close(']'); }
  Writer& key(std::string_view k);
  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  Writer& value(bool b);
  Writer& value(int64_t n);
  Writer& value(uint64_t n);
  Writer& value(int n) { return value(static_cast<int64_t>(n)); }
  Writer& value(unsigned n) { return value(static_cast<uint64_t>(n)); }
  Writer& null();
  // key(k).value(v)
  template <class T>
  Writer& field(std::string_view k, const T& v) { return key(k).value(v); }

 private:
  Writer& open(char c);
  Writer& close(char c);
  void separate();

  std::string& out_;
  std::vector<bool> first_;  // per open container: no member written yet
  bool afterKey_ = false;
};

}  // namespace am::json
