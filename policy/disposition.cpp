// policy/disposition.cpp — see disposition.h. Order of the rules (first that decides wins):
// ignored clients (authenticated, internal: IgnoreAuthenticatedClients, IgnoreInternalHosts), allowlisted clients, From problems, DMARC not
// evaluated, allowlisted From domains, temperror, non-failures, per-domain overrides, policy
// none, trusted ARC sealers, trusted forwarders, the report-only switch, then reject / quarantine. Last, a message
// still accepted whose From domain publishes no DMARC record gets the SPF-only rule.
#include "policy/disposition.h"

#include "common/strings.h"

namespace am::policy {
namespace {

Disposition accept(std::string why, Override o = Override::None) {
  Disposition d;
  d.logReason = std::move(why);
  d.override = o;
  return d;
}

Disposition reply(Action a, const char* code, const char* dsn, std::string text, std::string why) {
  Disposition d;
  d.action = a;
  d.smtpCode = code;
  d.dsn = dsn;
  d.text = std::move(text);
  d.logReason = std::move(why);
  return d;
}

Disposition quarantine(const std::string& reason, const DispositionOptions& opts) {
  if (opts.holdQuarantined) {
    Disposition d;
    d.action = Action::Quarantine;
    d.quarantineReason = reason;
    d.logReason = reason;
    return d;
  }
  Disposition d = accept(reason + " (delivered with " + opts.markHeaderName + ")");
  d.markHeader = std::make_pair(opts.markHeaderName, "quarantine; " + reason);
  return d;
}

const char* fromProblemText(FromResult::Status s) {
  switch (s) {
    case FromResult::Status::Missing: return "message has no From header";
    case FromResult::Status::Multiple: return "message has several From headers";
    case FromResult::Status::MultipleAddresses: return "From header has several addresses";
    case FromResult::Status::NoDomain: return "From header has no usable domain";
    default: return "From header cannot be parsed";
  }
}

Disposition fromProblem(const FromResult& from, Action a, const DispositionOptions& opts) {
  std::string text = fromProblemText(from.status);
  std::string why = std::string("from=") + toString(from.status) + (from.error.empty() ? "" : ": " + from.error);
  if (a == Action::Accept) return accept(why + ", accepted by policy");
  if (!opts.rejectFailures) return accept(why + ", report-only: would " + toString(a));
  if (a == Action::Reject) return reply(a, "550", "5.7.1", text, why);
  if (a == Action::TempFail) return reply(a, "451", "4.7.1", text, why);
  return quarantine(text, opts);
}

Policy applyOverride(Policy p, const DomainOverride* o) {
  if (!o) return p;
  switch (o->kind) {
    case OverrideKind::NeverReject: return p == Policy::Reject ? Policy::Quarantine : p;
    case OverrideKind::QuarantineAsReject: return p == Policy::Quarantine ? Policy::Reject : p;
    case OverrideKind::ForceNone: return Policy::None;
    case OverrideKind::ForceQuarantine: return Policy::Quarantine;
    case OverrideKind::ForceReject: return Policy::Reject;
  }
  return p;
}

bool anyMatch(const std::vector<HostPattern>& list, const ClientInfo& c) {
  for (auto& h : list)
    if (h.matches(c)) return true;
  return false;
}

// A domain an ARC sealer vouches for is aligned with the From domain: equal, or (relaxed) at or
// below the From domain's organizational domain.
bool alignedWithFrom(const DmarcOutput& dm, const std::string& domain, AlignMode mode) {
  std::string d = normalizeDomain(domain);
  if (d.empty()) return false;
  if (d == dm.fromDomain) return true;
  if (mode == AlignMode::Strict || dm.orgDomain.empty()) return false;
  return d == dm.orgDomain || (d.size() > dm.orgDomain.size() && d.ends_with("." + dm.orgDomain));
}

// Why a trusted sealer's results lift the failure ("" when they do not).
std::string arcOverride(const DmarcOutput& dm, const PolicyFile& pf, const ArcEvidence* arc) {
  if (arc == nullptr || !arc->pass || arc->sealer.empty()) return {};
  bool trusted = false;
  for (auto& t : pf.arcTrust) trusted = trusted || t.matches(arc->sealer);
  if (!trusted) return {};
  AlignMode adkim = dm.record ? dm.record->adkim : AlignMode::Relaxed;
  AlignMode aspf = dm.record ? dm.record->aspf : AlignMode::Relaxed;
  for (auto& c : arc->claims) {
    if (c.result != "pass") continue;
    bool ok = (c.method == "dmarc" && (c.domain.empty() || normalizeDomain(c.domain) == dm.fromDomain)) ||
              (c.method == "dkim" && alignedWithFrom(dm, c.domain, adkim)) ||
              (c.method == "spf" && alignedWithFrom(dm, c.domain, aspf));
    if (ok) return "ARC sealer " + arc->sealer + " (trusted) saw " + c.method + "=pass" + (c.domain.empty() ? "" : " for " + c.domain);
  }
  return {};
}

Disposition enforce(const DmarcOutput& dm, Policy p, const DomainOverride* o, const PolicyFile& pf,
                    const ClientInfo& client, const DispositionOptions& opts, const ArcEvidence* arc) {
  std::string policyText = std::string("p=") + toString(dm.appliedPolicy);
  std::string why = "dmarc=fail " + policyText + " dis=" + toString(p) +
                    (o ? " (local override line " + std::to_string(o->line) + ")" : "");
  if (!dm.reason.empty()) why += ": " + dm.reason;
  Override lowered = o && p != dm.disposition ? Override::LocalPolicy
                     : dm.sampledOut             ? Override::SampledOut
                                                 : Override::None;
  if (p == Policy::None || p == Policy::Unspecified) return accept(why, lowered);
  if (std::string a = arcOverride(dm, pf, arc); !a.empty()) return accept(why + "; " + a + ", not enforced", Override::Arc);
  if (anyMatch(pf.forwarders, client)) return accept(why + "; trusted forwarder, not enforced", Override::TrustedForwarder);
  if (!opts.rejectFailures) return accept(why + "; report-only, not enforced", Override::LocalPolicy);
  Disposition d = p == Policy::Reject ? reply(Action::Reject, "550", "5.7.1",
                                              "rejected by DMARC policy for " + dm.fromDomain + " (" + policyText + ")", why)
                                      : quarantine("DMARC policy for " + dm.fromDomain + " (" + policyText + "): quarantine", opts);
  d.override = lowered;
  return d;
}

// For From domains that publish no DMARC record (RFC 7372 codes); softfail never acts.
void spfOnly(const am::SpfOutput& spf, const DmarcOutput* dmarc, const DispositionOptions& opts, Disposition& d) {
  if (!opts.spfRejectFailures || d.action != Action::Accept || !spf.checked) return;
  if (dmarc && dmarc->result != DmarcResult::None) return;
  const std::string& dom = spf.domain;
  switch (spf.result) {
    case am::SpfResult::Fail:
      d = reply(Action::Reject, "550", "5.7.23", "SPF validation failed for " + dom, "spf fail, no DMARC record");
      break;
    case am::SpfResult::PermError:
      d = reply(Action::Reject, "550", "5.7.24", "SPF record of " + dom + " is invalid", "spf permerror, no DMARC record");
      break;
    case am::SpfResult::TempError:
      d = reply(Action::TempFail, "451", "4.7.24", "SPF lookup for " + dom + " failed temporarily",
                "spf temperror, no DMARC record");
      break;
    default: break;
  }
}

Disposition decideDmarc(const FromResult& from, const DmarcOutput* dmarc, const PolicyFile& pf,
                        const ClientInfo& client, const DispositionOptions& opts, const ArcEvidence* arc) {
  bool failing = dmarc && dmarc->result == DmarcResult::Fail;
  Override skipped = failing ? Override::LocalPolicy : Override::None;
  if (client.authenticated() && opts.ignoreAuthenticated)
    return accept("authenticated client, DMARC not enforced", skipped);
  if (client.internal && opts.ignoreInternal) return accept("internal client, DMARC not enforced", skipped);
  if (anyMatch(pf.allowClients, client)) return accept("allowlisted client, DMARC not enforced", skipped);
  if (from.status != FromResult::Status::Ok) {
    auto it = pf.fromActions.find(from.status);
    return fromProblem(from, it == pf.fromActions.end() ? Action::Reject : it->second, opts);
  }
  if (!dmarc) return accept("DMARC not evaluated");
  for (auto& a : pf.allowFrom)
    if (a.matches(dmarc->fromDomain)) return accept("allowlisted From domain " + dmarc->fromDomain, skipped);
  if (dmarc->result == DmarcResult::TempError) {
    std::string why = "dmarc=temperror: " + dmarc->reason;
    if (!opts.tempfailOnDnsError) return accept(why + "; accepted by option");
    if (!opts.rejectFailures) return accept(why + "; report-only: would tempfail");
    return reply(Action::TempFail, "451", "4.7.1",
                 "temporary DNS failure evaluating DMARC policy for " + dmarc->fromDomain, why);
  }
  if (dmarc->result != DmarcResult::Fail) {
    std::string why = std::string("dmarc=") + toString(dmarc->result);
    return accept(dmarc->reason.empty() ? why : why + ": " + dmarc->reason);
  }
  const DomainOverride* o = pf.overrideFor(dmarc->fromDomain);
  return enforce(*dmarc, applyOverride(dmarc->disposition, o), o, pf, client, opts, arc);
}

}  // namespace

const char* toString(Override o) {
  switch (o) {
    case Override::None: return "none";
    case Override::Forwarded: return "forwarded";
    case Override::SampledOut: return "sampled_out";
    case Override::TrustedForwarder: return "trusted_forwarder";
    case Override::MailingList: return "mailing_list";
    case Override::LocalPolicy: return "local_policy";
    case Override::Arc: return "arc";
    case Override::Other: return "other";
  }
  return "other";
}

Disposition decide(const FromResult& from, const DmarcOutput* dmarc, const am::SpfOutput& spf, const PolicyFile& pf,
                   const ClientInfo& client, const DispositionOptions& opts, const ArcEvidence* arc) {
  Disposition d = decideDmarc(from, dmarc, pf, client, opts, arc);
  spfOnly(spf, dmarc, opts, d);
  return d;
}

}  // namespace am::policy
