// filter/auth/spf/macro.cpp — see macro.h. One scanner serves validation and expansion so the
// two can never disagree about what a macro-string means.
#include "filter/auth/spf/macro.h"

#include <algorithm>
#include <vector>

#include "common/dns.h"

namespace am::spf {
namespace {

constexpr unsigned kMaxDigits = 512;           // more parts than any 253-octet name can have
constexpr size_t kDomainTailKeep = 1024;       // > 253: enough to truncate correctly
constexpr size_t kDomainTailTrigger = 4096;

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isAlpha(c) || isDigit(c); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool isDelimiter(char c) { return std::string_view(".-+,/_=").find(c) != std::string_view::npos; }

bool letterAllowed(char l, MacroMode mode) {
  if (std::string_view("slodipvh").find(l) != std::string_view::npos) return true;
  return mode == MacroMode::Explain && std::string_view("crt").find(l) != std::string_view::npos;
}

bool literalAllowed(char c, MacroMode mode) {
  auto u = static_cast<unsigned char>(c);
  if (u == ' ') return mode == MacroMode::Explain;
  return u >= 0x21 && u <= 0x7e && c != '%';
}

struct Macro {
  char letter = 0;  // lowercase
  bool upper = false;
  unsigned digits = 0;  // 0 = all parts
  bool reverse = false;
  std::string_view delims;  // empty = "."
};

// One piece of a macro-string: literal text, an escape's replacement, or a macro.
struct Piece {
  enum Kind { Literal, Escape, Expand } kind = Literal;
  std::string_view text;  // Literal / Escape replacement
  Macro macro;            // Expand
};

// Parses "%{...}" starting at s[i] == '{'. Returns the index after '}' or npos.
size_t parseBraces(std::string_view s, size_t i, MacroMode mode, Macro& m) {
  ++i;
  if (i >= s.size() || !isAlpha(s[i])) return std::string_view::npos;
  m.letter = lower(s[i]);
  m.upper = s[i] != m.letter;
  if (!letterAllowed(m.letter, mode)) return std::string_view::npos;
  ++i;
  bool hasDigits = false;
  unsigned long n = 0;
  while (i < s.size() && isDigit(s[i])) {
    hasDigits = true;
    n = std::min<unsigned long>(n * 10 + static_cast<unsigned>(s[i] - '0'), kMaxDigits);
    ++i;
  }
  if (hasDigits && n == 0) return std::string_view::npos;  // §7.1: DIGIT must be nonzero
  m.digits = static_cast<unsigned>(n);
  if (i < s.size() && (s[i] == 'r' || s[i] == 'R')) {
    m.reverse = true;
    ++i;
  }
  size_t d = i;
  while (i < s.size() && isDelimiter(s[i])) ++i;
  m.delims = s.substr(d, i - d);
  if (i >= s.size() || s[i] != '}') return std::string_view::npos;
  return i + 1;
}

// Splits `s` into pieces; nullopt on any syntax error.
std::optional<std::vector<Piece>> scan(std::string_view s, MacroMode mode) {
  std::vector<Piece> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '%') {
      size_t start = i;
      while (i < s.size() && s[i] != '%') {
        if (!literalAllowed(s[i], mode)) return std::nullopt;
        ++i;
      }
      out.push_back({Piece::Literal, s.substr(start, i - start), {}});
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    char c = s[i + 1];
    if (c == '%' || c == '_' || c == '-') {
      std::string_view rep = c == '%' ? "%" : c == '_' ? " " : "%20";
      out.push_back({Piece::Escape, rep, {}});
      i += 2;
      continue;
    }
    if (c != '{') return std::nullopt;
    Piece p{Piece::Expand, {}, {}};
    size_t next = parseBraces(s, i + 1, mode, p.macro);
    if (next == std::string_view::npos) return std::nullopt;
    out.push_back(p);
    i = next;
  }
  return out;
}

std::string urlEscape(std::string_view v) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : v) {
    if (isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
  return out;
}

std::string letterValue(char letter, const MacroEnv& env) {
  switch (letter) {
    case 's': return std::string(env.sender);
    case 'l': return std::string(env.local);
    case 'o': return std::string(env.senderDomain);
    case 'd': return std::string(env.domain);
    case 'i': return dottedAddress(env.client);
    case 'p': return env.validatedName ? env.validatedName() : std::string("unknown");
    case 'v': return env.client.v6 ? "ip6" : "in-addr";
    case 'h': return std::string(env.helo);
    case 'c': return env.client.str();
    case 'r': return std::string(env.receiver);
    case 't': return std::to_string(env.now);
  }
  return {};
}

// Applies the transformers of §7.3: split on delimiters, optional reversal, keep the
// right-most `digits` parts, join with ".", then URL-escape for upper-case letters.
std::string transform(const Macro& m, const std::string& value) {
  std::string_view delims = m.delims.empty() ? std::string_view(".") : m.delims;
  std::vector<std::string_view> parts;
  std::string_view v(value);
  size_t start = 0;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i == v.size() || delims.find(v[i]) != std::string_view::npos) {
      parts.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  }
  if (m.reverse) std::reverse(parts.begin(), parts.end());
  size_t first = 0;
  if (m.digits > 0 && m.digits < parts.size()) first = parts.size() - m.digits;
  std::string out;
  for (size_t i = first; i < parts.size(); ++i) {
    if (i > first) out += '.';
    out += parts[i];
  }
  return m.upper ? urlEscape(out) : out;
}

