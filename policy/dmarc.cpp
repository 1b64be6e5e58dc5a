// policy/dmarc.cpp — DMARC evaluation (RFC 9989 §4.10 and §5, RFC 7489 §6.6): discovery,
// organizational domain, alignment, the policy that applies (p/sp/np), pct and t= handling.
// Pure function over its inputs; all DNS goes through the injected Resolver. Thread-safe.

#include "common/strings.h"
#include "policy/dmarc.h"
#include "policy/dmarc_dns.h"

namespace am::policy {
namespace {

using detail::DmarcDns;
using detail::Found;

Policy lower(Policy p) {
  if (p == Policy::Reject) return Policy::Quarantine;
  if (p == Policy::Quarantine) return Policy::None;
  return p;
}

Policy orNone(Policy p) { return p == Policy::Unspecified ? Policy::None : p; }

void addReason(DmarcOutput& out, const std::string& r) {
  if (r.empty()) return;
  if (!out.reason.empty()) out.reason += "; ";
  out.reason += r;
}

struct Evaluation {
  const DmarcOptions& opts;
  const PublicSuffix* psl;
  DmarcDns dns;
  DmarcOutput out;
  bool orgTempFail = false;

  // Organizational domain of an authenticated identifier (relaxed alignment). In RFC 9989
  // mode only identifiers at or below the From org domain can share it, so only those walk.
  std::string orgOf(std::string_view d) {
    std::string dom(d);
    if (dom == out.fromDomain) return out.orgDomain;
    if (opts.mode == DmarcMode::Rfc7489) return psl->organizationalDomain(dom);
    if (!detail::isSameOrSubdomain(dom, out.orgDomain)) return dom;
    auto org = dns.walkOrg(dom);
    if (org.tempFail) orgTempFail = true;
    return org.domain;
  }

