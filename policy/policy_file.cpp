// policy/policy_file.cpp — parser for the local policy file (see policy_file.h and
// etc/authmilter.policy). One table row per keyword; every line is checked and every error
// collected as "FILE:LINE: message". Pure except loadPolicyFile(), which reads one file.
#include "policy/policy_file.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace am::policy {
namespace {

using Args = std::vector<std::string>;

// Hook for the DKIM signing directives (`key`, `sign`), parsed by policy/signing_table.h.
// Returns true when the keyword belongs to the signing table (error set if its line is bad);
// origin ("FILE:LINE") is kept on the entries for later key-loading errors.
bool dispatchSigningDirective(std::string_view keyword, const Args& args, PolicyFile& pf,
                              std::string& error, const std::string& origin) {
  if (!isSigningDirective(keyword)) return false;
  if (!parseSigningDirective(keyword, args, pf.signing, error, origin) && error.empty())
    error = "bad signing directive";
  return true;
}

std::optional<DomainPattern> domainPattern(std::string_view text) {
  DomainPattern p;
  if (text.starts_with("*.")) text.remove_prefix(2), p.subdomains = true;
  else if (text.starts_with(".")) text.remove_prefix(1), p.subdomains = true;
  p.domain = toAsciiDomain(text);
  if (p.domain.empty()) return std::nullopt;
  return p;
}

}  // namespace

std::optional<HostPattern> parseHostPattern(std::string_view text) {
  HostPattern h;
  if (auto c = am::Cidr::parse(text)) {
    h.cidr = *c;
    return h;
  }
  auto d = domainPattern(text);
  if (!d) return std::nullopt;
  h.host = *d;
  return h;
}

