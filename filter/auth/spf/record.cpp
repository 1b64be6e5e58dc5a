// filter/auth/spf/record.cpp — see record.h. Terms are separated by runs of SP only (§4.6.1);
// each term is classified as modifier (name "=") or directive, then checked against its ABNF.
#include "filter/auth/spf/record.h"

#include <arpa/inet.h>

#include "common/strings.h"
#include "filter/auth/spf/macro.h"

namespace am::spf {
namespace {

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string printable(std::string_view term) {
  std::string out;
  for (char c : term.substr(0, 64)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

// ip4-cidr-length / ip6-cidr-length digits: "0" or no leading zero, value <= max.
std::optional<int> cidrValue(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!isDigit(c)) return false;
  return true;
}

// Strips a trailing dual-cidr-length ("/n", "//n", "/n//m") from `rest`. False on a bad value.
bool takeDualCidr(std::string_view& rest, Mechanism& m) {
  size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos || !allDigits(rest.substr(slash + 1))) return true;
  std::string_view digits = rest.substr(slash + 1);
  if (slash > 0 && rest[slash - 1] == '/') {
    auto v6 = cidrValue(digits, 128);
    if (!v6) return false;
    m.cidr6 = *v6;
    rest = rest.substr(0, slash - 1);
    slash = rest.rfind('/');
    if (slash == std::string_view::npos || !allDigits(rest.substr(slash + 1))) return true;
    digits = rest.substr(slash + 1);
  }
  auto v4 = cidrValue(digits, 32);
  if (!v4) return false;
  m.cidr4 = *v4;
  rest = rest.substr(0, slash);
  return true;
}

// qnum "." qnum "." qnum "." qnum, no leading zeros (§12).
bool parseIp4Network(std::string_view s, IpAddress& out) {
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    std::string_view q = s.substr(start, i - start);
    if (q.empty() || q.size() > 3 || (q.size() > 1 && q[0] == '0')) return false;
    int v = 0;
    for (char c : q) v = v * 10 + (c - '0');
    if (v > 255) return false;
    out.bytes[parts++] = static_cast<uint8_t>(v);
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  out.v6 = false;
  return i == s.size();
}

bool parseIp6Network(std::string_view s, IpAddress& out) {
  if (s.empty() || s.size() > 45) return false;
  for (char c : s)
    if (!isDigit(c) && !isAlpha(c) && c != ':' && c != '.') return false;
  std::string z(s);
  if (inet_pton(AF_INET6, z.c_str(), out.bytes.data()) != 1) return false;
  out.v6 = true;
  return true;
}

bool parseIpMech(std::string_view rest, Mechanism& m) {
  if (rest.empty() || rest[0] != ':') return false;
  rest.remove_prefix(1);
  bool v4 = m.kind == MechKind::Ip4;
  size_t slash = rest.find('/');
  std::string_view net = rest.substr(0, slash);
  if (!(v4 ? parseIp4Network(net, m.network) : parseIp6Network(net, m.network))) return false;
  if (slash == std::string_view::npos) return true;
  auto c = cidrValue(rest.substr(slash + 1), v4 ? 32 : 128);
  if (!c) return false;
  (v4 ? m.cidr4 : m.cidr6) = *c;
  return true;
}

// ":" domain-spec, required or optional.
bool parseTarget(std::string_view rest, bool required, Mechanism& m) {
  if (rest.empty()) return !required;
  if (rest[0] != ':') return false;
  rest.remove_prefix(1);
  if (!validDomainSpec(rest)) return false;
  m.domainSpec = std::string(rest);
  return true;
}

bool parseMechArgs(std::string_view rest, Mechanism& m) {
  switch (m.kind) {
    case MechKind::All: return rest.empty();
    case MechKind::Include:
    case MechKind::Exists: return parseTarget(rest, true, m);
    case MechKind::Ptr: return parseTarget(rest, false, m);
    case MechKind::A:
    case MechKind::Mx: return takeDualCidr(rest, m) && parseTarget(rest, false, m);
    case MechKind::Ip4:
    case MechKind::Ip6: return parseIpMech(rest, m);
  }
  return false;
}

std::optional<MechKind> mechKind(std::string_view name) {
  struct Row { std::string_view name; MechKind kind; };
  static constexpr Row rows[] = {{"all", MechKind::All}, {"include", MechKind::Include},
                                 {"a", MechKind::A},     {"mx", MechKind::Mx},
                                 {"ptr", MechKind::Ptr}, {"ip4", MechKind::Ip4},
                                 {"ip6", MechKind::Ip6}, {"exists", MechKind::Exists}};
  for (const Row& r : rows)
    if (iequals(r.name, name)) return r.kind;
  return std::nullopt;
}

// Returns an error message, or empty on success.
std::string parseModifier(std::string_view name, std::string_view value, Record& rec) {
  bool redirect = iequals(name, "redirect"), exp = iequals(name, "exp");
  if (!redirect && !exp) {
    return validMacroString(value, MacroMode::Modifier) ? "" : "bad macro in modifier " + printable(name);
  }
  auto& slot = redirect ? rec.redirect : rec.exp;
  if (slot) return "duplicate " + toLower(name) + "= modifier";
  if (!validDomainSpec(value)) return "bad domain-spec in " + toLower(name) + "=";
  slot = std::string(value);
  return "";
}

std::string parseTerm(std::string_view term, Record& rec) {
  size_t i = 0;
  Qualifier q = Qualifier::Pass;
  bool hasQualifier = true;
  switch (term[0]) {
    case '+': q = Qualifier::Pass; break;
    case '-': q = Qualifier::Fail; break;
    case '~': q = Qualifier::SoftFail; break;
    case '?': q = Qualifier::Neutral; break;
    default: hasQualifier = false;
  }
  if (hasQualifier) ++i;
  size_t nameStart = i;
  if (i < term.size() && isAlpha(term[i])) {
    while (i < term.size() && (isAlpha(term[i]) || isDigit(term[i]) || term[i] == '-' || term[i] == '_' ||
                               term[i] == '.'))
      ++i;
  }
  std::string_view name = term.substr(nameStart, i - nameStart);
  if (i < term.size() && term[i] == '=') {
    if (hasQualifier || name.empty()) return "bad modifier " + printable(term);
    return parseModifier(name, term.substr(i + 1), rec);
  }
  auto kind = mechKind(name);
  if (!kind) return "unknown mechanism " + printable(term);
  Mechanism m;
  m.qualifier = q;
  m.kind = *kind;
  m.text = std::string(term);
  if (!parseMechArgs(term.substr(i), m)) return "bad mechanism " + printable(term);
  rec.mechanisms.push_back(std::move(m));
  return "";
}

}  // namespace

bool isSpfRecord(std::string_view txt) {
  return txt.size() >= 6 && iequals(txt.substr(0, 6), "v=spf1") && (txt.size() == 6 || txt[6] == ' ');
}

ParsedRecord parseRecord(std::string_view txt) {
  ParsedRecord out;
  if (!isSpfRecord(txt)) {
    out.error = "not an SPF record";
    return out;
  }
  Record rec;
  std::string_view rest = txt.substr(6);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find(' ');
    std::string_view term = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    std::string err = parseTerm(term, rec);
    if (!err.empty()) {
      out.error = err;
      return out;
    }
  }
  out.record = std::move(rec);
  return out;
}

}  // namespace am::spf
