// filter/auth/dkim/primitives/tag_list.h — strict parser for DKIM tag=value lists (RFC 6376 §3.2), used to
// catch what libopendkim tolerates: duplicated tags (it silently keeps the last one), 8-bit or
// control characters, malformed tag names, and non-numeric t=/x= values.
// Pure functions over values; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace am::dkim {

struct TagList {
  std::vector<std::pair<std::string, std::string>> tags;  // in order; values trimmed
  std::string error;                                      // empty when the list is valid
  const std::string* get(std::string_view name) const;    // first occurrence
};

// Parses a tag-list (e.g. a DKIM-Signature value; CRLF/LF folding allowed).
TagList parseTagList(std::string_view text);

// The same parse without copies: names and values are views into the parsed text, which must
// outlive the TagViews. Used on the per-message path (key records) to avoid allocations.
struct TagViews {
  std::vector<std::pair<std::string_view, std::string_view>> tags;  // in order; values trimmed
  const char* error = nullptr;                                      // null when the list is valid
  const std::string_view* get(std::string_view name) const;         // first occurrence
};
TagViews parseTagViews(std::string_view text);

// RFC 6376 semantic checks for a DKIM-Signature tag list beyond the grammar: duplicate tags,
// t=/x= syntax. Returns an empty string when valid, else a short reason.
std::string checkSignatureTags(const TagList& tags);

// Decimal value of a t=/x=/l= tag, when it is 1..18 digits.
std::optional<uint64_t> parseDecimal(std::string_view s);

// Value with all whitespace removed (b=, bh=).
std::string stripWhitespace(std::string_view s);

}  // namespace am::dkim
