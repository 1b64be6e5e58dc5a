// filter/migrate/translate_dmarc.cpp — the OpenDMARC keys (and the authserv-id both daemons
// share): disposition switches with OpenDMARC's defaults written out, IgnoreHosts against
// InternalHosts, trusted authserv-ids, SPF, the Public Suffix List, From-header rules.
#include <algorithm>

#include "common/strings.h"
#include "filter/migrate/builder.h"
#include "policy/policy_file.h"

namespace am::migrate {
namespace {

std::string yesNo(bool b) { return b ? "yes" : "no"; }

// A boolean with the old daemon's default written out explicitly.
bool explicitBool(Builder& b, OldConfig& c, const char* key, bool oldDefault, const char* newKey) {
  OldEntry* e = c.find(key);
  bool v = e ? oldBoolean(e->value).value_or(oldDefault) : oldDefault;
  if (e)
    b.translate(*e, newKey, yesNo(v));
  else
    b.set(newKey, yesNo(v), "OpenDMARC's default for " + std::string(key));
  return v;
}

void translateAuthservIds(Builder& b) {
  OldEntry* dm = b.dmarc.given() ? b.dmarc.find("AuthservID") : nullptr;
  OldEntry* dk = b.dkim.given() ? b.dkim.find("AuthservID") : nullptr;
  OldEntry* use = dm ? dm : dk;
  std::string id;
  if (use && iequals(use->value, "HOSTNAME")) {
    b.note(NoteKind::Translated, use->origin, use->key, "(authmilter's default authserv-id is this host's name)");
  } else if (use) {
    id = toLower(use->value);
    b.translate(*use, "AuthservID", use->value);
  } else {
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc.given() ? b.dmarc : b.dkim), "AuthservID",
           "the old daemons used the MTA's name ({j} macro); authmilter uses this host's name: set AuthservID if they "
           "differ");
  }
  std::string dkimId = dk ? toLower(dk->value) : "";
  if (dm && dk && iequals(dm->value, dk->value))
    b.note(NoteKind::Translated, dk->origin, dk->key, "(the same as OpenDMARC's)");
  if (dm && dk && !iequals(dm->value, dk->value))
    b.note(NoteKind::Dropped, dk->origin, dk->key,
           dk->value + ": one Authentication-Results header now, under " + dm->value +
               "; downstream filters that "
               "trusted " +
               dk->value + " must trust " + dm->value);
  if (!b.dmarc.given()) return;
  OldEntry* t = b.dmarc.find("TrustedAuthservIDs");
  std::vector<std::string> kept;
  if (t)
    for (auto& s : split(t->value, ", \t"))
      if (!iequals(s, "HOSTNAME") && toLower(s) != id && toLower(s) != dkimId) kept.push_back(toLower(s));
  if (!kept.empty()) b.translate(*t, "TrustedAuthservIDs", joined(kept));
  b.note(NoteKind::Differs, t ? t->origin : Builder::defaultOrigin(b.dmarc), "TrustedAuthservIDs",
         "OpenDMARC took DKIM (and SPF) results from these authserv-ids' Authentication-Results headers; authmilter "
         "verifies DKIM and SPF itself. Headers of other ids listed in TrustedAuthservIDs are kept and logged, "
         "never used for DMARC");
  if (!b.dkim.given())
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc), "(OpenDKIM)",
           "no opendkim.conf given: authmilter verifies DKIM itself where OpenDMARC read another filter's results");
}

void translateSpf(Builder& b) {
  bool bad = false;
  auto self = b.dmarc.boolean("SPFSelfValidate", &bad);
  auto ignore = b.dmarc.boolean("SPFIgnoreResults", &bad);
  std::string origin =
      b.dmarc.find("SPFSelfValidate") ? b.dmarc.find("SPFSelfValidate")->origin : Builder::defaultOrigin(b.dmarc);
  if (OldEntry* i = b.dmarc.find("SPFIgnoreResults"); i && i->origin != origin)
    b.note(NoteKind::Translated, i->origin, i->key, "(see SPFSelfValidate: authmilter ignores SPF results in headers)");
  if (self.value_or(false) && ignore.value_or(false))
    b.note(NoteKind::Translated, origin, "SPFSelfValidate/SPFIgnoreResults", "(authmilter always checks SPF itself)");
  else
    b.note(NoteKind::Differs, origin, "SPFSelfValidate/SPFIgnoreResults",
           "OpenDMARC used SPF results from Authentication-Results/Received-SPF headers" +
               std::string(self.value_or(false) ? " when present" : " only") +
               "; authmilter always evaluates SPF itself (RFC 7208, MAIL FROM and HELO) and ignores such headers");
}

