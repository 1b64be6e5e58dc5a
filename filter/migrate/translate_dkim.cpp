// filter/migrate/translate_dkim.cpp — the OpenDKIM keys: Mode, internal hosts, signing (KeyTable +
// SigningTable as they are, or the single-key Domain/Selector/KeyFile as policy-file lines),
// signing options, verification options, DNS and the On-* actions.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "filter/migrate/builder.h"
#include "policy/policy_file.h"
#include "policy/signing_table.h"

namespace am::migrate {
namespace {

std::string stripFilePrefix(const std::string& v) { return v.rfind("file:", 0) == 0 ? v.substr(5) : v; }

// authmilter loads keys at start and refuses files that group or others may read (OpenDKIM's Debian
// set-up often leaves them 0640): say so now, with the fix, rather than at the first start.
void checkKeyFile(Builder& b, const std::string& path, const std::string& origin) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    b.note(NoteKind::Error, origin, "key file", path + ": " + std::strerror(errno));
  else if (st.st_mode & 077)
    b.note(NoteKind::Differs, origin, "key file",
           path + " is readable by group or others; authmilter refuses such keys: chmod 600 " + path);
}

void translateTables(Builder& b, OldEntry& kt, OldEntry* st) {
  if (!st) {
    b.note(NoteKind::Dropped, kt.origin, kt.key,
           "a KeyTable without a SigningTable selects no key: nothing was signed");
    return;
  }
  for (OldEntry* e : {&kt, st}) {
    Dataset d = readDataset(e->value, e->origin);
    if (d.kind == Dataset::Kind::Unsupported || d.kind == Dataset::Kind::List) {
      b.note(NoteKind::Error, e->origin, e->key,
             "'" + e->value +
                 "': only file: and refile: tables can be read; export the table to a file and run migrate again");
      return;
    }
    if (!d.error.empty()) return b.note(NoteKind::Error, e->origin, e->key, d.error);
  }
  std::string ktPath = stripFilePrefix(kt.value), stSpec = stripFilePrefix(st->value);
  policy::SigningTable t;
  std::vector<std::string> errors;
  policy::loadOpenDkimTables(ktPath, stSpec, t, errors);
  for (auto& err : errors) b.note(NoteKind::Error, kt.origin, "KeyTable/SigningTable", err);
  if (!errors.empty()) return;
  b.translate(kt, "KeyTable", ktPath);
  b.translate(*st, "SigningTable", stSpec);
  for (auto& k : t.keys) {
    b.note(NoteKind::Translated, k.origin, "KeyTable",
           "key " + k.name + ": d=" + k.domain + " s=" + k.selector + " " + k.keyPath);
    checkKeyFile(b, k.keyPath, k.origin);
  }
  b.note(NoteKind::Translated, st->origin, "SigningTable",
         std::to_string(t.rules.size()) + " signing rules, read by authmilter in OpenDKIM's order" +
             (stSpec.rfind("refile:", 0) == 0 ? " (refile: wildcards, file order)" : " (user@host, host, .parent, *)"));
}

void translateSingleKey(Builder& b, OldEntry* dom, OldEntry* sel, OldEntry* kf) {
  if (!dom || !sel || !kf) {
    for (OldEntry* e : {dom, sel, kf})
      if (e)
        b.note(NoteKind::Dropped, e->origin, e->key, "single-key signing needs Domain, Selector and KeyFile together");
    return;
  }
  OldEntry* subs = b.dkim.find("SubDomains");
  bool subdomains = subs && oldBoolean(subs->value).value_or(false);
  auto domains = datasetList(b, *dom, "Domain list");
  checkKeyFile(b, kf->value, kf->origin);
  int n = 0;
  for (auto& d : domains) {
    std::string name = "migrated" + std::to_string(++n);
    b.policy.push_back("# " + dom->origin + " Domain " + d + ", " + sel->origin + " Selector, " + kf->origin +
                       " KeyFile");
    b.policy.push_back("key " + name + " " + toLower(d) + " " + sel->value + " " + kf->value);
    b.policy.push_back("sign " + toLower(d) + " " + name);
    if (subdomains) b.policy.push_back("sign *." + toLower(d) + " " + name);
    b.note(NoteKind::Translated, dom->origin, "Domain/Selector/KeyFile",
           "policy: key " + name + " " + toLower(d) + " " + sel->value + " " + kf->value + "; sign " + toLower(d) +
               (subdomains ? " and *." + toLower(d) : ""));
  }
  if (subs)
    b.note(NoteKind::Translated, subs->origin, subs->key, subdomains ? "sign *.DOMAIN lines" : "(no subdomain lines)");
}

void translateSigning(Builder& b, bool signing) {
  OldEntry* kt = b.dkim.find("KeyTable");
  OldEntry* st = b.dkim.find("SigningTable");
  OldEntry* dom = b.dkim.find("Domain");
  OldEntry* sel = b.dkim.find("Selector");
  OldEntry* kf = b.dkim.find("KeyFile");
  if (!signing) {
    for (const char* k :
         {"SubDomains", "Canonicalization", "SignHeaders", "OversignHeaders", "MultipleSignatures", "SignatureTTL"})
      if (OldEntry* e = b.dkim.find(k))
        b.note(NoteKind::Dropped, e->origin, e->key, "Mode has no s: a signing option, unused");
    for (OldEntry* e : {kt, st, dom, sel, kf})
      if (e) b.note(NoteKind::Dropped, e->origin, e->key, "Mode has no s: OpenDKIM signed nothing");
    return;
  }
  if (kt) {
    translateTables(b, *kt, st);
    for (OldEntry* e : {dom, sel, kf})
      if (e) b.note(NoteKind::Dropped, e->origin, e->key, "OpenDKIM ignores it when a KeyTable is set");
  } else {
    if (st) b.note(NoteKind::Dropped, st->origin, st->key, "a SigningTable without a KeyTable signed nothing");
    translateSingleKey(b, dom, sel, kf);
  }
  OldEntry* c = b.dkim.find("Canonicalization");
  if (c)
    b.translate(*c, "Canonicalization", toLower(c->value));
  else
    b.set("Canonicalization", "simple/simple", "OpenDKIM's default (authmilter's is relaxed/relaxed)");
  for (const char* key : {"SignHeaders", "OversignHeaders"})
    if (OldEntry* e = b.dkim.find(key)) {
      auto list = datasetList(b, *e, key);
      std::transform(list.begin(), list.end(), list.begin(), [](const std::string& s) { return toLower(s); });
      if (!list.empty()) b.translate(*e, key, joined(list));
    }
  if (!b.dkim.find("OversignHeaders"))
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dkim), "OversignHeaders",
           "OpenDKIM oversigned nothing by default; authmilter oversigns From (OversignHeaders from), so a From "
           "header added after signing breaks the signature");
  if (OldEntry* m = b.dkim.find("MultipleSignatures"))
    b.translate(*m, "MultipleSignatures", oldBoolean(m->value).value_or(false) ? "yes" : "no");
  if (OldEntry* t = b.dkim.find("SignatureTTL")) b.translate(*t, "SignatureTTL", t->value);
}

