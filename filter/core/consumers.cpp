// filter/core/consumers.cpp — see consumers.h.
#include "filter/core/consumers.h"

#include "filter/auth/spf/spf.h"
#include "filter/authres/authres.h"
#include "filter/core/log.h"

namespace am::core {
namespace {

std::string dmarcComment(const policy::DmarcOutput& d, const policy::Disposition& disp, const arc::ChainResult& arc) {
  if (!d.record) return "";
  std::string c = std::string("p=") + policy::toString(d.policy);
  c += std::string(" sp=") + policy::toString(d.subdomainPolicy == policy::Policy::Unspecified ? d.policy : d.subdomainPolicy);
  c += std::string(" dis=") + policy::toString(d.disposition);
  if (disp.override == policy::Override::Arc) c += " override=arc sealer=" + arc.sealer;
  return c;
}

// RFC 8617 §10.1: arc=pass|fail with smtp.remote-ip and, for a passing chain, header.oldest-pass;
// arc=none (no ARC sets) alone. A sealer after us reads its cv from this result.
authres::ResInfo arcResult(const MessageOutcome& o) {
  authres::ResInfo r{"arc", arc::toString(o.arc.cv), "", o.arc.reason, {}};
  if (o.arc.cv == arc::Cv::None) return r;
  if (o.arc.cv == arc::Cv::Pass) {
    r.comment = "i=" + std::to_string(o.arc.lastInstance) + " sealer=" + o.arc.sealer;
    r.props.push_back({"header", "oldest-pass", std::to_string(o.arc.oldestPass)});
  }
  if (o.client.addr) r.props.push_back({"smtp", "remote-ip", o.client.addr->str()});
  return r;
}

// "i=2 as=pass ams=pass d=lists.example s=sel; i=1 ..." for the log line, newest first (a long
// chain is cut at the log value limit, and the newest sets matter most).
std::string arcSets(const arc::ChainResult& r) {
  std::string s;
  for (auto it = r.sets.rbegin(); it != r.sets.rend(); ++it) {
    const arc::SetDetail& d = *it;
    if (!s.empty()) s += "; ";
    s.append("i=").append(std::to_string(d.instance)).append(" as=").append(d.seal).append(" ams=").append(d.ams);
    s.append(" d=").append(d.sealDomain.empty() ? "-" : d.sealDomain).append(" s=").append(d.sealSelector.empty() ? "-" : d.sealSelector);
    if (!d.amsDomain.empty() && d.amsDomain != d.sealDomain) s.append(" ams.d=").append(d.amsDomain);
    if (!d.reason.empty()) s.append(" (").append(d.reason.substr(0, 80)).append(")");
  }
  return s;
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
  if (o.arc.cv != arc::Cv::None || o.evaluated) out.push_back(arcResult(o));  // none: incoming mail only
  if (o.dmarc) {
    authres::ResInfo r{"dmarc", policy::toString(o.dmarc->result), "", dmarcComment(*o.dmarc, o.disposition, o.arc), {}};
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
  if (o.arc.cv != arc::Cv::None) {
    l.append(" arc=").append(arc::toString(o.arc.cv)).append(" arc.i=").append(std::to_string(o.arc.lastInstance));
    if (o.arc.cv == arc::Cv::Pass) {
      l.append(" arc.oldest_pass=").append(std::to_string(o.arc.oldestPass)).append(" arc.sealer=");
      appendLogValue(l, o.arc.sealer);
    } else {
      l += " arc.reason=";
      appendLogValue(l, o.arc.reason);
    }
    if (!o.arc.sets.empty()) {
      l += " arc.sets=";
      appendLogValue(l, arcSets(o.arc));
    }
  }
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

}  // namespace am::core
