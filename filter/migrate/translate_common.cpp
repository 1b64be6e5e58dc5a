// filter/migrate/translate_common.cpp — the Builder, the process-level keys both daemons share
// (Socket, UMask, UserID, PidFile, Syslog, AuthservID, DNS) and the reasons for dropped keys.
#include <map>

#include "common/strings.h"
#include "filter/config/config.h"
#include "filter/migrate/builder.h"

namespace am::migrate {

void Builder::set(const std::string& key, const std::string& value, const std::string& comment) {
  for (auto& l : conf)
    if (l.key == key) {
      l.value = value;
      l.comment += "; " + comment;
      return;
    }
  conf.push_back({key, value, comment});
}

void Builder::note(NoteKind k, const std::string& origin, const std::string& key, const std::string& text) {
  notes.push_back({k, origin, key, text});
}

void Builder::translate(const OldEntry& e, const std::string& key, const std::string& value) {
  set(key, value, e.origin + " " + e.key + " " + e.value);
  note(NoteKind::Translated, e.origin, e.key, key + " " + value);
}

std::string Builder::defaultOrigin(const OldConfig& c) { return c.path + " (default)"; }

std::vector<std::string> datasetList(Builder& b, const OldEntry& e, const char* what) {
  Dataset d = readDataset(e.value, e.origin);
  std::vector<std::string> out;
  if (d.kind == Dataset::Kind::Unsupported) {
    b.note(NoteKind::Error, e.origin, e.key,
           std::string("the ") + d.path + ": data set cannot be read by the migration; export the " + what +
               " to a file (file:/path) and run migrate again");
    return out;
  }
  if (!d.error.empty()) {
    b.note(NoteKind::Error, e.origin, e.key, d.error);
    return out;
  }
  for (auto& item : d.items) {
    if (!item.text.empty() && item.text.front() == '!') {
      b.note(NoteKind::Differs, item.origin, e.key,
             "exclusion '" + item.text +
                 "' has no equivalent (authmilter lists have no negation): the excluded "
                 "host now belongs to the enclosing entry's list");
      continue;
    }
    out.push_back(item.text);
  }
  return out;
}

namespace {

// local:/path -> unix:/path; inet:PORT (every interface) -> inet:PORT@127.0.0.1.
void translateSocket(Builder& b, OldEntry& e, OldConfig* other) {
  std::string v = e.value;
  std::string lower = toLower(v);
  if (lower.rfind("local:", 0) == 0)
    v = "unix:" + v.substr(6);
  else if (lower.rfind("/", 0) == 0)
    v = "unix:" + v;
  else if ((lower.rfind("inet:", 0) == 0 || lower.rfind("inet6:", 0) == 0) && v.find('@') == std::string::npos) {
    v += lower.rfind("inet6:", 0) == 0 ? "@[::1]" : "@127.0.0.1";
    b.note(NoteKind::Differs, e.origin, e.key,
           e.value + " listened on every interface; authmilter refuses that and listens on " + v +
               " (name an address to listen elsewhere)");
  }
  std::string why;
  if (!config::validSocketSpec(v, &why)) {
    b.note(NoteKind::Error, e.origin, e.key, "cannot translate '" + e.value + "': " + why);
    return;
  }
  b.translate(e, "Socket", v);
  std::string lowerV = toLower(v);
  if (lowerV.rfind("unix:", 0) == 0 &&
      (lowerV.find("opendkim") != std::string::npos || lowerV.find("opendmarc") != std::string::npos))
    b.note(
        NoteKind::Differs, e.origin, e.key,
        v + " lies in the old daemon's directory (made by its package's unit or tmpfiles): once that package is "
            "gone, move the socket to authmilter's own, e.g. unix:/run/authmilter/authmilter.sock, and tell the MTA");
  if (other && other->given())
    if (OldEntry* o = other->find("Socket"))
      b.note(NoteKind::Dropped, o->origin, o->key,
             o->value +
                 ": one milter replaces two; in the MTA (Postfix smtpd_milters / non_smtpd_milters, "
                 "Sendmail INPUT_MAIL_FILTER) list only " +
                 v +
                 " (as the MTA sees it, e.g. inside Postfix's chroot) and "
                 "remove this socket");
}

void translateUmask(Builder& b, OldConfig& c) {
  OldEntry* e = c.find("UMask");
  if (!e) return;
  std::string v = e->value;
  if (v.size() > 1 && v.front() == '0')
    v = v.substr(v.find_first_not_of('0') == std::string::npos ? v.size() - 1 : v.find_first_not_of('0'));
  if (v.size() < 3) v = std::string(3 - v.size(), '0') + v;
  b.translate(*e, "UMask", v);
}

}  // namespace

void translateProcess(Builder& b) {
  OldConfig& primary = b.dkim.given() ? b.dkim : b.dmarc;  // the socket the MTA already names first
  OldConfig* other = b.dkim.given() && b.dmarc.given() ? &b.dmarc : nullptr;
  if (OldEntry* s = primary.find("Socket"))
    translateSocket(b, *s, other);
  else if (other && other->find("Socket"))
    translateSocket(b, *other->find("Socket"), nullptr);
  else
    b.note(NoteKind::Differs, Builder::defaultOrigin(primary), "Socket",
           "no Socket set: authmilter's default inet:8894@127.0.0.1 is used (set Socket to what the MTA names)");
  translateUmask(b, primary);
  if (other)
    if (OldEntry* u = other->find("UMask"))
      b.note(NoteKind::Dropped, u->origin, u->key, "the UMask of the daemon whose socket was kept is used");

  OldEntry* uid = b.dkim.given() ? b.dkim.find("UserID") : nullptr;
  OldEntry* uidDmarc = b.dmarc.given() ? b.dmarc.find("UserID") : nullptr;
  if (uid || uidDmarc) {
    OldEntry& u = uid ? *uid : *uidDmarc;
    b.translate(u, "UserID", u.value);
    b.note(NoteKind::Differs, u.origin, u.key,
           "authmilter reads its signing keys before it switches to " + u.value +
               "; keys must be mode 0600 or 0400 (group/other access is refused)");
    if (uid && uidDmarc && uidDmarc->value != uid->value)
      b.note(NoteKind::Dropped, uidDmarc->origin, uidDmarc->key,
             uidDmarc->value + ": one process now; it runs as " + uid->value + " (the owner of the signing keys)");
  }
  for (OldConfig* c : {&b.dkim, &b.dmarc}) {
    if (!c->given()) continue;
    if (OldEntry* p = c->find("PidFile"))
      b.note(NoteKind::Dropped, p->origin, p->key,
             p->value + " is the old daemon's pid file; set PidFile if your init system needs one for authmilter");
  }

  // Logging: syslog if either daemon logged to syslog.
  bool syslog = false;
  OldEntry* slog = nullptr;
  for (OldConfig* c : {&b.dkim, &b.dmarc})
    if (c->given())
      if (OldEntry* s = c->find("Syslog")) {
        if (oldBoolean(s->value).value_or(false))
          syslog = true, slog = s;
        else if (!slog)
          slog = s;
      }
  if (!slog)
    b.set("Syslog", "no", "neither daemon set Syslog (their default: no syslog)");
  else
    b.translate(*slog, "Syslog", syslog ? "yes" : "no");
  for (OldConfig* c : {&b.dkim, &b.dmarc})
    if (OldEntry* s = c->given() ? c->find("Syslog") : nullptr; s && s != slog)
      b.note(NoteKind::Translated, s->origin, s->key,
             std::string("(merged: one process logs; Syslog ") + (syslog ? "yes" : "no") + ")");
  for (OldConfig* c : {&b.dkim, &b.dmarc})
    if (c->given())
      if (OldEntry* f = c->find("SyslogFacility")) {
        static const std::set<std::string> ok = {"mail",   "daemon", "local0", "local1", "local2",
                                                 "local3", "local4", "local5", "local6", "local7"};
        if (ok.count(toLower(f->value)))
          b.translate(*f, "SyslogFacility", toLower(f->value));
        else
          b.note(NoteKind::Dropped, f->origin, f->key,
                 "facility '" + f->value + "' is not offered (mail, daemon, local0..7)");
      }
}

// Keys no step consumed: dropped, with the reason where one is known.
void dropRemaining(Builder& b) {
  static const std::map<std::string, std::string> reasons = {
      {"autorestart", "process supervision is systemd's job (Restart= in the shipped unit)"},
      {"autorestartcount", "process supervision is systemd's job"},
      {"autorestartrate", "process supervision is systemd's job"},
      {"background", "authmilter forks unless -f is given; the systemd unit runs it with -f"},
      {"basedirectory", "no working directory is needed; give absolute paths"},
      {"changerootdirectory", "no chroot; the systemd unit confines the process instead"},
      {"enablecoredumps", "core dumps are the system's setting (ulimit, systemd LimitCORE=)"},
      {"miltdebug", "no libmilter debug level"},
      {"milterdebug", "no libmilter debug level (LogDebug yes logs each message's details)"},
      {"softwareheader", "authmilter adds no software header"},
      {"syslogsuccess", "authmilter logs one line per message always"},
      {"logwhy", "authmilter's log line gives the reason of each decision; LogDebug yes gives more"},
      {"logresults", "authmilter's log line carries every result"},
      {"syslogname", "authmilter logs as 'authmilter'"},
      {"trustanchorfile", "authmilter does not validate DNSSEC itself; use a validating local resolver in Nameservers"},
      {"resolverconfiguration", "authmilter has its own resolver: Nameservers, DNSTimeout, DNSRetries"},
      {"alwaysaddarheader", "authmilter always adds its Authentication-Results header"},
      {"authservidwithjobid", "authserv-id is AuthservID alone; the queue id is in the log line"},
      {"removeoldsignatures", "existing DKIM signatures are always kept"},
      {"querycache", "authmilter always caches DNS answers (DNSCacheSize)"},
      {"requiresafekeys", "authmilter always refuses key files that group or others can read"},
      {"recordallmessages",
       "authmilter records every DMARC-evaluated message whose From domain publishes a record (without one "
       "there is nobody to report to)"},
      {"baselinereports", "no baseline reports: aggregate reports cover what was evaluated"},
      {"copyfailuresto", "no copy of failing mail is sent (quarantine holds it with HoldQuarantinedMessages)"},
      {"ignoremailto", "no per-sender exclusion from the report history: every evaluated message is recorded"},
      {"noreportslist", "no exclusion list: every domain with a rua or ruf destination gets its reports"},
      {"rejectstring", "authmilter's reply is fixed: 550 5.7.1 rejected by DMARC policy for DOMAIN (p=...)"},
      {"domainwhitelist", "list trusted ARC sealers with the policy rule arc-trust, or From domains with allow-from"},
      {"domainwhitelistfile", "list trusted ARC sealers with the policy rule arc-trust"},
      {"domainwhitelistsize", "list trusted ARC sealers with the policy rule arc-trust"},
      {"externalignorelist",
       "only silenced OpenDKIM's 'external host tried to send mail as' log line, which "
       "authmilter does not write"},
      {"removearall",
       "authmilter removes the Authentication-Results headers that claim its own AuthservID, "
       "and keeps the rest"},
      {"removearfrom",
       "authmilter removes the Authentication-Results headers that claim its own AuthservID, "
       "and keeps the rest"},
      {"keepauthresults", "headers claiming our AuthservID are always removed (they are forgeries)"},
      {"macrolist", "who is signed: InternalHosts and SMTP-authenticated clients ({auth_authen})"},
      {"mta", "who is signed: InternalHosts and SMTP-authenticated clients"},
      {"statistics", "no OpenDKIM statistics; the log line per message carries every result"},
      {"diagnostics", "no z= diagnostic copies"},
      {"diagnosticdirectory", "no diagnostic files"},
      {"temporarydirectory", "bodies are streamed, never written to disk"},
      {"keeptemporaryfiles", "bodies are streamed, never written to disk"},
      {"signaturealgorithm", "the algorithm comes from each key (rsa-sha256 or ed25519-sha256)"},
      {"dnsconnect", "DNS over TCP is used when an answer is truncated"},
      {"allowsha1only", "rsa-sha1 never passes unless DKIMAlgorithms lists it (RFC 8301)"},
      {"maximumsignedbytes", "authmilter signs the whole body (no l= tag)"},
      {"mustbesigned", "no per-header signing requirement; DMARC decides"},
      {"omitheaders", "the signed headers are SignHeaders (and OversignHeaders)"},
      {"dontsignmailto", "who is signed depends on the client (InternalHosts, SMTP AUTH), not on recipients"},
      {"exemptdomains", "who is signed depends on the client and the signing table"},
      {"trustsignaturesfrom", "every signature up to MaximumSignaturesToVerify is verified"},
      {"senderheaders", "the signing key is chosen by the From header or the envelope sender (SigningIdentity)"},
      {"quarantine", "authmilter quarantines for DMARC only (HoldQuarantinedMessages)"},
      {"redirectfailuresto", "failing mail is not redirected"},
      {"sendreports", "DKIM failure reports (RFC 6651) are not sent"},
      {"requestreports", "DKIM failure reports (RFC 6651) are not requested"},
      {"reportaddress", "DKIM failure reports (RFC 6651) are not sent"},
      {"reportbccaddress", "DKIM failure reports (RFC 6651) are not sent"},
      {"fixcrlf", "bodies are canonicalized as received"},
      {"bodylengthdb", "no l= signing; l= in received signatures follows BodyLengthPolicy"},
      {"userid", "one process; see the UserID line that was kept"},
      {"socket", "one milter socket; see the Socket line that was kept"},
      {"umask", "the UMask of the daemon whose socket was kept is used"},
  };
  for (OldConfig* c : {&b.dkim, &b.dmarc}) {
    for (size_t i = 0; i < c->entries.size(); ++i) {
      OldEntry& e = c->entries[i];
      if (e.used) continue;
      e.used = true;
      const OldEntry* later = nullptr;
      for (size_t j = i + 1; j < c->entries.size(); ++j)
        if (iequals(c->entries[j].key, e.key)) later = &c->entries[j];
      if (later) {
        b.note(NoteKind::Dropped, e.origin, e.key,
               "repeated: the last one, " + later->origin + ", counts (as in the old daemon)");
        continue;
      }
      std::string k = toLower(e.key);
      auto it = reasons.find(k);
      std::string why = it != reasons.end() ? it->second
                        : k.rfind("ldap", 0) == 0 || k.rfind("vbr-", 0) == 0 || k.find("script") != std::string::npos
                            ? "that OpenDKIM feature (LDAP, VBR, Lua) has no equivalent"
                            : "no authmilter equivalent (see " +
                                  std::string(c == &b.dkim ? "opendkim.conf(5)" : "opendmarc.conf(5)") +
                                  " for what it did)";
      b.note(NoteKind::Dropped, e.origin, e.key, why);
    }
  }
}

}  // namespace am::migrate
