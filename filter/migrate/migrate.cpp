// filter/migrate/migrate.cpp — see migrate.h. Runs the translation steps in order, renders the
// two files (each line with a comment naming where it came from) and checks them with
// authmilter's own configuration and policy parsers.
#include "filter/migrate/migrate.h"

#include <map>

#include "common/strings.h"
#include "filter/config/config.h"
#include "filter/migrate/builder.h"
#include "policy/policy_file.h"

namespace am::migrate {
namespace {

std::string renderConf(const Builder& b, const Inputs& in) {
  std::string s =
      "# authmilter.conf written by `authmilter migrate` from\n"
      "#   opendkim.conf:  " +
      (in.opendkimConf.empty() ? std::string("(not given)") : in.opendkimConf) + "\n" +
      "#   opendmarc.conf: " + (in.opendmarcConf.empty() ? std::string("(not given)") : in.opendmarcConf) + "\n" +
      "# Each key names where it came from. Keys not written keep authmilter's defaults\n"
      "# (etc/authmilter.conf documents every key). Check with: authmilter --check-config -c FILE\n\n";
  for (auto& l : b.conf) s += "# " + l.comment + "\n" + l.key + " " + l.value + "\n";
  s += "# the local policy: DMARC overrides, allowlists, signing keys\nPolicyFile " + in.policyPath + "\n";
  return s;
}

std::string renderPolicy(const Builder& b) {
  std::string s =
      "# authmilter.policy written by `authmilter migrate` (authmilter.policy(5) documents every rule).\n\n";
  for (auto& l : b.policy) s += l + "\n";
  return s;
}

}  // namespace

const char* toString(NoteKind k) {
  switch (k) {
    case NoteKind::Translated:
      return "translated";
    case NoteKind::Dropped:
      return "dropped";
    case NoteKind::Differs:
      return "differs";
    case NoteKind::Error:
      return "error";
  }
  return "error";
}

bool Result::ok() const {
  for (auto& n : notes)
    if (n.kind == NoteKind::Error) return false;
  return true;
}

Result migrate(const Inputs& in) {
  Builder b;
  if (!in.opendkimConf.empty()) b.dkim = readOldConfig(in.opendkimConf);
  if (!in.opendmarcConf.empty()) b.dmarc = readOldConfig(in.opendmarcConf);
  for (OldConfig* c : {&b.dkim, &b.dmarc})
    for (auto& e : c->errors) b.note(NoteKind::Error, e.substr(0, e.find(": ")), "(file)", e.substr(e.find(": ") + 2));
  for (OldConfig* c : {&b.dkim, &b.dmarc})
    for (auto& e : c->entries)
      if (iequals(e.key, "Include"))
        e.used = true,
        b.note(NoteKind::Translated, e.origin, e.key, "read in place: its keys are translated where they stand");
  translateProcess(b);
  translateDkim(b);
  translateDmarc(b);
  dropRemaining(b);

  Result r;
  r.conf = renderConf(b, in);
  r.policy = renderPolicy(b);
  r.notes = std::move(b.notes);
  // The output must parse as authmilter reads it (values checked key by key, rules line by line).
  auto parsed = config::parseText(r.conf, "authmilter.conf");
  for (auto& e : parsed.errors) r.notes.push_back({NoteKind::Error, "authmilter.conf", "(output)", e});
  std::vector<std::string> perrors;
  policy::parsePolicyText(r.policy, "authmilter.policy", perrors);
  for (auto& e : perrors) r.notes.push_back({NoteKind::Error, "authmilter.policy", "(output)", e});
  return r;
}

std::string formatReport(const Result& r) {
  std::string s;
  for (NoteKind k : {NoteKind::Translated, NoteKind::Dropped, NoteKind::Differs, NoteKind::Error}) {
    std::string block;
    for (auto& n : r.notes)
      if (n.kind == k) block += "  " + n.origin + ": " + n.key + ": " + n.text + "\n";
    if (block.empty()) continue;
    static const std::map<NoteKind, const char*> titles = {
        {NoteKind::Translated, "Translated"},
        {NoteKind::Dropped, "Dropped (no equivalent, or not needed)"},
        {NoteKind::Differs, "Behaviour that differs from the old chain"},
        {NoteKind::Error, "Errors (fix these, then run migrate again)"}};
    s += std::string(titles.at(k)) + ":\n" + block;
  }
  return s;
}

}  // namespace am::migrate
