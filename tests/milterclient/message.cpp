// tests/milterclient/message.cpp — see message.h.
#include "tests/milterclient/message.h"

#include "common/strings.h"

namespace am::milter_client {

const char* actionName(Result::Action a) {
  switch (a) {
    case Result::Action::Accept: return "accept";
    case Result::Action::Continue: return "continue";
    case Result::Action::Reject: return "reject";
    case Result::Action::TempFail: return "tempfail";
    case Result::Action::Discard: return "discard";
    case Result::Action::ReplyCode: return "replycode";
    case Result::Action::Error: return "error";
  }
  return "?";
}

static std::string storedValue(const std::string& wireValue, bool leadingSpace) {
  if (leadingSpace && !wireValue.empty() && wireValue.front() == ' ') return wireValue.substr(1);
  return wireValue;
}

// Position of the n-th (1-based) header named `name`, or headers.size() if there is none.
static size_t findNth(const HeaderList& headers, const std::string& name, int n) {
  int seen = 0;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (iequals(headers[i].first, name) && ++seen == n) return i;
  }
  return headers.size();
}

void applyHeaderChange(HeaderList& headers, const HeaderChange& c, bool leadingSpace) {
  std::string value = storedValue(c.value, leadingSpace);
  switch (c.kind) {
    case HeaderChange::Kind::Add:
      headers.emplace_back(c.name, value);
      return;
    case HeaderChange::Kind::Insert: {
      size_t pos = c.index < 0 ? 0 : static_cast<size_t>(c.index);
      if (pos > headers.size()) pos = headers.size();
      headers.insert(headers.begin() + static_cast<std::ptrdiff_t>(pos), {c.name, value});
      return;
    }
    case HeaderChange::Kind::Change: {
      size_t pos = findNth(headers, c.name, c.index <= 0 ? 1 : c.index);
      bool found = pos < headers.size();
      if (c.value.empty()) {
        if (found) headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(pos));
      } else if (found) {
        headers[pos] = {c.name, value};
      } else {
        headers.emplace_back(c.name, value);
      }
      return;
    }
  }
}

// Splits raw text into lines without their terminators (LF or CRLF). `end` is set to the offset
// just past the blank line that ends the header section (or raw.size()).
static std::vector<std::string_view> headerLines(std::string_view raw, size_t& end) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    size_t next = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, (nl == std::string_view::npos ? raw.size() : nl) - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = next;
    if (line.empty()) {
      end = pos;
      return lines;
    }
    lines.push_back(line);
  }
  end = raw.size();
  return lines;
}

static std::string crlfBody(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) out.push_back('\r');
    out.push_back(body[i]);
  }
  return out;
}

static bool isFieldNameChar(char c) { return c > 32 && c < 127 && c != ':'; }

std::optional<Message> parseRfc5322(std::string_view raw, std::string* err) {
  Message m;
  size_t bodyStart = 0;
  auto lines = headerLines(raw, bodyStart);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      if (m.headers.empty()) {
        if (err) *err = "line " + std::to_string(i + 1) + ": continuation line before any header";
        return std::nullopt;
      }
      m.headers.back().second += "\n" + std::string(line);
      continue;
    }
    size_t colon = line.find(':');
    size_t nameEnd = colon == std::string_view::npos ? 0 : colon;
    while (nameEnd > 0 && (line[nameEnd - 1] == ' ' || line[nameEnd - 1] == '\t')) --nameEnd;
    bool ok = nameEnd > 0;
    for (size_t k = 0; ok && k < nameEnd; ++k) ok = isFieldNameChar(line[k]);
    if (!ok) {
      if (err) *err = "line " + std::to_string(i + 1) + ": not a header field: " + std::string(line.substr(0, 60));
      return std::nullopt;
    }
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    m.headers.emplace_back(std::string(line.substr(0, nameEnd)), std::string(value));
  }
  m.body = crlfBody(raw.substr(bodyStart));
  return m;
}

}  // namespace am::milter_client
