// filter/core/consumers.cpp — see consumers.h.
#include "filter/core/consumers.h"

#include <cctype>

#include "filter/auth/spf/spf.h"
#include "filter/authres/authres.h"
#include "filter/core/log.h"

namespace am::core {
namespace {

std::string dmarcComment(const policy::DmarcOutput& d) {
  if (!d.record) return "";
  std::string c = std::string("p=") + policy::toString(d.policy);
  c += std::string(" sp=") + policy::toString(d.subdomainPolicy == policy::Policy::Unspecified ? d.policy : d.subdomainPolicy);
  c += std::string(" dis=") + policy::toString(d.disposition);
  return c;
}

authres::ResInfo dkimResult(const DkimOutput& d) {
  authres::ResInfo r{"dkim", toString(d.result), "", d.result == DkimResult::Pass ? "" : d.reason, {}};
  r.props.push_back({"header", "d", d.domain});
  if (!d.identity.empty()) r.props.push_back({"header", "i", d.identity});
  if (!d.selector.empty()) r.props.push_back({"header", "s", d.selector});
  if (!d.algorithm.empty()) r.props.push_back({"header", "a", d.algorithm});
  if (!d.bPrefix.empty()) r.props.push_back({"header", "b", d.bPrefix});
  return r;
}

std::vector<authres::ResInfo> authResults(const MessageOutcome& o) {
  std::vector<authres::ResInfo> out;
  if (!o.client.authUser.empty()) out.push_back({"auth", "pass", "", "", {{"smtp", "auth", o.client.authUser}}});
  if (o.spfMailFrom.checked) {
    authres::ResInfo r{"spf", toString(o.spfMailFrom.result), "", "", {}};
    if (o.spfMailFrom.identity == SpfIdentity::MailFrom && !o.mailFrom.empty())
      r.props.push_back({"smtp", "mailfrom", o.spfMailFrom.domain});
    if (!o.client.helo.empty()) r.props.push_back({"smtp", "helo", o.client.helo});
    out.push_back(std::move(r));
  } else if (o.client.authUser.empty() && !o.client.internal) {
    out.push_back({"spf", "none", "", "", {}});
  }
  if (o.spfHelo.checked && o.spfHelo.result != SpfResult::None && o.spfHelo.result != o.spfMailFrom.result &&
      !o.mailFrom.empty())
    out.push_back({"spf", toString(o.spfHelo.result), "", "identity=helo", {{"smtp", "helo", o.client.helo}}});
  if (!o.signing || !o.dkim.empty()) {
    if (o.dkim.empty()) out.push_back({"dkim", "none", "", "", {}});
    for (auto& d : o.dkim) out.push_back(dkimResult(d));
  }
  if (o.dmarc) {
    authres::ResInfo r{"dmarc", policy::toString(o.dmarc->result), "", dmarcComment(*o.dmarc), {}};
    r.props.push_back({"header", "from", o.dmarc->fromDomain});
    out.push_back(std::move(r));
  }
  return out;
}

const char* actionName(const MessageOutcome& o) { return toString(o.disposition.action); }

}  // namespace

std::string authResultsHeader(const MessageOutcome& o, std::string_view authservId) {
  return authres::format(authservId, authResults(o));
}

std::optional<std::string> receivedSpfHeader(const MessageOutcome& o, const config::Config& cfg) {
  if (!cfg.addReceivedSpf || !o.spfMailFrom.checked || !o.client.addr) return std::nullopt;
  return spf::receivedSpf(o.spfMailFrom, *o.client.addr, o.client.helo, cfg.authservId);
}

// One buffer, values appended in place (appendLogValue); only the client[name] and dkim values,
// which are quoted as a whole, are put together first.
std::string logLine(const MessageOutcome& o) {
  std::string l;
  l.reserve(320);
  l += "qid=";
  appendLogValue(l, o.queueId.empty() ? std::string_view("-") : std::string_view(o.queueId));
  std::string part = o.client.addr ? o.client.addr->str() : std::string("-");
  part += '[';
  part += o.client.hostname.empty() || o.client.hostname[0] == '[' ? std::string_view("unknown") : std::string_view(o.client.hostname);
  part += ']';
  l += " client=";
  appendLogValue(l, part);
  l += " helo=";
  appendLogValue(l, o.client.helo);
  l += " mailfrom=";
  appendLogValue(l, o.mailFrom);
  if (!o.client.authUser.empty()) {
    l += " auth=";
    appendLogValue(l, o.client.authUser);
  }
  if (!o.client.tlsVersion.empty()) {
    l += " tls=";
    appendLogValue(l, o.client.tlsVersion);
  }
  if (!o.client.tlsCipher.empty()) {
    l += " cipher=";
    appendLogValue(l, o.client.tlsCipher);
  }
  l += " from=";
  appendLogValue(l, o.from.domain.empty() ? std::string_view("-") : std::string_view(o.from.domain));
  if (o.spfMailFrom.checked) {
    l.append(" spf=").append(toString(o.spfMailFrom.result)).append(" spf.d=");
    appendLogValue(l, o.spfMailFrom.domain);
  }
  if (o.spfHelo.checked) l.append(" spf.helo=").append(toString(o.spfHelo.result));
  part.clear();
  for (auto& d : o.dkim) {
    if (!part.empty()) part += ',';
    part.append(toString(d.result)).append(":d=").append(d.domain);
  }
  l += " dkim=";
  appendLogValue(l, part.empty() ? std::string_view("none") : std::string_view(part));
  if (o.signing) l.append(" signed=").append(std::to_string(o.signatures.size()));
  if (o.dmarc)
    l.append(" dmarc=").append(policy::toString(o.dmarc->result)).append(" policy=").append(policy::toString(o.dmarc->appliedPolicy));
  if (!o.upstream.empty()) {
    part.clear();
    for (auto& u : o.upstream) {
      if (!part.empty()) part += ',';
      part.append(u.authservId).append(":").append(u.method).append("=").append(u.result);
    }
    l += " upstream=";
    appendLogValue(l, part);
  }
  l.append(" action=").append(actionName(o));
  if (o.disposition.override != policy::Override::None)
    l.append(" override=").append(policy::toString(o.disposition.override));
  if (!o.disposition.logReason.empty()) {
    l += " reason=";
    appendLogValue(l, o.disposition.logReason);
  }
  return l;
}

std::string debugLine(const MessageOutcome& o) {
  std::string l = "qid=";
  appendLogValue(l, o.queueId.empty() ? std::string_view("-") : std::string_view(o.queueId));
  l += " debug=outcome";
  auto kv = [&l](std::string_view k, std::string_view v) {
    l.append(" ").append(k).append("=");
    appendLogValue(l, v);
  };
  if (o.spfMailFrom.checked) kv("spf.reason", o.spfMailFrom.reason);
  if (o.spfHelo.checked) kv("spf.helo.reason", o.spfHelo.reason);
  for (size_t i = 0; i < o.dkim.size(); ++i) {
    const DkimOutput& d = o.dkim[i];
    std::string sig = "d=" + d.domain + " s=" + d.selector + " a=" + d.algorithm + " result=" + toString(d.result);
    if (d.headerHashBytes) sig += " header-hash-input=" + std::to_string(d.headerHashBytes);
    if (d.bodyHashBytes) sig += " body-hashed=" + std::to_string(d.bodyHashBytes);
    if (!d.reason.empty()) sig += " reason=" + d.reason;
    kv("dkim." + std::to_string(i + 1), sig);
  }
  if (o.dmarc) {
    const policy::DmarcOutput& d = *o.dmarc;
    if (d.record) {
      std::string rec;
      for (auto& [tag, value] : d.record->tags) rec.append(rec.empty() ? "" : "; ").append(tag).append("=").append(value);
      kv("dmarc.record", rec);
    }
    kv("dmarc.policy_domain", d.policyDomain.empty() ? "-" : d.policyDomain);
    kv("dmarc.org_domain", d.orgDomain);
    kv("dmarc.org_by", o.dmarcMode == policy::DmarcMode::Rfc7489 ? "psl" : "tree-walk");
    kv("dmarc.aligned_spf", d.alignedSpf ? "yes" : "no");
    kv("dmarc.aligned_dkim", d.alignedDkim ? d.alignedDkimDomain : "no");
    if (!d.reason.empty()) kv("dmarc.reason", d.reason);
  }
  kv("rule", o.disposition.logReason.empty() ? "-" : o.disposition.logReason);
  return l;
}

Verdict verdictFor(const MessageOutcome& o, const config::Config& cfg) {
  const policy::Disposition& d = o.disposition;
  Verdict v;
  switch (d.action) {
    case Action::Reject:
    case Action::TempFail: v = Verdict::reply(d.action, d.smtpCode, d.dsn, d.text); break;
    case Action::Quarantine:  // accepted and held by the MTA
      v.action = Action::Accept;
      v.quarantine = d.quarantineReason;
      break;
    case Action::Accept:
    case Action::Continue:
    case Action::Discard: v.action = d.action == Action::Discard ? Action::Discard : Action::Accept; break;
  }
  for (int i : o.forgedAr) v.edits.push_back({HeaderEdit::Kind::Change, "Authentication-Results", i, ""});
  v.edits.push_back({HeaderEdit::Kind::Insert, "Authentication-Results", 0, authResultsHeader(o, cfg.authservId)});
  if (auto r = receivedSpfHeader(o, cfg)) v.edits.push_back({HeaderEdit::Kind::Insert, "Received-SPF", 0, *r});
  for (auto& sig : o.signatures) v.edits.push_back({HeaderEdit::Kind::Insert, "DKIM-Signature", 0, sig});
  if (d.markHeader) v.edits.push_back({HeaderEdit::Kind::Insert, d.markHeader->first, 0, d.markHeader->second});
  return v;
}

namespace {

std::string domainOf(std::string_view addr) {
  while (!addr.empty() && (addr.front() == '<' || addr.front() == ' ')) addr.remove_prefix(1);
  while (!addr.empty() && (addr.back() == '>' || addr.back() == ' ')) addr.remove_suffix(1);
  auto at = addr.rfind('@');
  std::string d(at == std::string_view::npos ? std::string_view() : addr.substr(at + 1));
  for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

const char* policyName(policy::Policy p) { return p == policy::Policy::Unspecified ? "" : policy::toString(p); }

reports::PublishedPolicy published(const policy::DmarcRecord& r, policy::DmarcMode mode) {
  reports::PublishedPolicy p;
  p.p = policyName(r.p);
  p.sp = policyName(r.sp);
  p.np = policyName(r.np);
  p.adkim = r.adkim == policy::AlignMode::Strict ? "s" : "r";
  p.aspf = r.aspf == policy::AlignMode::Strict ? "s" : "r";
  p.pct = r.pct;
  p.fo = r.fo;
  p.testing = r.testing ? "y" : "n";
  p.psd = r.psd == policy::PsdFlag::Yes ? "y" : r.psd == policy::PsdFlag::No ? "n" : r.tags.count("psd") ? "u" : "";
  p.discovery = mode == policy::DmarcMode::Rfc7489 ? "psl" : "treewalk";
  p.rua = r.rua;
  p.ruf = r.ruf;
  return p;
}

}  // namespace

std::optional<reports::Record> reportRecord(const MessageOutcome& o, int64_t now) {
  if (!o.evaluated || !o.dmarc || !o.dmarc->record || o.dmarc->policyDomain.empty() || !o.client.addr)
    return std::nullopt;
  const policy::DmarcOutput& d = *o.dmarc;
  if (d.result != policy::DmarcResult::Pass && d.result != policy::DmarcResult::Fail &&
      d.result != policy::DmarcResult::None)
    return std::nullopt;
  const Action act = o.disposition.action;
  if (act == Action::TempFail) return std::nullopt;
  reports::Record r;
  r.time = now;
  r.reportDomain = d.policyDomain;
  r.sourceIp = o.client.addr->str();
  r.headerFrom = d.fromDomain;
  r.envelopeFrom = domainOf(o.mailFrom);
  r.envelopeTo = o.rcpts.empty() ? "" : domainOf(o.rcpts.front());
  r.published = published(*d.record, o.dmarcMode);
  r.dmarcResult = policy::toString(d.result);
  r.disposition = act == Action::Reject ? "reject" : act == Action::Quarantine ? "quarantine" : "none";
  r.dkimAligned = d.alignedDkim ? "pass" : "fail";
  r.spfAligned = d.alignedSpf ? "pass" : "fail";
  if (o.disposition.override != policy::Override::None) r.overrideReason = policy::toString(o.disposition.override);
  for (auto& k : o.dkim) r.dkim.push_back({k.domain, k.selector, toString(k.result)});
  if (o.spfMailFrom.checked) {
    r.spfDomain = o.spfMailFrom.domain;
    r.spfScope = o.spfMailFrom.identity == SpfIdentity::Helo ? "helo" : "mfrom";
    r.spfResult = toString(o.spfMailFrom.result);
  } else {
    r.spfDomain = r.envelopeFrom.empty() ? o.client.helo : r.envelopeFrom;
    r.spfResult = "none";
  }
  return r;
}

}  // namespace am::core