namespace {

std::optional<Action> actionValue(std::string_view v) {
  std::string l = toLower(v);
  if (l == "accept") return Action::Accept;
  if (l == "quarantine") return Action::Quarantine;
  if (l == "tempfail") return Action::TempFail;
  if (l == "reject") return Action::Reject;
  return std::nullopt;
}

std::optional<FromResult::Status> fromStatus(std::string_view v) {
  using S = FromResult::Status;
  for (S s : {S::Missing, S::Multiple, S::MultipleAddresses, S::NoDomain, S::Unparseable})
    if (iequals(v, toString(s))) return s;
  return std::nullopt;
}

std::optional<OverrideKind> overrideKind(std::string_view v) {
  std::string l = toLower(v);
  if (l == "never-reject") return OverrideKind::NeverReject;
  if (l == "quarantine-as-reject") return OverrideKind::QuarantineAsReject;
  if (l == "none") return OverrideKind::ForceNone;
  if (l == "quarantine") return OverrideKind::ForceQuarantine;
  if (l == "reject") return OverrideKind::ForceReject;
  return std::nullopt;
}

using Handler = std::string (*)(const Args&, PolicyFile&, int line);

std::string needArgs(const Args& a, size_t min, size_t max, const char* usage) {
  if (a.size() < min || a.size() > max) return std::string("usage: ") + usage;
  return {};
}

std::string onDomain(const Args& a, PolicyFile& pf, int line) {
  if (auto e = needArgs(a, 2, 2, "domain <name|.name> <never-reject|quarantine-as-reject|none|quarantine|reject>"); !e.empty())
    return e;
  auto p = domainPattern(a[0]);
  if (!p) return "invalid domain '" + a[0] + "'";
  auto k = overrideKind(a[1]);
  if (!k) return "unknown override '" + a[1] + "'";
  pf.overrides.push_back({*p, *k, line});
  return {};
}

std::string hostList(const Args& a, std::vector<HostPattern>& out, const char* usage) {
  if (a.empty()) return std::string("usage: ") + usage;
  for (auto& s : a) {
    auto h = parseHostPattern(s);
    if (!h) return "invalid address, network or host name '" + s + "'";
    out.push_back(*h);
  }
  return {};
}

std::string onForwarder(const Args& a, PolicyFile& pf, int) {
  return hostList(a, pf.forwarders, "forwarder <ip|cidr|host|.domain>...");
}
std::string onAllowClient(const Args& a, PolicyFile& pf, int) {
  return hostList(a, pf.allowClients, "allow-client <ip|cidr|host|.domain>...");
}

std::string onAllowFrom(const Args& a, PolicyFile& pf, int) {
  if (a.empty()) return "usage: allow-from <domain|.domain>...";
  for (auto& s : a) {
    auto p = domainPattern(s);
    if (!p) return "invalid domain '" + s + "'";
    pf.allowFrom.push_back(*p);
  }
  return {};
}

// `arc-trust lists.example.org .forwarder.example`: sealers (the d= of the newest ARC-Seal) whose
// ARC-Authentication-Results may lift a DMARC failure (policy/disposition.h).
std::string onArcTrust(const Args& a, PolicyFile& pf, int) {
  if (a.empty()) return "usage: arc-trust <domain|.domain>...";
  for (auto& s : a) {
    auto p = domainPattern(s);
    if (!p) return "invalid domain '" + s + "'";
    pf.arcTrust.push_back(*p);
  }
  return {};
}

// Rules that moved to authmilter.conf: one list of internal hosts and one set of switches for
// SPF, signing and DMARC enforcement. An old file gets an error that says what to write instead.
std::string onInternal(const Args&, PolicyFile&, int) {
  return "'internal' is gone: list internal hosts with InternalHosts in authmilter.conf (addresses, "
         "networks, host names; SPF, signing and DMARC read that one list)";
}
std::string onSkipAuth(const Args&, PolicyFile&, int) {
  return "'skip-authenticated' is gone: write IgnoreAuthenticatedClients yes|no in authmilter.conf "
         "(it covers SPF and DMARC enforcement)";
}
std::string onSkipInternal(const Args&, PolicyFile&, int) {
  return "'skip-internal' is gone: write IgnoreInternalHosts yes|no in authmilter.conf (it covers SPF "
         "and DMARC enforcement)";
}

std::string onPct(const Args& a, PolicyFile& pf, int) {
  if (a.size() != 1) return "usage: pct honor|ignore";
  std::string l = toLower(a[0]);
  if (l != "honor" && l != "honour" && l != "ignore") return "expected honor or ignore, got '" + a[0] + "'";
  pf.honorPct = l != "ignore";
  return {};
}

std::string onFrom(const Args& a, PolicyFile& pf, int) {
  if (auto e = needArgs(a, 2, 2, "from <missing|multiple|multiple-addresses|no-domain|unparseable|any> <accept|quarantine|tempfail|reject>");
      !e.empty())
    return e;
  auto act = actionValue(a[1]);
  if (!act) return "unknown action '" + a[1] + "'";
  if (iequals(a[0], "any")) {
    for (auto& [status, action] : pf.fromActions) action = *act;
    return {};
  }
  auto s = fromStatus(a[0]);
  if (!s) return "unknown From condition '" + a[0] + "'";
  pf.fromActions[*s] = *act;
  return {};
}

std::string onRequireTls(const Args& a, PolicyFile& pf, int line) {
  if (auto e = needArgs(a, 2, 3, "require-tls <domain|.domain> <reject|tempfail|quarantine> [TLSv1|TLSv1.1|TLSv1.2|TLSv1.3]");
      !e.empty())
    return e;
  TlsRequirement r;
  auto p = domainPattern(a[0]);
  if (!p) return "invalid domain '" + a[0] + "'";
  r.pattern = *p;
  auto act = actionValue(a[1]);
  if (!act || *act == Action::Accept) return "expected reject, tempfail or quarantine, got '" + a[1] + "'";
  r.action = *act;
  r.line = line;
  if (a.size() == 3) {
    auto rank = tlsVersionRank(a[2]);
    if (!rank || *rank < 10) return "expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got '" + a[2] + "'";
    r.minRank = *rank;  // TLSv1 and later: SSL is never a minimum worth stating
    r.minVersion = "TLSv" + std::to_string(*rank / 10) + (*rank % 10 ? "." + std::to_string(*rank % 10) : "");
  }
  pf.requireTls.push_back(std::move(r));
  return {};
}

bool validSelector(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos)
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string onArcSeal(const Args& a, PolicyFile& pf, int line) {
  if (auto e = needArgs(a, 3, 3, "arc-seal <domain> <selector> <key-file|key-name>"); !e.empty()) return e;
  if (a[0].starts_with(".") || a[0].starts_with("*"))
    return "arc-seal needs a domain name (the d= of the seal), not a pattern: '" + a[0] + "'";
  auto d = domainPattern(a[0]);
  if (!d) return "invalid domain '" + a[0] + "'";
  if (!validSelector(a[1])) return "invalid selector '" + a[1] + "'";
  for (const auto& r : pf.arcSeals)
    if (r.domain == d->domain) return "second arc-seal for " + d->domain + " (first on line " + std::to_string(r.line) + ")";
  ArcSealRule r;
  r.domain = d->domain;
  r.selector = toLower(a[1]);
  r.key = a[2];
  r.keyIsPath = a[2].find('/') != std::string::npos;
  r.line = line;
  pf.arcSeals.push_back(std::move(r));
  return {};
}

struct Keyword {
  const char* name;
  Handler handler;
  bool removed = false;  // a rule that is gone: its handler says what to write instead
};
const Keyword kKeywords[] = {
    {"domain", onDomain},
    {"forwarder", onForwarder},
    {"allow-client", onAllowClient},
    {"allow-from", onAllowFrom},
    {"internal", onInternal, true},
    {"skip-authenticated", onSkipAuth, true},
    {"skip-internal", onSkipInternal, true},
    {"pct", onPct},
    {"from", onFrom},
    {"arc-trust", onArcTrust},
    {"arc-seal", onArcSeal},
    {"require-tls", onRequireTls},
};

// Splits a line into words; '#' starts a comment.
Args words(std::string_view line) {
  auto hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  return split(line, " \t\r");
}

}  // namespace

