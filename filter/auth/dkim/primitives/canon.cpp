// filter/auth/dkim/primitives/canon.cpp — header canonicalization (see canon.h).
#include "filter/auth/dkim/primitives/canon.h"

#include "common/strings.h"

namespace am::dkim {
namespace {
inline bool isWsp(char c) { return c == ' ' || c == '\t'; }
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

const char* canonName(Canon c) { return c == Canon::Simple ? "simple" : "relaxed"; }

std::optional<Canon> parseCanonName(std::string_view w) {
  if (iequals(w, "simple")) return Canon::Simple;
  if (iequals(w, "relaxed")) return Canon::Relaxed;
  return std::nullopt;
}

void appendCanonHeader(std::string& out, Canon c, std::string_view name, std::string_view value) {
  if (c == Canon::Simple) {  // as delivered, every line break as CRLF, trailing CR/LF dropped
    out.append(name);
    out += ':';
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r')) out += '\r';
      out += value[i];
    }
    out += "\r\n";
    return;
  }
  // Relaxed: lowercase name without surrounding WSP; value unfolded, WSP runs as one SP, no
  // leading or trailing WSP.
  for (char ch : trim(name)) out += lower(ch);
  out += ':';
  bool wsp = false, any = false;
  for (char ch : value) {
    if (ch == '\r' || ch == '\n') continue;
    if (isWsp(ch)) { wsp = true; continue; }
    if (wsp && any) out += ' ';
    wsp = false;
    any = true;
    out += ch;
  }
  out += "\r\n";
}

std::string canonHeader(Canon c, std::string_view name, std::string_view value) {
  std::string out;
  out.reserve(name.size() + value.size() + 4);
  appendCanonHeader(out, c, name, value);
  return out;
}

}  // namespace am::dkim
