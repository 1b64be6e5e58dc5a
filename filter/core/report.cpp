// filter/core/report.cpp — see report.h.
#include "filter/core/report.h"

#include <random>

#include "common/strings.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/authres/authres.h"
#include "filter/core/options.h"
#include "filter/core/session.h"
#include "policy/disposition.h"
#include "policy/dmarc.h"

namespace am::core {
namespace {

class SystemRng final : public policy::Rng {
 public:
  unsigned percent() override {
    thread_local std::mt19937 gen{std::random_device{}()};  // per call site, not per connection
    return std::uniform_int_distribution<unsigned>(0, 99)(gen);
  }
};

std::string dmarcComment(const policy::DmarcOutput& d) {
  if (!d.record) return "";
  std::string c = std::string("p=") + policy::toString(d.policy);
  c += std::string(" sp=") + policy::toString(d.subdomainPolicy == policy::Policy::Unspecified ? d.policy : d.subdomainPolicy);
  c += std::string(" dis=") + policy::toString(d.disposition);
  return c;
}

std::vector<authres::ResInfo> authResults(const MessageOutcome& o, const policy::DmarcOutput* dmarc) {
  std::vector<authres::ResInfo> out;
  if (!o.authUser.empty()) out.push_back({"auth", "pass", "", "", {{"smtp", "auth", o.authUser}}});
  if (o.spfMailFrom.checked) {
    authres::ResInfo r{"spf", toString(o.spfMailFrom.result), "", "", {}};
    if (o.spfMailFrom.identity == SpfIdentity::MailFrom && !o.mailFrom.empty())
      r.props.push_back({"smtp", "mailfrom", o.spfMailFrom.domain});
    if (!o.helo.empty()) r.props.push_back({"smtp", "helo", o.helo});
    out.push_back(std::move(r));
  } else if (o.authUser.empty() && !o.internal) {
    out.push_back({"spf", "none", "", "", {}});
  }
  if (o.spfHelo.checked && o.spfHelo.result != SpfResult::None && o.spfHelo.result != o.spfMailFrom.result &&
      !o.mailFrom.empty())
    out.push_back({"spf", toString(o.spfHelo.result), "", "identity=helo", {{"smtp", "helo", o.helo}}});
  if (!o.signing || !o.dkim.empty()) {
    if (o.dkim.empty()) out.push_back({"dkim", "none", "", "", {}});
    for (auto& d : o.dkim) {
      authres::ResInfo r{"dkim", toString(d.result), "", d.result == DkimResult::Pass ? "" : d.reason, {}};
      r.props.push_back({"header", "d", d.domain});
      if (!d.identity.empty()) r.props.push_back({"header", "i", d.identity});
      if (!d.selector.empty()) r.props.push_back({"header", "s", d.selector});
      if (!d.algorithm.empty()) r.props.push_back({"header", "a", d.algorithm});
      if (!d.bPrefix.empty()) r.props.push_back({"header", "b", d.bPrefix});
      out.push_back(std::move(r));
    }
  }
  if (dmarc) {
    authres::ResInfo r{"dmarc", policy::toString(dmarc->result), "", dmarcComment(*dmarc), {}};
    r.props.push_back({"header", "from", dmarc->fromDomain});
    out.push_back(std::move(r));
  }
  return out;
}

// Forged copies of our own AR header: delete from the highest index down (indexes shift as
// headers go; CVE-2022-48521).
std::vector<HeaderEdit> forgedArDeletes(const Message& msg, const config::Config& cfg) {
  std::vector<int> idx;
  int n = 0;
  for (auto& [name, value] : msg.headers) {
    if (!iequals(name, "Authentication-Results")) continue;
    ++n;
    if (authres::claimsAuthservId(value, cfg.authservId)) idx.push_back(n);
  }
  std::vector<HeaderEdit> out;
  for (auto it = idx.rbegin(); it != idx.rend(); ++it)
    out.push_back({HeaderEdit::Kind::Change, "Authentication-Results", *it, ""});
  return out;
}

Verdict fromDisposition(const policy::Disposition& d) {
  Verdict v;
  switch (d.action) {
    case policy::Action::Accept: v.action = Action::Accept; break;
    case policy::Action::Reject: v = Verdict::reply(Action::Reject, d.smtpCode, d.dsn, d.text); break;
    case policy::Action::TempFail: v = Verdict::reply(Action::TempFail, d.smtpCode, d.dsn, d.text); break;
    case policy::Action::Quarantine:
      v.action = Action::Accept;
      v.quarantine = d.quarantineReason;
      break;
  }
  if (d.markHeader) v.edits.push_back({HeaderEdit::Kind::Insert, d.markHeader->first, 0, d.markHeader->second});
  return v;
}

// SPF-only action for From domains that publish no DMARC record (RFC 7372 codes).
void spfOnlyAction(const config::Config& cfg, const MessageOutcome& o, const policy::DmarcOutput* dmarc, Verdict& v,
                   std::string& reason) {
  if (!cfg.spfRejectFailures || v.action != Action::Accept || v.quarantine || !o.spfMailFrom.checked) return;
  if (dmarc && dmarc->result != policy::DmarcResult::None) return;
  std::string d = o.spfMailFrom.domain;
  switch (o.spfMailFrom.result) {
    case SpfResult::Fail:
      v = Verdict::reply(Action::Reject, "550", "5.7.23", "SPF validation failed for " + d);
      reason = "spf fail, no DMARC record";
      break;
    case SpfResult::PermError:
      v = Verdict::reply(Action::Reject, "550", "5.7.24", "SPF record of " + d + " is invalid");
      reason = "spf permerror, no DMARC record";
      break;
    case SpfResult::TempError:
      v = Verdict::reply(Action::TempFail, "451", "4.7.24", "SPF lookup for " + d + " failed temporarily");
      reason = "spf temperror, no DMARC record";
      break;
    default: break;
  }
}

// One buffer, values appended in place (appendLogValue); only the client[name] and dkim values,
// which are quoted as a whole, are put together first.
std::string logLineFor(const MessageOutcome& o, const policy::DmarcOutput* dmarc, const Verdict& v,
                       const std::string& reason) {
  std::string l;
  l.reserve(320);
  l += "qid=";
  appendLogValue(l, o.queueId.empty() ? std::string_view("-") : std::string_view(o.queueId));
  std::string part = o.client ? o.client->str() : std::string("-");
  part += '[';
  part += o.clientName.empty() || o.clientName[0] == '[' ? std::string_view("unknown") : std::string_view(o.clientName);
  part += ']';
  l += " client=";
  appendLogValue(l, part);
  l += " helo=";
  appendLogValue(l, o.helo);
  l += " mailfrom=";
  appendLogValue(l, o.mailFrom);
  if (!o.authUser.empty()) {
    l += " auth=";
    appendLogValue(l, o.authUser);
  }
  for (auto& [k, val] : o.tls) {
    l += k == "{tls_version}" ? " tls=" : " cipher=";
    appendLogValue(l, val);
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
  if (dmarc)
    l.append(" dmarc=").append(policy::toString(dmarc->result)).append(" policy=").append(policy::toString(dmarc->appliedPolicy));
  l.append(" action=").append(v.quarantine ? "quarantine" : toString(v.action));
  if (!reason.empty()) {
    l += " reason=";
    appendLogValue(l, reason);
  }
  return l;
}

}  // namespace

const char* toString(Action a) {
  switch (a) {
    case Action::Continue: return "continue";
    case Action::Accept: return "accept";
    case Action::Reject: return "reject";
    case Action::TempFail: return "tempfail";
    case Action::Discard: return "discard";
  }
  return "?";
}

Verdict decideAndReport(Engine& engine, const Snapshot& snap, const Message& msg, const MessageOutcome& o,
                        std::string& logLine) {
  const auto& cfg = *snap.config;
  std::optional<policy::DmarcOutput> dmarc;
  if (msg.verifying && o.from.status == policy::FromResult::Status::Ok) {
    SystemRng rng;
    policy::DmarcOptions opts = dmarcOptions(cfg, snap.policy->honorPct);
    dmarc = policy::evaluate(o.from.domain, o.spfMailFrom, o.dkim, engine.dns(), engine.psl(), opts, rng);
  }
  Verdict v;
  std::string reason;
  if (msg.verifying) {
    policy::ClientInfo client{o.client.value_or(IpAddress{}), o.clientName, !o.authUser.empty(), o.internal};
    auto d = policy::decide(o.from, dmarc ? &*dmarc : nullptr, *snap.policy, client, dispositionOptions(cfg));
    v = fromDisposition(d);
    reason = d.logReason;
    spfOnlyAction(cfg, o, dmarc ? &*dmarc : nullptr, v, reason);
  } else {
    v.action = Action::Accept;
  }
  auto edits = forgedArDeletes(msg, cfg);
  edits.push_back({HeaderEdit::Kind::Insert, "Authentication-Results", 0,
                   authres::format(cfg.authservId, authResults(o, dmarc ? &*dmarc : nullptr))});
  if (cfg.addReceivedSpf && o.spfMailFrom.checked && o.client)
    edits.push_back({HeaderEdit::Kind::Insert, "Received-SPF", 0,
                     spf::receivedSpf(o.spfMailFrom, *o.client, o.helo, cfg.authservId)});
  for (auto& sig : o.signatures) edits.push_back({HeaderEdit::Kind::Insert, "DKIM-Signature", 0, sig});
  for (auto& e : v.edits) edits.push_back(std::move(e));
  v.edits = std::move(edits);
  logLine = logLineFor(o, dmarc ? &*dmarc : nullptr, v, reason);
  engine.log().info(logLine);
  return v;
}

}  // namespace am::core