void translateIgnoreHosts(Builder& b) {
  OldEntry* e = b.dmarc.find("IgnoreHosts");
  std::vector<std::string> ignored = e ? datasetList(b, *e, "IgnoreHosts list") : std::vector<std::string>{"127.0.0.1"};
  for (auto& h : ignored) h = toLower(h);
  if (!b.dkim.given()) {  // no OpenDKIM: the ignored hosts become the internal hosts (nothing is signed)
    b.internalHosts = ignored;
    if (!ignored.empty())
      b.set("InternalHosts", joined(ignored), e ? e->origin + " IgnoreHosts" : "OpenDMARC's default IgnoreHosts");
  }
  bool allIgnored = std::all_of(b.internalHosts.begin(), b.internalHosts.end(), [&](const std::string& h) {
    return std::find(ignored.begin(), ignored.end(), h) != ignored.end();
  });
  std::string origin = e ? e->origin : Builder::defaultOrigin(b.dmarc);
  b.set("IgnoreInternalHosts", yesNo(allIgnored),
        origin + " IgnoreHosts covers " + (allIgnored ? "every" : "not every") + " internal host");
  if (!allIgnored)
    b.note(NoteKind::Differs, origin, "IgnoreHosts",
           "some InternalHosts are not in IgnoreHosts, so IgnoreInternalHosts no: mail from every internal host "
           "is now SPF-checked and DMARC-enforced (OpenDMARC skipped those in IgnoreHosts)");
  else
    b.note(NoteKind::Translated, origin, "IgnoreHosts",
           "IgnoreInternalHosts yes (every internal host was ignored by OpenDMARC)");
  for (auto& h : ignored) {
    bool covered = allIgnored && std::find(b.internalHosts.begin(), b.internalHosts.end(), h) != b.internalHosts.end();
    if (covered) continue;
    if (!policy::parseHostPattern(h)) {
      b.note(NoteKind::Error, origin, "IgnoreHosts", "'" + h + "' is not an address, network or host name");
      continue;
    }
    b.policy.push_back("allow-client " + h + "  # " + origin + " IgnoreHosts");
    b.note(NoteKind::Differs, origin, "IgnoreHosts",
           h + ": policy allow-client; OpenDMARC wrote nothing for this client, authmilter evaluates and reports "
               "its mail but never acts on it");
  }
}

void translateDisposition(Builder& b) {
  bool reject = explicitBool(b, b.dmarc, "RejectFailures", false, "RejectFailures");
  bool hold = explicitBool(b, b.dmarc, "HoldQuarantinedMessages", false, "HoldQuarantinedMessages");
  bool ignoreAuth = explicitBool(b, b.dmarc, "IgnoreAuthenticatedClients", false, "IgnoreAuthenticatedClients");
  bool signing =
      std::any_of(b.conf.begin(), b.conf.end(), [](const Builder::ConfLine& l) { return l.key == "KeyTable"; }) ||
      std::any_of(b.policy.begin(), b.policy.end(), [](const std::string& l) { return l.rfind("key ", 0) == 0; });
  if (!ignoreAuth && signing)
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc), "IgnoreAuthenticatedClients",
           "no: OpenDMARC DMARC-evaluated SMTP-authenticated submissions and saw no DKIM result for them (OpenDKIM "
           "signed rather than verified), so one from an address outside the domain's SPF failed" +
               std::string(reject ? " and was rejected" : "") +
               "; authmilter signs such mail and does not DMARC-evaluate it (EvaluateSignedMail no)");
  if (reject && !hold)
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc), "HoldQuarantinedMessages",
           "no: OpenDMARC delivered p=quarantine failures as they were; authmilter delivers them too, with a "
           "marking header for the mailbox filter");
  b.set("TempFailOnDNSError", "yes", "OpenDMARC with RejectFailures temp-fails mail it cannot evaluate");
  OldEntry* psl = b.dmarc.find("PublicSuffixList");
  b.set("DMARCMode", "rfc7489", "OpenDMARC 1.4 implements RFC 7489 (Public Suffix List, pct)");
  b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc), "(DMARC version)",
         "DMARCMode rfc7489 as OpenDMARC 1.4; authmilter's default, rfc9989 (DMARCbis: DNS tree walk, np=, psd=), "
         "is one line away when you are ready");
  if (psl)
    b.translate(*psl, "PublicSuffixList", psl->value);
  else
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc), "PublicSuffixList",
           "OpenDMARC had no suffix list (organizational domain guessed); authmilter reads "
           "/usr/share/publicsuffix/public_suffix_list.dat");
  b.policy.push_back("pct honor  # OpenDMARC applies pct= sampling");
  bool bad = false;
  auto required = b.dmarc.boolean("RequiredHeaders", &bad);
  auto multi = b.dmarc.boolean("RejectMultiValueFrom", &bad);
  if (required.value_or(false)) {
    b.policy.push_back("from any reject  # " + b.dmarc.find("RequiredHeaders")->origin + " RequiredHeaders");
    b.note(NoteKind::Translated, b.dmarc.find("RequiredHeaders")->origin, "RequiredHeaders", "policy: from any reject");
  } else {
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dmarc), "RequiredHeaders",
           "OpenDMARC passed mail with no From, several From headers or an unusable From; authmilter rejects it "
           "(policy `from` rules; `from any accept` restores the old behaviour, at the cost of a DMARC bypass)");
  }
  if (multi && required.value_or(false))
    b.note(NoteKind::Translated, b.dmarc.find("RejectMultiValueFrom")->origin, "RejectMultiValueFrom",
           "(covered by from any reject)");
  if (multi && !required.value_or(false)) {
    OldEntry* m = b.dmarc.find("RejectMultiValueFrom");
    if (*multi)
      b.note(NoteKind::Translated, m->origin, m->key, "(authmilter rejects several From addresses by default)");
    else
      b.note(NoteKind::Differs, m->origin, m->key,
             "authmilter rejects a From header with several addresses "
             "(`from multiple-addresses accept` restores the old behaviour)");
  }
  if (OldEntry* f = b.dmarc.find("IgnoreMailFrom")) {
    for (auto& d : split(f->value, ", \t"))
      b.policy.push_back("allow-from " + toLower(d) + "  # " + f->origin + " IgnoreMailFrom");
    b.note(NoteKind::Translated, f->origin, f->key, "policy allow-from (evaluated and reported, never acted on)");
  }
  if (OldEntry* t = b.dmarc.find("DNSTimeout")) {
    if (b.dkim.given() && b.dkim.find("DNSTimeout"))
      b.note(NoteKind::Dropped, t->origin, t->key, "one resolver: OpenDKIM's DNSTimeout is used");
  }
}

}  // namespace

