// filter/core/consumers.cpp — see consumers.h.
#include "filter/core/consumers.h"

#include <cctype>

#include "common/json.h"
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

// How the message reached the MTA, as a comment after the authserv-id: the IANA registry of AR
// methods and properties has no entry for the transport (the draft that proposed one lapsed), so a
// comment carries it. Nothing without TLS: the MTA gives no macro then, and a missing macro setting
// (milter_helo_macros, confMILTER_MACROS_HELO) must not read as "no TLS".
std::string transportComment(const ClientInfo& c) {
  if (!c.tls()) return "";
  std::string s = "tls=" + c.tlsVersion;
  if (!c.tlsCipher.empty()) s += " cipher=" + c.tlsCipher;
  if (!c.tlsBits.empty()) s += " bits=" + c.tlsBits;
  return s;
}

const char* actionName(const MessageOutcome& o) { return toString(o.disposition.action); }

}  // namespace

std::string authResultsHeader(const MessageOutcome& o, std::string_view authservId) {
  return authres::format(authservId, authResults(o), transportComment(o.client));
}

std::optional<std::string> receivedSpfHeader(const MessageOutcome& o, const config::Config& cfg) {
  if (!cfg.addReceivedSpf || !o.spfMailFrom.checked || !o.client.addr) return std::nullopt;
  return spf::receivedSpf(o.spfMailFrom, *o.client.addr, o.client.helo, cfg.authservId);
}

std::string clientField(const ClientInfo& c) {
  std::string part = c.addr ? c.addr->str() : std::string("-");
  part += '[';
  part += c.hostname.empty() || c.hostname[0] == '[' ? std::string_view("unknown") : std::string_view(c.hostname);
  part += ']';
  return part;
}

// The fields of the per-message log line, in order, written to a Sink: KvSink (key=value,
// appendLogValue) or JsonSink (one object, common/json.h). One list of fields, so the two formats
// can never differ in what they say. `text` is message data; `word` a fixed vocabulary word.
template <class Sink>
void logFields(const MessageOutcome& o, Sink& s) {
  s.text("qid", o.queueId.empty() ? std::string_view("-") : std::string_view(o.queueId));
  s.text("client", clientField(o.client));
  s.text("helo", o.client.helo);
  s.text("mailfrom", o.mailFrom);
  if (!o.client.authUser.empty()) s.text("auth", o.client.authUser);
  if (!o.client.tlsVersion.empty()) s.text("tls", o.client.tlsVersion);
  if (!o.client.tlsCipher.empty()) s.text("cipher", o.client.tlsCipher);
  if (!o.client.tlsBits.empty()) s.text("cipher_bits", o.client.tlsBits);
  s.text("from", o.from.domain.empty() ? std::string_view("-") : std::string_view(o.from.domain));
  if (o.spfMailFrom.checked) {
    s.word("spf", toString(o.spfMailFrom.result));
    s.text("spf.d", o.spfMailFrom.domain);
  }
  if (o.spfHelo.checked) s.word("spf.helo", toString(o.spfHelo.result));
  std::string part;
  for (auto& d : o.dkim) {
    if (!part.empty()) part += ',';
    part.append(toString(d.result)).append(":d=").append(d.domain);
  }
  s.text("dkim", part.empty() ? std::string_view("none") : std::string_view(part));
  if (o.signing) s.number("signed", o.signatures.size());
  if (o.dmarc) {
    s.word("dmarc", policy::toString(o.dmarc->result));
    s.word("policy", policy::toString(o.dmarc->appliedPolicy));
  }
  if (o.arc.cv != arc::Cv::None) {
    s.word("arc", arc::toString(o.arc.cv));
    s.number("arc.i", o.arc.lastInstance);
    if (o.arc.cv == arc::Cv::Pass) {
      s.number("arc.oldest_pass", o.arc.oldestPass);
      s.text("arc.sealer", o.arc.sealer);
    } else {
      s.text("arc.reason", o.arc.reason);
    }
    if (!o.arc.sets.empty()) s.text("arc.sets", arcSets(o.arc));
  }
  if (!o.upstream.empty()) {
    part.clear();
    for (auto& u : o.upstream) {
      if (!part.empty()) part += ',';
      part.append(u.authservId).append(":").append(u.method).append("=").append(u.result);
    }
    s.text("upstream", part);
  }
  s.word("action", actionName(o));
  if (o.disposition.override != policy::Override::None) s.word("override", policy::toString(o.disposition.override));
  if (!o.disposition.logReason.empty()) s.text("reason", o.disposition.logReason);
}

