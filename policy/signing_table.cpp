// policy/signing_table.cpp — signing rules: lookup, policy directives, OpenDKIM table files.
// Pure C++ (no key material, no C libraries). See signing_table.h for the semantics.
#include "policy/signing_table.h"

#include <algorithm>
#include <fstream>

#include "common/strings.h"

namespace am::policy {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }

KeyEntry makeKey(std::string_view name, std::string_view domain, std::string_view selector,
                 std::string_view path, std::string_view origin) {
  KeyEntry k;
  k.name = std::string(name);
  k.domain = normalizeDomain(domain);
  k.selector = toLower(selector);
  k.keyPath = std::string(path);
  k.origin = std::string(origin);
  return k;
}

// Splits "user@domain" (already normalized) into its parts.
std::pair<std::string_view, std::string_view> splitAddress(std::string_view a) {
  size_t at = a.rfind('@');
  return {a.substr(0, at), a.substr(at + 1)};
}

void appendUnique(std::vector<const KeyEntry*>& out, const KeyEntry* k) {
  if (k && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
}

void appendRuleKeys(const SigningTable& t, const SigningRule& r, std::string_view domain,
                    std::vector<const KeyEntry*>& out) {
  if (r.keyIsSenderDomain) appendUnique(out, t.findKey(domain));
  for (size_t i : r.keys)
    if (i < t.keys.size()) appendUnique(out, &t.keys[i]);
}

// OpenDKIM's plain-file candidate keys for user@host, in lookup order.
std::vector<std::string> exactCandidates(std::string_view user, std::string_view host) {
  std::vector<std::string> c;
  std::string u(user);
  c.push_back(u + "@" + std::string(host));
  c.emplace_back(host);
  std::vector<std::string> parents;  // ".example.com", ".com" for foo.example.com
  for (size_t p = host.find('.'); p != std::string_view::npos; p = host.find('.', p + 1))
    parents.emplace_back(host.substr(p));
  for (const auto& p : parents) c.push_back(u + "@" + p);
  for (const auto& p : parents) c.push_back(p);
  c.push_back(u + "@*");
  c.emplace_back("*");
  return c;
}

}  // namespace

const KeyEntry* SigningTable::findKey(std::string_view name) const {
  for (const auto& k : keys)
    if (iequals(k.name, name)) return &k;
  return nullptr;
}

std::vector<const KeyEntry*> SigningTable::lookup(std::string_view address) const {
  std::vector<const KeyEntry*> out;
  auto norm = normalizeAddress(address);
  if (!norm) return out;
  auto [user, domain] = splitAddress(*norm);
  for (const auto& cand : exactCandidates(user, domain)) {
    for (const auto& r : rules) {
      if (r.kind != SigningRule::Kind::Exact || r.pattern != cand) continue;
      appendRuleKeys(*this, r, domain, out);
      if (!multipleSignatures) return out;
    }
  }
  for (const auto& r : rules) {
    if (r.kind != SigningRule::Kind::Glob) continue;
    std::string_view subject = r.target == SigningRule::Target::Domain ? domain : std::string_view(*norm);
    if (!globMatch(r.pattern, subject)) continue;
    appendRuleKeys(*this, r, domain, out);
    if (!multipleSignatures) return out;
  }
  return out;
}

std::optional<std::string> normalizeAddress(std::string_view address) {
  std::string_view a = trim(address);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = trim(a.substr(1, a.size() - 2));
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at + 1 >= a.size()) return std::nullopt;
  std::string domain = normalizeDomain(a.substr(at + 1));
  if (domain.empty() || domain.find_first_of(" \t<>@") != std::string::npos) return std::nullopt;
  return toLower(a.substr(0, at)) + "@" + domain;
}