  bool discover(Found& found);
  Policy appliedPolicy(const DmarcRecord& rec);
  void align(const am::SpfOutput& spf, const std::vector<am::DkimOutput>& dkim, const DmarcRecord& rec);
  void dispose(const DmarcRecord& rec, Rng& rng);
  bool alignedTempError(const am::SpfOutput& spf, const std::vector<am::DkimOutput>& dkim, const DmarcRecord& rec);
};

// Nothing aligned, but an identifier that would align failed temporarily: the answer is unknown
// (a fail would turn a DNS hiccup into a 550 for legitimate mail).
bool Evaluation::alignedTempError(const am::SpfOutput& spf, const std::vector<am::DkimOutput>& dkim,
                                  const DmarcRecord& rec) {
  auto org = [this](std::string_view d) { return orgOf(d); };
  if (spf.result == am::SpfResult::TempError && spf.identity == am::SpfIdentity::MailFrom && !spf.domain.empty() &&
      aligned(out.fromDomain, normalizeDomain(spf.domain), rec.aspf, org))
    return true;
  for (auto& sig : dkim)
    if (sig.result == am::DkimResult::TempError && !sig.domain.empty() &&
        aligned(out.fromDomain, normalizeDomain(sig.domain), rec.adkim, org))
      return true;
  return false;
}

// Fills found and the org domain; false when evaluation ends here (out already set).
bool Evaluation::discover(Found& found) {
  if (opts.mode == DmarcMode::Rfc7489) {
    out.orgDomain = psl->organizationalDomain(out.fromDomain);
    found = dns.lookup7489(out.fromDomain, out.orgDomain);
  } else {
    found = dns.walkPolicy(out.fromDomain);
    auto org = dns.walkOrg(out.fromDomain);
    out.orgDomain = org.domain;
    // Without a policy nothing can be decided; with one, an unknown org domain only matters if
    // relaxed alignment needs it (then: temperror below), not for exact alignment.
    if (org.tempFail) (found.domain.empty() ? found.tempFail : orgTempFail) = true;
  }
  addReason(out, found.note);
  if (found.tempFail) {
    out.result = DmarcResult::TempError;
    addReason(out, "temporary DNS failure during policy discovery");
    return false;
  }
  if (found.domain.empty()) {
    out.result = found.permFail || !found.note.empty() ? DmarcResult::PermError : DmarcResult::None;
    if (out.result == DmarcResult::None) addReason(out, "no DMARC record");
    return false;
  }
  if (opts.mode == DmarcMode::Rfc7489 && !found.record.usable7489()) {
    out.result = DmarcResult::PermError;
    out.policyDomain = found.domain;
    out.record = found.record;
    addReason(out, "unusable DMARC record at _dmarc." + found.domain + " (invalid p/sp, no rua)");
    return false;
  }
  return true;
}

Policy Evaluation::appliedPolicy(const DmarcRecord& rec) {
  Policy p = orNone(rec.p);
  Policy sp = rec.sp == Policy::Unspecified ? p : rec.sp;
  if (out.fromDomain == out.policyDomain) return p;
  if (opts.mode == DmarcMode::Rfc9989 && rec.np != Policy::Unspecified && rec.np != sp) {
    bool temp = false;
    out.nonExistent = dns.nonExistent(out.fromDomain, temp);
    if (temp) addReason(out, "existence of " + out.fromDomain + " unknown (DNS), np not applied");
    if (out.nonExistent) return rec.np;
  }
  return sp;
}

void Evaluation::align(const am::SpfOutput& spf, const std::vector<am::DkimOutput>& dkim,
                       const DmarcRecord& rec) {
  auto org = [this](std::string_view d) { return orgOf(d); };
  if (spf.result == am::SpfResult::Pass && spf.identity == am::SpfIdentity::MailFrom &&
      !spf.domain.empty())
    out.alignedSpf = aligned(out.fromDomain, normalizeDomain(spf.domain), rec.aspf, org);
  for (auto& sig : dkim) {
    if (sig.result != am::DkimResult::Pass || sig.domain.empty()) continue;
    std::string d = normalizeDomain(sig.domain);
    if (aligned(out.fromDomain, d, rec.adkim, org)) {
      out.alignedDkim = true;
      out.alignedDkimDomain = d;
      break;
    }
  }
}

void Evaluation::dispose(const DmarcRecord& rec, Rng& rng) {
  if (out.result != DmarcResult::Fail) {
    out.disposition = Policy::None;
    return;
  }
  Policy d = out.appliedPolicy;
  if (opts.mode == DmarcMode::Rfc7489) {
    if (opts.honorPct && rec.pctPresent && rec.pct < 100 && d != Policy::None &&
        rng.percent() >= rec.pct) {
      out.sampledOut = true;
      addReason(out, "not sampled (pct=" + std::to_string(rec.pct) + ")");
      d = lower(d);
    }
  } else {
    bool transitionPct0 = opts.honorPct && !rec.tPresent && rec.pctPresent && rec.pct == 0;
    if ((rec.testing || transitionPct0) && d != Policy::None) {
      out.sampledOut = true;
      addReason(out, rec.testing ? "test mode (t=y)" : "pct=0 read as t=y");
      d = lower(d);
    }
  }
  out.disposition = d;
}

}  // namespace

bool aligned(std::string_view fromDomain, std::string_view authDomain, AlignMode mode,
             const std::function<std::string(std::string_view)>& orgOf) {
  std::string from = normalizeDomain(fromDomain), auth = normalizeDomain(authDomain);
  if (from.empty() || auth.empty()) return false;
  if (from == auth) return true;
  if (mode == AlignMode::Strict) return false;
  std::string a = orgOf(from), b = orgOf(auth);
  return !a.empty() && a == b;
}

DmarcOutput evaluate(std::string_view fromDomain, const am::SpfOutput& spfMailFrom,
                     const std::vector<am::DkimOutput>& dkim, am::Resolver& dns,
                     const PublicSuffix* psl, const DmarcOptions& opts, Rng& rng) {
  Evaluation ev{opts, psl, DmarcDns(dns), {}, false};
  DmarcOutput& out = ev.out;
  out.fromDomain = normalizeDomain(fromDomain);
  if (out.fromDomain.empty()) {
    out.result = DmarcResult::PermError;
    out.reason = "no author domain";
    return out;
  }
  if (opts.mode == DmarcMode::Rfc7489 && !psl) {
    out.result = DmarcResult::PermError;
    out.reason = "RFC 7489 mode without a Public Suffix List";
    return out;
  }
  Found found;
  if (!ev.discover(found)) {
    out.dnsQueries = ev.dns.queries();
    return out;
  }
  const DmarcRecord& rec = found.record;
  out.policyDomain = found.domain;
  out.policy = orNone(rec.p);
  out.subdomainPolicy = rec.sp;
  out.appliedPolicy = ev.appliedPolicy(rec);
  ev.align(spfMailFrom, dkim, rec);
  if (out.alignedSpf || out.alignedDkim) {
    out.result = DmarcResult::Pass;
  } else if (ev.orgTempFail) {
    out.result = DmarcResult::TempError;
    addReason(out, "temporary DNS failure finding an organizational domain");
  } else if (ev.alignedTempError(spfMailFrom, dkim, rec)) {
    out.result = DmarcResult::TempError;
    addReason(out, "temporary error authenticating an aligned identifier");
  } else {
    out.result = DmarcResult::Fail;
    addReason(out, "no aligned SPF or DKIM pass");
  }
  ev.dispose(rec, rng);
  out.record = rec;
  out.dnsQueries = ev.dns.queries();
  return out;
}

}  // namespace am::policy
