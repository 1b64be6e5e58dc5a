// filter/migrate/migrate.h — `authmilter migrate`: translates an OpenDKIM + OpenDMARC set-up
// (opendkim.conf, opendmarc.conf and the tables they name) into an authmilter.conf and an
// authmilter.policy that act the same, and reports every key it translated, every key it
// dropped (and why) and every behaviour that differs.
//
// Either input may be omitted. Defaults of the old daemons that differ from authmilter's
// (RejectFailures, HoldQuarantinedMessages, IgnoreAuthenticatedClients, Canonicalization,
// MaximumSignaturesToVerify...) are written out explicitly, so the result behaves like the old
// chain and not like a fresh authmilter. The generated files are checked with authmilter's own
// parsers before they are returned (a failure there is an Error note).
//
// Pure C++: reads the given files and the tables they name, writes nothing (the CLI writes).
// Thread-safe (no shared state).
#pragma once
#include <string>
#include <vector>

namespace am::migrate {

enum class NoteKind { Translated, Dropped, Differs, Error };
const char* toString(NoteKind k);  // "translated", "dropped", "differs", "error"

struct Note {
  NoteKind kind;
  std::string origin;  // "opendkim.conf:12", or "opendmarc (default)" for an unset key
  std::string key;     // the old key
  std::string text;    // what it became, or why it was dropped, or what differs
};

struct Inputs {
  std::string opendkimConf;   // "" = no OpenDKIM
  std::string opendmarcConf;  // "" = no OpenDMARC
  std::string policyPath;     // the PolicyFile value written into authmilter.conf
};

struct Result {
  std::string conf;    // authmilter.conf text
  std::string policy;  // authmilter.policy text
  std::vector<Note> notes;
  bool ok() const;  // no Error note
};

Result migrate(const Inputs& in);

// The report as printed by `authmilter migrate`: one line per note, grouped by kind.
std::string formatReport(const Result& r);

}  // namespace am::migrate
