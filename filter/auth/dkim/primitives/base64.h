// filter/auth/dkim/primitives/base64.h — base64 (RFC 4648 §4) as DKIM uses it: b=, bh= and
// p= values, whose whitespace is folding and carries no data (RFC 6376 §3.5, §3.6.1).
// Pure functions; thread-safe.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace am::dkim {

// Padded base64 of the bytes, on one line.
std::string base64Encode(const void* data, size_t n);
inline std::string base64Encode(std::string_view bytes) { return base64Encode(bytes.data(), bytes.size()); }

// Decodes with whitespace (SP, HTAB, CR, LF) ignored and padding optional; nullopt for any other
// character, data after padding, or more than two padding characters.
std::optional<std::string> base64Decode(std::string_view in);

}  // namespace am::dkim
