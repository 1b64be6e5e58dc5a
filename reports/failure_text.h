// reports/failure_text.h — the text hygiene of failure reports (reports/failure.h): header field
// names and values taken from a message made safe to write into another message (no CR, LF, NUL
// or other controls, so a value can add neither fields nor MIME parts; whitespace runs made one
// space; invalid UTF-8 replaced by U+FFFD, or every non-ASCII byte by '?' where only ASCII may
// go), fields folded to 78 columns where they have spaces and never longer than 998 octets, and
// a body turned into CRLF lines of at most 998 octets without NUL, cut at a line end to a size.
// Pure functions; thread-safe.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace am::reports::text {

// A header value as it may be written: one line, no controls, trimmed.
std::string cleanValue(std::string_view v, bool asciiOnly);
// A field name: printable ASCII without ':' (others become '-'); "X-Unnamed" when empty; at most 76.
std::string cleanName(std::string_view name);
// "Name: value\r\n" folded; `value` must come from cleanValue (no CR/LF).
std::string foldField(std::string_view name, std::string_view value);
// The body as CRLF lines (bare CR or LF made CRLF, NUL dropped, lines over 998 octets broken),
// cut at a line end so that it stays within `maxBytes`; *cut tells whether anything was left out.
std::string bodyLines(std::string_view body, size_t maxBytes, bool* cut);
// Plain text (CRLF lines) wrapped at spaces to 76 columns, words longer than a line broken.
std::string wrapLines(std::string_view text);
bool has8bit(std::string_view s);

}  // namespace am::reports::text