void append(std::string& out, std::string_view piece, MacroMode mode) {
  if (mode == MacroMode::Explain) {
    if (out.size() < kMaxExplanation) out.append(piece.substr(0, kMaxExplanation - out.size()));
    return;
  }
  out.append(piece);
  if (out.size() > kDomainTailTrigger) out.erase(0, out.size() - kDomainTailKeep);
}

}  // namespace

bool validMacroString(std::string_view s, MacroMode mode) { return scan(s, mode).has_value(); }

bool validTopLabel(std::string_view s) {
  if (s.empty()) return false;
  bool dash = false, alpha = false;
  for (char c : s) {
    if (c == '-') dash = true;
    else if (isAlpha(c)) alpha = true;
    else if (!isDigit(c)) return false;
  }
  if (!dash) return alpha;
  return isAlnum(s.front()) && isAlnum(s.back());
}

bool validDomainSpec(std::string_view s) {
  auto pieces = scan(s, MacroMode::Domain);
  if (!pieces || pieces->empty()) return false;
  if (pieces->back().kind != Piece::Literal) return true;  // ends in a macro-expand
  std::string_view tail = pieces->back().text;
  if (!tail.empty() && tail.back() == '.') tail.remove_suffix(1);
  size_t dot = tail.rfind('.');
  if (dot == std::string_view::npos) return false;
  return validTopLabel(tail.substr(dot + 1));
}

std::optional<std::string> expandMacros(std::string_view s, MacroMode mode, const MacroEnv& env) {
  auto pieces = scan(s, mode);
  if (!pieces) return std::nullopt;
  std::string out;
  for (const Piece& p : *pieces) {
    if (p.kind != Piece::Expand) {
      append(out, p.text, mode);
      continue;
    }
    append(out, transform(p.macro, letterValue(p.macro.letter, env)), mode);
  }
  return out;
}

std::string finishDomain(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  while (name.size() > 253) {
    size_t dot = name.find('.');
    if (dot == std::string::npos) break;  // one giant label: left invalid for validQueryName
    name.erase(0, dot + 1);
  }
  return name;
}

bool validQueryName(std::string_view name) {
  // What the resolver would refuse (control characters, length: am::queryableName) is no name
  // to look up: the caller counts it as a void lookup (§4.6.4), never as a DNS error the sender
  // could provoke. Spaces ("%_", a quoted local part "a b"@example.org) and backslashes are
  // ordinary octets that are looked up (§7.1); 8-bit octets are not sent.
  if (!name.empty() && name.back() == '.') return false;
  if (!am::queryableName(name)) return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

bool validIdentityDomain(std::string_view name) {
  if (!validQueryName(name)) return false;
  for (char c : name)
    if (!isAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  size_t dot = name.rfind('.');
  return dot != std::string_view::npos && validTopLabel(name.substr(dot + 1));
}

std::string dottedAddress(const IpAddress& ip) {
  if (!ip.v6) return ip.str();
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i) out += '.';
    out += hex[ip.bytes[i] >> 4];
    out += '.';
    out += hex[ip.bytes[i] & 0xf];
  }
  return out;
}

}  // namespace am::spf