// key=value: one buffer, values appended in place.
struct KvSink {
  std::string& l;
  void key(std::string_view k) {
    if (!l.empty()) l += ' ';
    l.append(k).append("=");
  }
  void text(std::string_view k, std::string_view v) {
    key(k);
    appendLogValue(l, v);
  }
  void word(std::string_view k, std::string_view v) {
    key(k);
    l.append(v);
  }
  void number(std::string_view k, size_t n) {
    key(k);
    l.append(std::to_string(n));
  }
};

// JSON: the same values, message data cut like the key=value line's (at a character boundary).
struct JsonSink {
  json::Writer& w;
  void text(std::string_view k, std::string_view v) {
    constexpr size_t kMax = 512;
    if (v.size() <= kMax) {
      w.field(k, v);
      return;
    }
    size_t n = kMax;
    while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;  // not inside a character
    w.field(k, std::string(v.substr(0, n)) + "...");
  }
  void word(std::string_view k, std::string_view v) { w.field(k, v); }
  void number(std::string_view k, size_t n) { w.field(k, static_cast<uint64_t>(n)); }
};

std::string logLine(const MessageOutcome& o) {
  std::string l;
  l.reserve(320);
  KvSink sink{l};
  logFields(o, sink);
  return l;
}

std::string logLineJson(const MessageOutcome& o) {
  std::string l;
  l.reserve(400);
  json::Writer w(l);
  w.beginObject();
  JsonSink sink{w};
  logFields(o, sink);
  w.endObject();
  return l;
}

std::string logLine(const MessageOutcome& o, bool json, const LogExtra& extra) {
  if (extra.empty()) return json ? logLineJson(o) : logLine(o);
  std::string l;
  if (json) {
    json::Writer w(l);
    w.beginObject();
    JsonSink sink{w};
    logFields(o, sink);
    for (auto& [k, v] : extra) sink.text(k, v);
    w.endObject();
  } else {
    KvSink sink{l};
    logFields(o, sink);
    for (auto& [k, v] : extra) sink.text(k, v);
  }
  return l;
}

namespace {
// A message that was not evaluated: its queue id, the client when known, tempfail and why.
std::string tempfailLogLine(std::string_view queueId, const ClientInfo* client, std::string_view reason, bool json) {
  std::string l;
  if (json) {
    json::Writer w(l);
    w.beginObject().field("qid", queueId);
    if (client) w.field("client", clientField(*client));
    w.field("action", "tempfail").field("reason", reason).endObject();
    return l;
  }
  KvSink sink{l};
  sink.text("qid", queueId);
  if (client) sink.text("client", clientField(*client));
  sink.word("action", "tempfail");
  sink.text("reason", reason);
  return l;
}
}  // namespace

std::string overflowLogLine(std::string_view queueId, bool json) {
  return tempfailLogLine(queueId, nullptr, "headers over MaxHeaderBytes", json);
}

std::string refusedLogLine(std::string_view queueId, const ClientInfo& client, bool json) {
  return tempfailLogLine(queueId, &client, "shutting down", json);
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

void countOutcome(const MessageOutcome& o, std::chrono::nanoseconds elapsed, MessageMetrics& m) noexcept {
  if (o.spfMailFrom.checked) m.spf.count(o.spfMailFrom.result);
  if (o.evaluated) {
    if (o.dkim.empty()) m.dkim.count(DkimResult::None);
    for (auto& d : o.dkim) m.dkim.count(d.result);
  }
  if (o.dmarc) m.dmarc.count(o.dmarc->result);
  if (o.evaluated || o.arc.cv != arc::Cv::None) m.arc.count(o.arc.cv);  // as our AR header says it
  if (!o.signatures.empty()) m.signaturesAdded(o.signatures.size());
  m.message(o.disposition.action, o.disposition.smtpCode, elapsed);
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
