// filter/core/outcome_json.cpp — see outcome_json.h.
#include "filter/core/outcome_json.h"

namespace am::core {
namespace {

void strings(json::Writer& w, std::string_view k, const std::vector<std::string>& v) {
  w.key(k).beginArray();
  for (auto& s : v) w.value(s);
  w.endArray();
}

void client(json::Writer& w, const ClientInfo& c) {
  w.key("client").beginObject();
  w.key("addr");
  if (c.addr) w.value(c.addr->str());
  else w.null();
  w.field("hostname", c.hostname).field("helo", c.helo).field("auth_user", c.authUser);
  w.field("tls_version", c.tlsVersion).field("tls_cipher", c.tlsCipher).field("tls_bits", c.tlsBits);
  w.field("internal", c.internal);
  w.endObject();
}

void spf(json::Writer& w, std::string_view k, const SpfOutput& s) {
  w.key(k).beginObject();
  w.field("checked", s.checked).field("result", toString(s.result));
  w.field("identity", s.identity == SpfIdentity::Helo ? "helo" : "mailfrom");
  w.field("domain", s.domain).field("sender", s.sender).field("reason", s.reason).field("explanation", s.explanation);
  w.endObject();
}

void dkim(json::Writer& w, const DkimOutput& d) {
  w.beginObject();
  w.field("result", toString(d.result)).field("domain", d.domain).field("identity", d.identity);
  w.field("selector", d.selector).field("algorithm", d.algorithm).field("b", d.bPrefix);
  w.field("key_bits", d.keyBits).field("reason", d.reason);
  w.endObject();
}

void record(json::Writer& w, const std::optional<policy::DmarcRecord>& r) {
  w.key("record");
  if (!r) {
    w.null();
    return;
  }
  w.beginObject();
  for (auto& [tag, value] : r->tags) w.field(tag, value);
  w.endObject();
}

void dmarc(json::Writer& w, const std::optional<policy::DmarcOutput>& d) {
  w.key("dmarc");
  if (!d) {
    w.null();
    return;
  }
  w.beginObject();
  w.field("result", policy::toString(d->result)).field("policy", policy::toString(d->policy));
  w.field("subdomain_policy", policy::toString(d->subdomainPolicy));
  w.field("applied_policy", policy::toString(d->appliedPolicy)).field("disposition", policy::toString(d->disposition));
  w.field("aligned_spf", d->alignedSpf).field("aligned_dkim", d->alignedDkim);
  w.field("aligned_dkim_domain", d->alignedDkimDomain).field("from_domain", d->fromDomain);
  w.field("policy_domain", d->policyDomain).field("org_domain", d->orgDomain);
  w.field("sampled_out", d->sampledOut).field("non_existent", d->nonExistent);
  w.field("dns_queries", d->dnsQueries).field("reason", d->reason);
  record(w, d->record);
  w.endObject();
}

void disposition(json::Writer& w, const policy::Disposition& d) {
  w.key("disposition").beginObject();
  w.field("action", toString(d.action)).field("override", policy::toString(d.override));
  w.field("smtp_code", d.smtpCode).field("dsn", d.dsn).field("text", d.text);
  w.field("quarantine_reason", d.quarantineReason);
  w.key("mark_header");
  if (d.markHeader) w.beginObject().field("name", d.markHeader->first).field("value", d.markHeader->second).endObject();
  else w.null();
  w.field("reason", d.logReason);
  w.endObject();
}

void arcChain(json::Writer& w, const arc::ChainResult& a) {
  w.key("arc").beginObject();
  w.field("cv", arc::toString(a.cv)).field("last_instance", a.lastInstance).field("oldest_pass", a.oldestPass);
  w.field("reason", a.reason).field("sealer", a.sealer).field("aar_authserv_id", a.aarAuthservId);
  w.key("aar_results").beginArray();
  for (auto& r : a.aarResults) w.beginObject().field("method", r.method).field("result", r.result).endObject();
  w.endArray();
  w.key("sets").beginArray();
  for (auto& d : a.sets) {
    w.beginObject().field("instance", d.instance).field("seal_domain", d.sealDomain).field("seal_selector", d.sealSelector);
    w.field("ams_domain", d.amsDomain).field("ams_selector", d.amsSelector).field("seal", d.seal).field("ams", d.ams);
    w.field("reason", d.reason).endObject();
  }
  w.endArray();
  w.endObject();
}

}  // namespace

void writeOutcomeJson(json::Writer& w, const MessageOutcome& o) {
  w.beginObject();
  client(w, o.client);
  w.field("queue_id", o.queueId).field("mail_from", o.mailFrom);
  strings(w, "rcpts", o.rcpts);
  w.key("from").beginObject();
  w.field("status", policy::toString(o.from.status)).field("domain", o.from.domain).field("address", o.from.address);
  strings(w, "domains", o.from.domains);
  w.field("error", o.from.error).endObject();
  spf(w, "spf_mailfrom", o.spfMailFrom);
  spf(w, "spf_helo", o.spfHelo);
  w.key("dkim").beginArray();
  for (auto& d : o.dkim) dkim(w, d);
  w.endArray();
  w.field("evaluated", o.evaluated);
  dmarc(w, o.dmarc);
  w.field("dmarc_mode", policy::toString(o.dmarcMode));
  arcChain(w, o.arc);
  w.field("signing", o.signing);
  strings(w, "signatures", o.signatures);
  w.key("forged_ar").beginArray();
  for (int i : o.forgedAr) w.value(i);
  w.endArray();
  w.key("upstream").beginArray();
  for (auto& u : o.upstream) w.beginObject().field("authserv_id", u.authservId).field("method", u.method).field("result", u.result).endObject();
  w.endArray();
  disposition(w, o.disposition);
  w.endObject();
}

}  // namespace am::core