void translateDns(Builder& b) {
  OldEntry* t = b.dkim.given() ? b.dkim.find("DNSTimeout") : nullptr;
  if (!t && b.dmarc.given()) t = b.dmarc.find("DNSTimeout");
  if (!t) return;
  unsigned long n = std::strtoul(t->value.c_str(), nullptr, 10);
  if (n == 0 || n > 60)
    b.note(NoteKind::Differs, t->origin, t->key,
           t->value + " seconds is outside 1..60: 60 (a milter must answer the MTA)");
  b.translate(*t, "DNSTimeout", std::to_string(std::clamp(n == 0 ? 60ul : n, 1ul, 60ul)));
}

// Reports. OpenDMARC's milter wrote a history file that opendmarc-import and opendmarc-reports turned
// into aggregate reports; authmilter records into its own store and `authmilter report` sends them.
// Failure reports: the same keys, the same meaning.
void translateReports(Builder& b) {
  if (OldEntry* h = b.dmarc.find("HistoryFile")) {
    b.translate(*h, "ReportStore", "sqlite:/var/lib/authmilter/reports.db");
    b.note(NoteKind::Differs, h->origin, h->key,
           "aggregate reports: authmilter records into its report store (SQLite here; PostgreSQL for several MX "
           "hosts) instead of a history file, and `authmilter report` replaces opendmarc-import and "
           "opendmarc-reports: enable authmilter-report.timer");
  }
  if (OldEntry* f = b.dmarc.find("FailureReports")) {
    bool on = oldBoolean(f->value).value_or(false);
    b.translate(*f, "FailureReports", yesNo(on));
    if (on) {
      OldEntry* cmd = b.dmarc.find("ReportCommand");
      b.note(NoteKind::Differs, f->origin, f->key,
             cmd ? "reports go through ReportCommand as before; under the shipped systemd unit "
                   "(NoNewPrivileges=yes) Postfix's sendmail cannot run its setgid postdrop: see the README"
                 : "OpenDMARC ran /usr/sbin/sendmail -t; authmilter hands reports to ReportSMTPRelay "
                   "(default 127.0.0.1:25), which must relay for this host");
    }
  }
  for (const char* key : {"FailureReportsSentBy", "FailureReportsBcc"})
    if (OldEntry* e = b.dmarc.find(key)) b.translate(*e, key, e->value);
  if (OldEntry* e = b.dmarc.find("FailureReportsOnNone"))
    b.translate(*e, "FailureReportsOnNone", yesNo(oldBoolean(e->value).value_or(false)));
  if (OldEntry* e = b.dmarc.find("ReportCommand")) b.translate(*e, "ReportCommand", e->value);
}

void translateDmarc(Builder& b) {
  translateAuthservIds(b);
  translateDns(b);
  if (!b.dmarc.given()) {
    b.set("RejectFailures", "no", "no OpenDMARC: DMARC was not enforced");
    b.note(
        NoteKind::Differs, "(no opendmarc.conf)", "(OpenDMARC)",
        "DMARC and SPF are now evaluated and reported in Authentication-Results, never enforced (RejectFailures no)");
    return;
  }
  translateSpf(b);
  translateIgnoreHosts(b);
  translateDisposition(b);
  translateReports(b);
}

}  // namespace am::migrate
