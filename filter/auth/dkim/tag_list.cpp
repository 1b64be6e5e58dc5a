// filter/auth/dkim/tag_list.cpp — RFC 6376 §3.2 tag-list parsing (see tag_list.h).
#include "filter/auth/dkim/tag_list.h"

#include <cstdint>
#include <set>

namespace am::dkim {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view trimWsp(std::string_view s) {
  while (!s.empty() && isWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back())) s.remove_suffix(1);
  return s;
}

// Checks one tag-spec and appends it; returns an error text or "".
std::string addSpec(std::string_view spec, TagList& out) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos) return "tag without '='";
  std::string_view name = trimWsp(spec.substr(0, eq));
  std::string_view value = trimWsp(spec.substr(eq + 1));
  if (name.empty() || !isAlpha(name.front())) return "malformed tag name";
  for (char c : name)
    if (!isAlpha(c) && !isDigit(c) && c != '_') return "malformed tag name";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (!isWsp(c) && (u < 0x21 || u > 0x7e)) return "invalid character in tag value";
  }
  out.tags.emplace_back(std::string(name), std::string(value));
  return "";
}

}  // namespace

const std::string* TagList::get(std::string_view name) const {
  for (const auto& [k, v] : tags)
    if (k == name) return &v;
  return nullptr;
}

TagList parseTagList(std::string_view text) {
  TagList out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t semi = text.find(';', start);
    if (semi == std::string_view::npos) semi = text.size();
    std::string_view spec = text.substr(start, semi - start);
    if (!trimWsp(spec).empty()) {
      std::string err = addSpec(spec, out);
      if (!err.empty()) {
        out.error = err;
        return out;
      }
    }
    start = semi + 1;
  }
  return out;
}

std::optional<uint64_t> parseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// RFC 6376 §3.5 d=/s= are domain names: dot-separated labels of letters, digits, '-' (and
// '_', tolerated in selectors seen in the wild). Anything else, e.g. "a.com(.b.com", is invalid.
bool validDomainish(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!isAlpha(c) && !isDigit(c) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label > 0 || s.back() == '.';
}

std::string checkSignatureTags(const TagList& tags) {
  if (!tags.error.empty()) return "signature syntax error: " + tags.error;
  std::set<std::string> seen;
  for (const auto& [k, v] : tags.tags)
    if (!seen.insert(k).second) return "duplicate tag " + k + "=";
  for (const char* t : {"t", "x"}) {
    const std::string* v = tags.get(t);
    if (v != nullptr && !parseDecimal(*v)) return std::string("invalid ") + t + "= tag";
  }
  for (const char* t : {"d", "s"}) {
    const std::string* v = tags.get(t);
    if (v != nullptr && !validDomainish(*v)) return std::string("invalid ") + t + "= tag";
  }
  return "";
}

std::string stripWhitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!isWsp(c)) out.push_back(c);
  return out;
}

}  // namespace am::dkim
