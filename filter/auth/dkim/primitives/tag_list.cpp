// filter/auth/dkim/primitives/tag_list.cpp — RFC 6376 §3.2 tag-list parsing (see tag_list.h).
#include "filter/auth/dkim/primitives/tag_list.h"

#include <algorithm>
#include <cstdint>

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

// Checks one tag-spec; on success sets name/value (trimmed views) and returns null, else an
// error text.
const char* checkSpec(std::string_view spec, std::string_view& name, std::string_view& value) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos) return "tag without '='";
  name = trimWsp(spec.substr(0, eq));
  value = trimWsp(spec.substr(eq + 1));
  if (name.empty() || !isAlpha(name.front())) return "malformed tag name";
  for (char c : name)
    if (!isAlpha(c) && !isDigit(c) && c != '_') return "malformed tag name";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (!isWsp(c) && (u < 0x21 || u > 0x7e)) return "invalid character in tag value";
  }
  return nullptr;
}

// Walks the tag-specs of `text`, calling add(name, value) for each valid one; stops at the first
// bad spec and returns its error text (null when all are valid).
template <class Add>
const char* walkTags(std::string_view text, Add&& add) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t semi = text.find(';', start);
    if (semi == std::string_view::npos) semi = text.size();
    std::string_view spec = text.substr(start, semi - start);
    if (!trimWsp(spec).empty()) {
      std::string_view name, value;
      if (const char* err = checkSpec(spec, name, value)) return err;
      add(name, value);
    }
    start = semi + 1;
  }
  return nullptr;
}

constexpr size_t kTypicalTags = 12;  // a DKIM-Signature has ~10 tags, a key record ~3

}  // namespace

const std::string* TagList::get(std::string_view name) const {
  for (const auto& [k, v] : tags)
    if (k == name) return &v;
  return nullptr;
}

const std::string_view* TagViews::get(std::string_view name) const {
  for (const auto& [k, v] : tags)
    if (k == name) return &v;
  return nullptr;
}

TagList parseTagList(std::string_view text) {
  TagList out;
  out.tags.reserve(kTypicalTags);
  const char* err = walkTags(text, [&](std::string_view n, std::string_view v) { out.tags.emplace_back(n, v); });
  if (err != nullptr) out.error = err;
  return out;
}

TagViews parseTagViews(std::string_view text) {
  TagViews out;
  out.tags.reserve(kTypicalTags);
  out.error = walkTags(text, [&](std::string_view n, std::string_view v) { out.tags.emplace_back(n, v); });
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

// The first tag name (in list order) that occurs again later, or null. Quadratic for the usual
// short lists (no allocation); long (hostile) lists are checked through a sorted index.
static const std::string* firstDuplicate(const TagList& tags) {
  const auto& t = tags.tags;
  if (t.size() <= 32) {
    for (size_t i = 1; i < t.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (t[i].first == t[j].first) return &t[i].first;
    return nullptr;
  }
  std::vector<size_t> order(t.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return t[a].first != t[b].first ? t[a].first < t[b].first : a < b; });
  size_t best = t.size();  // the second occurrence that comes first in list order
  for (size_t k = 1; k < order.size(); ++k)
    if (t[order[k]].first == t[order[k - 1]].first) best = std::min(best, order[k]);
  return best < t.size() ? &t[best].first : nullptr;
}

std::string checkSignatureTags(const TagList& tags) {
  if (!tags.error.empty()) return "signature syntax error: " + tags.error;
  if (const std::string* dup = firstDuplicate(tags)) return "duplicate tag " + *dup + "=";
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
