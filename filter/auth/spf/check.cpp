// filter/auth/spf/check.cpp — see check.h. Section numbers refer to RFC 7208.
#include "filter/auth/spf/check.h"

#include <algorithm>

#include "common/strings.h"

namespace am::spf {
namespace {

SpfResult fromQualifier(Qualifier q) {
  switch (q) {
    case Qualifier::Pass: return SpfResult::Pass;
    case Qualifier::Fail: return SpfResult::Fail;
    case Qualifier::SoftFail: return SpfResult::SoftFail;
    case Qualifier::Neutral: return SpfResult::Neutral;
  }
  return SpfResult::Neutral;
}

Outcome make(SpfResult r, std::string reason) { return Outcome{r, std::move(reason), {}}; }

bool isError(DnsStatus s) { return s == DnsStatus::TempFail || s == DnsStatus::PermFail; }
bool isVoid(DnsStatus s) { return s == DnsStatus::NxDomain || s == DnsStatus::NoData; }

std::string clip(std::string_view s) { return std::string(s.substr(0, 128)); }

// The name equals `domain` or is a subdomain of it (case-insensitive, §5.5).
bool withinDomain(std::string_view name, std::string_view domain) {
  if (name.size() == domain.size()) return iequals(name, domain);
  if (name.size() <= domain.size()) return false;
  return name[name.size() - domain.size() - 1] == '.' && iequals(name.substr(name.size() - domain.size()), domain);
}

}  // namespace

Check::Check(Resolver& dns, const Options& opts, const Clock& clock, const IpAddress& client,
             std::string_view sender, std::string_view helo)
    : dns_(dns), opts_(opts), clock_(clock), deadline_(clock.now() + opts.timeBudget),
      client_(client.unmapped()), helo_(helo) {
  size_t at = sender.rfind('@');
  if (at == std::string_view::npos) {
    senderDomain_ = std::string(sender);
  } else {
    local_ = std::string(sender.substr(0, at));
    senderDomain_ = std::string(sender.substr(at + 1));
  }
  if (local_.empty()) local_ = "postmaster";  // §4.3
  sender_ = local_ + "@" + senderDomain_;
}

std::optional<Outcome> Check::countTerm() {
  if (++terms_ > opts_.maxDnsTerms) return make(SpfResult::PermError, "too many DNS lookups");
  return std::nullopt;
}

std::optional<Outcome> Check::countVoid() {
  if (++voids_ > opts_.maxVoidLookups) return make(SpfResult::PermError, "void lookup limit exceeded");
  return std::nullopt;
}

std::optional<Outcome> Check::checkDeadline() {
  if (clock_.now() > deadline_) return make(SpfResult::TempError, "time budget exceeded");
  return std::nullopt;
}

MacroEnv Check::env(const std::string& domain) {
  MacroEnv e;
  e.sender = sender_;
  e.local = local_;
  e.senderDomain = senderDomain_;
  e.domain = domain;
  e.helo = helo_;
  e.receiver = opts_.receiver;
  e.client = client_;
  e.now = clock_.unixSeconds();
  e.validatedName = [this, &domain] { return validatedName(domain); };
  return e;
}

std::optional<std::string> Check::target(const std::string& spec, const std::string& domain) {
  if (spec.empty()) return domain;
  auto raw = expandMacros(spec, MacroMode::Domain, env(domain));
  if (!raw) return std::nullopt;
  std::string name = finishDomain(std::move(*raw));
  if (!validQueryName(name)) return std::nullopt;
  return name;
}

// %{p} (§7.3): a validated PTR name, preferring <domain>, then a subdomain of it. The PTR
// lookup and its validation run once per check, bounded by maxMxPtrNames and the deadline.
std::string Check::validatedName(const std::string& domain) {
  if (!validated_) {
    validated_.emplace();
    if (checkDeadline()) return "unknown";
    PtrAnswer ptr = dns_.ptr(client_);
    size_t n = std::min<size_t>(ptr.names.size(), opts_.maxMxPtrNames);
    for (size_t i = 0; ptr.status == DnsStatus::Ok && i < n; ++i) {
      std::string name = normalizeDomain(ptr.names[i]);
      if (!validQueryName(name) || checkDeadline()) continue;
      if (addressMatches(name, client_.v6 ? 128 : 32, 128, nullptr)) validated_->push_back(name);
    }
  }
  if (validated_->empty()) return "unknown";
  for (const auto& n : *validated_)
    if (iequals(n, domain)) return n;
  for (const auto& n : *validated_)
    if (withinDomain(n, domain)) return n;
  return validated_->front();
}

// Looks up the client's address family for `name`; true when one address is in the block.
bool Check::addressMatches(const std::string& name, int cidr4, int cidr6, DnsStatus* status) {
  AddrAnswer a = dns_.addrs(name, client_.v6 ? Family::V6 : Family::V4);
  if (status) *status = a.status;
  if (a.status != DnsStatus::Ok) return false;
  int prefix = client_.v6 ? cidr6 : cidr4;
  for (const IpAddress& ip : a.addrs)
    if (prefixMatch(ip.unmapped(), client_, prefix)) return true;
  return false;
}

// The common start of a DNS-querying mechanism (a, mx, ptr, exists): count the term (§4.6.4),
// expand the target; a name DNS cannot carry does not exist (§4.3, §4.8) and counts as a void
// lookup; check the deadline. Returns the term's result when it ends here, else fills `name`.
std::optional<Check::TermResult> Check::startLookupTerm(const Mechanism& m, const std::string& domain,
                                                        std::optional<std::string>& name) {
  if (auto o = countTerm()) return TermResult{Match::Abort, *o};
  name = target(m.domainSpec, domain);
  if (!name) {
    if (auto o = countVoid()) return TermResult{Match::Abort, *o};
    return TermResult{};
  }
  if (auto o = checkDeadline()) return TermResult{Match::Abort, *o};
  return std::nullopt;
}

Check::TermResult Check::addressMech(const Mechanism& m, const std::string& domain) {
  std::optional<std::string> name;
  if (auto early = startLookupTerm(m, domain, name)) return *early;
  DnsStatus st;
  if (addressMatches(*name, m.cidr4, m.cidr6, &st)) return {Match::Yes, {}};
  if (isError(st)) return {Match::Abort, make(SpfResult::TempError, "DNS error for a:" + clip(*name))};
  if (isVoid(st))
    if (auto o = countVoid()) return {Match::Abort, *o};
  return {};
}

Check::TermResult Check::mxMech(const Mechanism& m, const std::string& domain) {
  std::optional<std::string> name;
  if (auto early = startLookupTerm(m, domain, name)) return *early;
  MxAnswer mx = dns_.mx(*name);
  if (isError(mx.status)) return {Match::Abort, make(SpfResult::TempError, "DNS error for mx:" + clip(*name))};
  if (mx.status != DnsStatus::Ok) {
    if (auto o = countVoid()) return {Match::Abort, *o};
    return {};
  }
  if (mx.hosts.size() > opts_.maxMxPtrNames)  // §4.6.4: more than 10 MX names -> permerror
    return {Match::Abort, make(SpfResult::PermError, "too many MX records for " + clip(*name))};
  std::stable_sort(mx.hosts.begin(), mx.hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  for (const MxHost& h : mx.hosts) {
    std::string host = normalizeDomain(h.host);
    if (!validQueryName(host)) continue;  // null MX (".") or junk
    if (auto o = checkDeadline()) return {Match::Abort, *o};
    DnsStatus st;
    if (addressMatches(host, m.cidr4, m.cidr6, &st)) return {Match::Yes, {}};
    if (isError(st)) return {Match::Abort, make(SpfResult::TempError, "DNS error for MX host " + clip(host))};
  }
  return {};
}

Check::TermResult Check::ptrMech(const Mechanism& m, const std::string& domain) {
  std::optional<std::string> name;
  if (auto early = startLookupTerm(m, domain, name)) return *early;
  PtrAnswer ptr = dns_.ptr(client_);
  if (isVoid(ptr.status))
    if (auto o = countVoid()) return {Match::Abort, *o};
  if (ptr.status != DnsStatus::Ok) return {};  // §5.5: a PTR lookup error is no match
  size_t n = std::min<size_t>(ptr.names.size(), opts_.maxMxPtrNames);  // the rest is ignored
  for (size_t i = 0; i < n; ++i) {
    std::string cand = normalizeDomain(ptr.names[i]);
    if (!validQueryName(cand) || !withinDomain(cand, *name)) continue;
    if (auto o = checkDeadline()) return {Match::Abort, *o};
    if (addressMatches(cand, client_.v6 ? 128 : 32, 128, nullptr)) return {Match::Yes, {}};
    // §5.5: an error validating one name skips that name
  }
  return {};
}

Check::TermResult Check::existsMech(const Mechanism& m, const std::string& domain) {
  std::optional<std::string> name;
  if (auto early = startLookupTerm(m, domain, name)) return *early;
  AddrAnswer a = dns_.addrs(*name, Family::V4);  // always A, whatever the client (§5.7)
  if (a.status == DnsStatus::Ok && !a.addrs.empty()) return {Match::Yes, {}};
  if (isError(a.status)) return {Match::Abort, make(SpfResult::TempError, "DNS error for exists:" + clip(*name))};
  if (auto o = countVoid()) return {Match::Abort, *o};
  return {};
}

Check::TermResult Check::includeMech(const Mechanism& m, const std::string& domain) {
  if (auto o = countTerm()) return {Match::Abort, *o};
  auto name = target(m.domainSpec, domain);
  if (!name) return {Match::Abort, make(SpfResult::PermError, "include target is not a domain name")};
  Outcome inner = run(*name, false);  // §6.2: exp= of included records is never used
  switch (inner.result) {
    case SpfResult::Pass: return {Match::Yes, {}};
    case SpfResult::Fail:
    case SpfResult::SoftFail:
    case SpfResult::Neutral: return {};
    case SpfResult::TempError: return {Match::Abort, inner};
    case SpfResult::PermError: return {Match::Abort, inner};
    case SpfResult::None:
      return {Match::Abort, make(SpfResult::PermError, "included domain " + clip(*name) + " has no SPF record")};
  }
  return {};
}

Check::TermResult Check::mechanism(const Mechanism& m, const std::string& domain) {
  switch (m.kind) {
    case MechKind::All: return {Match::Yes, {}};
    case MechKind::Ip4:
      return {(!client_.v6 && prefixMatch(m.network, client_, m.cidr4)) ? Match::Yes : Match::No, {}};
    case MechKind::Ip6:
      return {(client_.v6 && prefixMatch(m.network, client_, m.cidr6)) ? Match::Yes : Match::No, {}};
    case MechKind::A: return addressMech(m, domain);
    case MechKind::Mx: return mxMech(m, domain);
    case MechKind::Ptr: return ptrMech(m, domain);
    case MechKind::Exists: return existsMech(m, domain);
    case MechKind::Include: return includeMech(m, domain);
  }
  return {};
}

// §6.2: exp= is looked up once, after the result is known; any problem means "no explanation".
// Neither the term limit nor the void limit applies to it.
std::string Check::explain(const std::string& spec, const std::string& domain) {
  auto name = target(spec, domain);
  if (!name || checkDeadline()) return {};
  TxtAnswer txt = dns_.txt(*name);
  if (txt.status != DnsStatus::Ok || txt.records.size() != 1) return {};
  auto text = expandMacros(txt.records[0], MacroMode::Explain, env(domain));
  return text ? *text : std::string();
}

Outcome Check::redirect(const std::string& spec, const std::string& domain, bool wantExp) {
  if (auto o = countTerm()) return *o;
  auto name = target(spec, domain);
  if (!name) return make(SpfResult::PermError, "redirect target is not a domain name");
  Outcome out = run(*name, wantExp);  // §6.1: the target's own exp= applies, not ours
  if (out.result == SpfResult::None)
    return make(SpfResult::PermError, "redirect domain " + clip(*name) + " has no SPF record");
  return out;
}

Outcome Check::evaluate(const Record& rec, const std::string& domain, bool wantExp) {
  for (const Mechanism& m : rec.mechanisms) {
    TermResult t = mechanism(m, domain);
    if (t.match == Match::Abort) return t.abort;
    if (t.match == Match::No) continue;
    Outcome out = make(fromQualifier(m.qualifier),
                       std::string(kMatchedPrefix) + clip(m.text) + std::string(kMatchedSuffix));
    if (out.result == SpfResult::Fail && wantExp && rec.exp) out.explanation = explain(*rec.exp, domain);
    return out;
  }
  // "all" always matches, so reaching here means there is none and redirect= applies (§6.1).
  if (rec.redirect) return redirect(*rec.redirect, domain, wantExp);
  return make(SpfResult::Neutral, "no mechanism matched (default neutral)");
}

Outcome Check::run(const std::string& domain, bool wantExp) {
  // The term limit already bounds nesting; this hard cap keeps the stack small even when an
  // operator configures a huge maxDnsTerms.
  constexpr unsigned kMaxDepth = 32;
  if (++depth_ > std::min(opts_.maxDnsTerms + 2, kMaxDepth)) return make(SpfResult::PermError, "too many nested records");
  struct DepthGuard { unsigned& d; ~DepthGuard() { --d; } } guard{depth_};
  if (auto o = checkDeadline()) return *o;
  TxtAnswer txt = dns_.txt(domain);
  if (isError(txt.status))  // §4.4
    return make(SpfResult::TempError, "DNS error looking up SPF record of " + clip(domain));
  const std::string* found = nullptr;
  for (const std::string& r : txt.records) {
    if (!isSpfRecord(r)) continue;
    if (found) return make(SpfResult::PermError, "multiple SPF records for " + clip(domain));
    found = &r;
  }
  if (!found) return make(SpfResult::None, "no SPF record for " + clip(domain));
  ParsedRecord parsed = parseRecord(*found);
  if (!parsed.record) return make(SpfResult::PermError, "syntax error in record of " + clip(domain) + ": " + parsed.error);
  return evaluate(*parsed.record, domain, wantExp);
}

}  // namespace am::spf