std::vector<RuleKeyword> ruleKeywords() {
  std::vector<RuleKeyword> out;
  for (auto& k : kKeywords) out.push_back({k.name, k.removed});
  for (auto& name : signingDirectiveNames()) out.push_back({name, false});
  return out;
}

bool DomainPattern::matches(std::string_view d) const {
  std::string n = normalizeDomain(d);
  if (n == domain) return true;
  return subdomains && n.size() > domain.size() && n.ends_with(domain) &&
         n[n.size() - domain.size() - 1] == '.';
}

bool HostPattern::matches(const am::ClientInfo& c) const {
  if (cidr) return c.addr && cidr->contains(*c.addr);
  return c.verifiedName() && host.matches(c.hostname);
}

bool HostPattern::matches(const am::IpAddress& addr, std::string_view hostname) const {
  if (cidr) return cidr->contains(addr);
  // Unverified names never match: "" , Postfix's "unknown", or an "[ip]" literal.
  if (hostname.empty() || hostname.front() == '[' || iequals(hostname, "unknown")) return false;
  return host.matches(hostname);
}

std::optional<int> tlsVersionRank(std::string_view v) {
  std::string l = toLower(v);
  if (l == "sslv2") return 2;
  if (l == "sslv3") return 3;
  if (!l.starts_with("tlsv") || l.size() < 5 || l.size() > 8) return std::nullopt;
  std::string_view rest = std::string_view(l).substr(4);  // "1", "1.2"
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(rest[0])) return std::nullopt;
  int major = rest[0] - '0', minor = 0;
  if (rest.size() == 3 && rest[1] == '.' && digit(rest[2])) minor = rest[2] - '0';
  else if (rest.size() != 1) return std::nullopt;
  if (major < 1) return std::nullopt;
  return major * 10 + minor;
}

const TlsRequirement* PolicyFile::tlsRequirementFor(std::string_view fromDomain) const {
  for (auto& r : requireTls)
    if (r.pattern.matches(fromDomain)) return &r;
  return nullptr;
}

bool ArcSealRule::matches(std::string_view rcptDomain) const {
  return DomainPattern{domain, true}.matches(rcptDomain);
}

const DomainOverride* PolicyFile::overrideFor(std::string_view fromDomain) const {
  for (auto& o : overrides)
    if (o.pattern.matches(fromDomain)) return &o;
  return nullptr;
}

std::shared_ptr<const PolicyFile> parsePolicyText(std::string_view text, const std::string& name,
                                                  std::vector<std::string>& errors) {
  auto pf = std::make_shared<PolicyFile>();
  size_t before = errors.size();
  int lineNo = 0;
  for (auto& line : split(text, "\n", false)) {
    ++lineNo;
    Args w = words(line);
    if (w.empty()) continue;
    std::string kw = toLower(w[0]);
    Args args(w.begin() + 1, w.end());
    std::string err;
    bool known = false;
    for (auto& k : kKeywords)
      if (kw == k.name) {
        known = true;
        err = k.handler(args, *pf, lineNo);
        if (err.empty() && kw == "arc-seal") pf->arcSeals.back().origin = name + ":" + std::to_string(lineNo);
      }
    if (!known && !dispatchSigningDirective(kw, args, *pf, err, name + ":" + std::to_string(lineNo)))
      err = "unknown keyword '" + w[0] + "'";
    if (!err.empty()) errors.push_back(name + ":" + std::to_string(lineNo) + ": " + err);
  }
  if (errors.size() != before) return nullptr;
  return pf;
}

std::shared_ptr<const PolicyFile> loadPolicyFile(const std::string& path, std::vector<std::string>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back(path + ":0: cannot open: " + std::strerror(errno));
    return nullptr;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parsePolicyText(ss.str(), path, errors);
}

}  // namespace am::policy