bool globMatch(std::string_view p, std::string_view s) {
  // Iterative matcher with single backtrack point (linear-ish, no recursion).
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string> signingDirectiveNames() { return {"key", "sign"}; }

bool isSigningDirective(std::string_view kw) {
  for (auto& name : signingDirectiveNames())
    if (iequals(kw, name)) return true;
  return false;
}

namespace {

bool parseKeyDirective(const std::vector<std::string>& a, SigningTable& t, std::string& err,
                       std::string_view origin) {
  if (a.size() != 4 && a.size() != 5) {
    err = "key: expected NAME DOMAIN SELECTOR PATH [rsa|ed25519]";
    return false;
  }
  if (t.findKey(a[0])) {
    err = "key '" + a[0] + "' declared twice";
    return false;
  }
  KeyEntry k = makeKey(a[0], a[1], a[2], a[3], origin);
  if (a.size() == 5) {
    if (iequals(a[4], "rsa")) k.alg = KeyEntry::Alg::Rsa;
    else if (iequals(a[4], "ed25519")) k.alg = KeyEntry::Alg::Ed25519;
    else {
      err = "key '" + a[0] + "': algorithm must be rsa or ed25519, not '" + a[4] + "'";
      return false;
    }
  } else {
    k.algFromKey = true;
  }
  if (k.domain.empty() || k.selector.empty() || k.keyPath.empty()) {
    err = "key '" + a[0] + "': empty domain, selector or path";
    return false;
  }
  t.keys.push_back(std::move(k));
  return true;
}

bool parseSignDirective(const std::vector<std::string>& a, SigningTable& t, std::string& err,
                        std::string_view origin) {
  if (a.size() != 2) {
    err = "sign: expected PATTERN KEYNAME[,KEYNAME...]";
    return false;
  }
  SigningRule r;
  r.pattern = toLower(a[0]);
  if (!r.pattern.empty() && r.pattern.back() == '.') r.pattern.pop_back();
  r.target = r.pattern.find('@') == std::string::npos ? SigningRule::Target::Domain
                                                      : SigningRule::Target::Address;
  r.origin = std::string(origin);
  for (const auto& name : split(a[1], ",")) {
    const KeyEntry* k = t.findKey(name);
    if (!k) {
      err = "sign: unknown key '" + name + "' (declare it with a key line first)";
      return false;
    }
    r.keys.push_back(static_cast<size_t>(k - t.keys.data()));
  }
  if (r.pattern.empty() || r.keys.empty()) {
    err = "sign: empty pattern or key list";
    return false;
  }
  t.rules.push_back(std::move(r));
  return true;
}

}  // namespace

bool parseSigningDirective(std::string_view kw, const std::vector<std::string>& args,
                           SigningTable& t, std::string& error, std::string_view origin) {
  if (iequals(kw, "key")) return parseKeyDirective(args, t, error, origin);
  if (iequals(kw, "sign")) return parseSignDirective(args, t, error, origin);
  error = "unknown directive '" + std::string(kw) + "'";
  return false;
}

// ---- OpenDKIM files ----------------------------------------------------------------------

namespace {

struct Line {
  int number;
  std::string key, value;
};

// Reads "KEY VALUE..." lines; '#' starts a comment; blank lines skipped.
bool readDataset(const std::string& path, std::vector<Line>& out, std::vector<std::string>& errors) {
  std::ifstream in(path);
  if (!in) {
    errors.push_back(path + ":0: cannot open file");
    return false;
  }
  std::string raw;
  int n = 0;
  while (std::getline(in, raw)) {
    ++n;
    size_t hash = raw.find('#');
    std::string_view l = trim(std::string_view(raw).substr(0, hash));
    if (l.empty()) continue;
    size_t sp = 0;
    while (sp < l.size() && !isWsp(l[sp])) ++sp;
    out.push_back({n, std::string(l.substr(0, sp)), std::string(trim(l.substr(sp)))});
  }
  return true;
}

std::string stripDatasetPrefix(const std::string& spec, bool& isRefile) {
  isRefile = false;
  if (spec.rfind("refile:", 0) == 0) {
    isRefile = true;
    return spec.substr(7);
  }
  if (spec.rfind("file:", 0) == 0) return spec.substr(5);
  return spec;
}

bool isKeyPath(std::string_view p) {
  return p.rfind("/", 0) == 0 || p.rfind("./", 0) == 0 || p.rfind("../", 0) == 0;
}

void loadKeyTable(const std::string& path, SigningTable& t, std::vector<std::string>& errors) {
  std::vector<Line> lines;
  if (!readDataset(path, lines, errors)) return;
  for (const auto& l : lines) {
    std::string where = path + ":" + std::to_string(l.number);
    size_t c1 = l.value.find(':');
    size_t c2 = c1 == std::string::npos ? c1 : l.value.find(':', c1 + 1);
    if (c2 == std::string::npos) {
      errors.push_back(where + ": expected NAME DOMAIN:SELECTOR:KEYPATH");
      continue;
    }
    KeyEntry k = makeKey(l.key, l.value.substr(0, c1), l.value.substr(c1 + 1, c2 - c1 - 1),
                         trim(l.value.substr(c2 + 1)), where);
    k.algFromKey = true;
    if (k.domain.empty() || k.selector.empty() || k.keyPath.empty()) {
      errors.push_back(where + ": empty domain, selector or key path");
    } else if (!isKeyPath(k.keyPath)) {
      errors.push_back(where + ": key '" + k.name +
                       "': inline key data is not supported, give a key file path (/, ./ or ../)");
    } else if (k.keyPath.find('%') != std::string::npos) {
      errors.push_back(where + ": key '" + k.name + "': '%' in the key path is not supported (keys load at start)");
    } else if (t.findKey(k.name)) {
      errors.push_back(where + ": key '" + k.name + "' declared twice");
    } else {
      t.keys.push_back(std::move(k));
    }
  }
}

// Adds `keyName` to the rule with the same kind+pattern, or creates that rule.
void addSigningLine(SigningTable& t, SigningRule::Kind kind, const std::string& pattern,
                    const std::string& keyName, const std::string& where, std::vector<std::string>& errors) {
  auto it = std::find_if(t.rules.begin(), t.rules.end(), [&](const SigningRule& r) {
    return r.kind == kind && r.pattern == pattern && r.target == SigningRule::Target::Address;
  });
  if (it == t.rules.end()) {
    SigningRule r;
    r.kind = kind;
    r.pattern = pattern;
    r.origin = where;
    t.rules.push_back(std::move(r));
    it = std::prev(t.rules.end());
  }
  if (keyName == "%") {
    it->keyIsSenderDomain = true;
    return;
  }
  const KeyEntry* k = t.findKey(keyName);
  if (!k) {
    errors.push_back(where + ": key '" + keyName + "' is not in the KeyTable");
    return;
  }
  size_t idx = static_cast<size_t>(k - t.keys.data());
  if (std::find(it->keys.begin(), it->keys.end(), idx) == it->keys.end()) it->keys.push_back(idx);
}

void loadSigningTable(const std::string& spec, SigningTable& t, std::vector<std::string>& errors) {
  bool refile = false;
  std::string path = stripDatasetPrefix(spec, refile);
  std::vector<Line> lines;
  if (!readDataset(path, lines, errors)) return;
  auto kind = refile ? SigningRule::Kind::Glob : SigningRule::Kind::Exact;
  for (const auto& l : lines) {
    std::string where = path + ":" + std::to_string(l.number);
    auto fields = split(l.value, " \t");
    if (fields.empty()) {
      errors.push_back(where + ": expected PATTERN KEYNAME [SIGNER]");
      continue;
    }
    std::string pattern = toLower(l.key);
    if (pattern.size() > 1 && pattern.back() == '.') pattern.pop_back();
    addSigningLine(t, kind, pattern, fields[0], where, errors);
  }
}

}  // namespace

bool loadOpenDkimTables(const std::string& keyTablePath, const std::string& signingTablePath,
                        SigningTable& t, std::vector<std::string>& errors) {
  size_t before = errors.size();
  bool ignored = false;
  loadKeyTable(stripDatasetPrefix(keyTablePath, ignored), t, errors);
  loadSigningTable(signingTablePath, t, errors);
  return errors.size() == before;
}

}  // namespace am::policy