void translateHosts(Builder& b) {
  OldEntry* e = b.dkim.find("InternalHosts");
  std::vector<std::string> hosts = e ? datasetList(b, *e, "InternalHosts list") : std::vector<std::string>{"127.0.0.1"};
  std::vector<std::string> good;
  for (auto& h : hosts) {
    if (policy::parseHostPattern(h))
      good.push_back(toLower(h));
    else
      b.note(NoteKind::Error, e ? e->origin : "", "InternalHosts",
             "'" + h + "' is not an address, network or host name");
  }
  b.internalHosts = good;
  if (good.empty()) return;
  if (e)
    b.translate(*e, "InternalHosts", joined(good));
  else
    b.set("InternalHosts", joined(good), "OpenDKIM's default (authmilter's adds ::1)");
  if (OldEntry* p = b.dkim.find("PeerList")) {
    for (auto& h : datasetList(b, *p, "PeerList")) {
      if (!policy::parseHostPattern(h)) {
        b.note(NoteKind::Error, p->origin, p->key, "'" + h + "' is not an address, network or host name");
        continue;
      }
      b.policy.push_back("allow-client " + h + "  # " + p->origin + " PeerList");
    }
    b.note(NoteKind::Differs, p->origin, p->key,
           "policy allow-client: OpenDKIM passed these clients through untouched; authmilter still verifies and "
           "reports their mail (never acts on DMARC for them)");
  }
}

