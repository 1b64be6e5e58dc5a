// filter/auth/spf/macro.h — SPF macro strings (RFC 7208 §7): syntax check, expansion, and the
// domain-name rules that go with them (domain-end, §7.3 truncation to 253 octets, query-name
// validity). Internal to am_spf.
//
// Bounds: transformer digits are clamped, a domain expansion keeps only the tail that can
// survive the 253-octet truncation, an explanation is capped at kMaxExplanation octets; values
// are never re-expanded, so there are no loops. Pure functions, thread-safe.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip.h"

namespace am::spf {

// Domain: domain-spec of a mechanism/modifier (letters slodipvh).
// Explain: the TXT text named by exp= (adds c, r, t and SP).
// Modifier: value of an unknown modifier (checked, never expanded; letters slodipvh).
enum class MacroMode { Domain, Explain, Modifier };

inline constexpr size_t kMaxExplanation = 1024;

// True when `s` is a valid macro-string (explain-string in Explain mode).
bool validMacroString(std::string_view s, MacroMode mode);

// True when `s` is a valid, non-empty domain-spec: macro-string ending in "." toplabel ["."]
// or in a macro-expand (RFC 7208 §7.1).
bool validDomainSpec(std::string_view s);

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool validTopLabel(std::string_view s);

// Values of the macro letters for one expansion.
struct MacroEnv {
  std::string_view sender;        // s
  std::string_view local;         // l
  std::string_view senderDomain;  // o
  std::string_view domain;        // d (current domain)
  std::string_view helo;          // h
  std::string_view receiver;      // r
  IpAddress client;               // i, c, v (already unmapped)
  int64_t now = 0;                // t
  std::function<std::string()> validatedName;  // p (looked up only when used)
};

// Expands a macro-string; nullopt on a syntax error. Domain mode: the result is the tail-bounded
// raw expansion (pass it to finishDomain()). Explain mode: capped at kMaxExplanation.
std::optional<std::string> expandMacros(std::string_view s, MacroMode mode, const MacroEnv& env);

// Strips one trailing dot and truncates from the left by whole labels to <= 253 octets.
std::string finishDomain(std::string name);

// A name we are willing to send to DNS: 1..253 octets, labels 1..63, ASCII 0x20-0x7E only.
bool validQueryName(std::string_view name);

// A check_host() <domain> that is well formed (§4.3): LDH/underscore labels of 1..63 octets,
// <= 253 octets, at least two labels, a valid toplabel. Input without a trailing dot.
bool validIdentityDomain(std::string_view name);

// "i" macro value: dotted quad, or 32 dot-separated hex nibbles for IPv6.
std::string dottedAddress(const IpAddress& ip);

}  // namespace am::spf
