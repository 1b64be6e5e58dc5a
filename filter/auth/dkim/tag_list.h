// filter/auth/dkim/tag_list.h — strict parser for DKIM tag=value lists (RFC 6376 §3.2), used to
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

// RFC 6376 semantic checks for a DKIM-Signature tag list beyond the grammar: duplicate tags,
// t=/x= syntax. Returns an empty string when valid, else a short reason.
std::string checkSignatureTags(const TagList& tags);

// Decimal value of a t=/x=/l= tag, when it is 1..18 digits.
std::optional<uint64_t> parseDecimal(std::string_view s);

// Value with all whitespace removed (b=, bh=).
std::string stripWhitespace(std::string_view s);

}  // namespace am::dkim