void translateVerify(Builder& b, bool verifying, OldEntry* mode) {
  if (!verifying)
    b.note(NoteKind::Differs, mode->origin, mode->key, "authmilter always verifies DKIM on mail it does not sign");
  OldEntry* m = b.dkim.find("MinimumKeyBits");
  if (m) {
    unsigned long n = std::strtoul(m->value.c_str(), nullptr, 10);
    if (n < 1024) b.note(NoteKind::Differs, m->origin, m->key, "below 1024 is not allowed (RFC 8301): 1024");
    b.translate(*m, "MinimumKeyBits", std::to_string(std::clamp(n, 1024ul, 16384ul)));
  }
  OldEntry* s = b.dkim.find("MaximumSignaturesToVerify");
  if (s)
    b.translate(*s, "MaximumSignaturesToVerify",
                std::to_string(std::clamp(std::strtoul(s->value.c_str(), nullptr, 10), 1ul, 50ul)));
  else
    b.set("MaximumSignaturesToVerify", "3", "OpenDKIM's default (authmilter's is 5)");
  for (const char* key : {"On-Default", "On-BadSignature", "On-KeyNotFound", "On-NoSignature", "On-Security",
                          "On-SignatureError", "On-DNSError", "On-InternalError"}) {
    OldEntry* e = b.dkim.find(key);
    std::string v = e ? toLower(e->value) : "";
    if (e && std::string(key) == "On-InternalError" && (v == "accept" || v == "tempfail")) {
      b.translate(*e, "OnInternalError", v);
    } else if (e && v == "accept") {
      b.note(NoteKind::Translated, e->origin, e->key, "accept: authmilter acts on DKIM results only through DMARC");
    } else if (e) {
      b.note(NoteKind::Differs, e->origin, e->key,
             v + " is not applied: authmilter acts on DKIM results only through DMARC and the policy file");
    }
  }
  if (OldEntry* c = b.dkim.find("ClockDrift"))
    b.translate(*c, "ClockSkew", std::to_string(std::min(std::strtoul(c->value.c_str(), nullptr, 10), 86400ul)));
  if (!b.dkim.find("On-DNSError"))
    b.note(NoteKind::Differs, Builder::defaultOrigin(b.dkim), "On-DNSError",
           "OpenDKIM temp-failed a message when a signature's key lookup failed temporarily (On-DNSError tempfail); "
           "authmilter records dkim=temperror and DMARC decides (a DMARC pass by SPF accepts)");
  if (OldEntry* r = b.dkim.find("RequiredHeaders"))
    b.note(NoteKind::Differs, r->origin, r->key,
           "authmilter checks the From header only (policy `from` rules reject "
           "none or several From headers by default)");
}

}  // namespace

void translateDkim(Builder& b) {
  if (!b.dkim.given()) return;
  OldEntry* mode = b.dkim.find("Mode");
  std::string m = mode ? toLower(mode->value) : "sv";
  bool signing = m.find('s') != std::string::npos, verifying = m.find('v') != std::string::npos;
  if (mode && signing && verifying)
    b.note(NoteKind::Translated, mode->origin, mode->key,
           "(authmilter signs for InternalHosts and authenticated clients, verifies the rest)");
  else if (mode && !signing)
    b.note(NoteKind::Translated, mode->origin, mode->key, "(no signing keys are written)");
  translateHosts(b);
  translateSigning(b, signing);
  translateVerify(b, verifying, mode);
  if (OldEntry* ns = b.dkim.find("Nameservers")) b.translate(*ns, "Nameservers", joined(split(ns->value, ", \t")));
}

}  // namespace am::migrate
