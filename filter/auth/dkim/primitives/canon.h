// filter/auth/dkim/primitives/canon.h — the DKIM canonicalization algorithms (RFC 6376 §3.4)
// and the header half of them; the body half is BodyHasher (body_hash.h).
//
// Headers are given as the MTA delivers them to a milter with SMFIP_HDR_LEADSPC: the value
// keeps its leading whitespace and folds with bare LF (CRLF folding is accepted too).
// Pure functions over values; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace am::dkim {

enum class Canon { Simple, Relaxed };

const char* canonName(Canon c);                          // "simple" / "relaxed"
std::optional<Canon> parseCanonName(std::string_view w);  // case-insensitive, no trimming

// Canonical header field (RFC 6376 §3.4.1 simple, §3.4.2 relaxed) with its trailing CRLF,
// appended to `out`.
void appendCanonHeader(std::string& out, Canon c, std::string_view name, std::string_view value);
// The same as a new string.
std::string canonHeader(Canon c, std::string_view name, std::string_view value);

}  // namespace am::dkim
