// filter/auth/arc_seal/arc_headers.cpp — instance / cv readers and AR splitting (see arc_headers.h).
#include "filter/auth/arc_seal/arc_headers.h"

#include "common/strings.h"
#include "filter/auth/dkim/primitives/tag_list.h"

namespace am::arcseal {
namespace {

std::optional<unsigned> smallNumber(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

// Skips an RFC 5322 comment "(...)" (nested) and whitespace at the start of s.
std::string_view skipCfws(std::string_view s) {
  for (;;) {
    s = trim(s);
    if (s.empty() || s.front() != '(') return s;
    int depth = 0;
    size_t i = 0;
    for (; i < s.size(); ++i) {
      if (s[i] == '\\') { ++i; continue; }
      if (s[i] == '(') ++depth;
      if (s[i] == ')' && --depth == 0) break;
    }
    if (i >= s.size()) return {};
    s.remove_prefix(i + 1);
  }
}

}  // namespace

std::optional<ArcKind> arcKind(std::string_view name) {
  name = trim(name);
  if (iequals(name, "ARC-Seal")) return ArcKind::Seal;
  if (iequals(name, "ARC-Message-Signature")) return ArcKind::MessageSignature;
  if (iequals(name, "ARC-Authentication-Results")) return ArcKind::AuthResults;
  return std::nullopt;
}

std::optional<unsigned> arcInstance(ArcKind kind, std::string_view value) {
  if (kind == ArcKind::AuthResults) {
    std::string_view v = trim(value);
    size_t semi = v.find(';');
    if (semi == std::string_view::npos) return std::nullopt;
    std::string_view tag = trim(v.substr(0, semi));
    size_t eq = tag.find('=');
    if (eq == std::string_view::npos || !iequals(trim(tag.substr(0, eq)), "i")) return std::nullopt;
    return smallNumber(trim(tag.substr(eq + 1)));
  }
  auto tags = dkim::parseTagViews(value);
  if (tags.error) return std::nullopt;
  const std::string_view* i = tags.get("i");
  if (!i) return std::nullopt;
  return smallNumber(*i);
}

std::string sealCv(std::string_view value) {
  auto tags = dkim::parseTagViews(value);
  if (tags.error) return {};
  const std::string_view* cv = tags.get("cv");
  return cv ? toLower(*cv) : std::string();
}

std::optional<AuthResultsParts> splitAuthResults(std::string_view value) {
  std::string_view v = skipCfws(value);
  size_t end = 0;
  while (end < v.size() && v[end] != ';' && v[end] != ' ' && v[end] != '\t' && v[end] != '\r' &&
         v[end] != '\n' && v[end] != '(')
    ++end;
  if (end == 0) return std::nullopt;
  AuthResultsParts p;
  p.authservId = std::string(v.substr(0, end));
  size_t semi = v.find(';', end);
  if (semi == std::string_view::npos) return p;  // "authserv-id [version] none" or bare
  std::string_view r = trim(v.substr(semi + 1));
  while (!r.empty() && r.back() == ';') r = trim(r.substr(0, r.size() - 1));
  p.results = std::string(r);
  return p;
}

std::string mergeAuthResults(const std::vector<std::string>& arValues, std::string_view authservId) {
  std::string out;
  for (const auto& v : arValues) {
    auto p = splitAuthResults(v);
    if (!p || !iequals(p->authservId, authservId) || p->results.empty() || iequals(p->results, "none")) continue;
    if (!out.empty()) out += "; ";
    out += p->results;
  }
  return out;
}

}  // namespace am::arcseal
