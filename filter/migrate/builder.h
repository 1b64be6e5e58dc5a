// filter/migrate/builder.h — internal to filter/migrate: the output being built (configuration
// lines, policy lines, notes) and the translation steps that fill it. Not thread-safe: one
// Builder per migration.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "filter/migrate/migrate.h"
#include "filter/migrate/old_config.h"

namespace am::migrate {

struct Builder {
  OldConfig dkim, dmarc;  // dkim.given() / dmarc.given(): which daemons are being replaced
  struct ConfLine {
    std::string key, value, comment;
  };
  std::vector<ConfLine> conf;
  std::vector<std::string> policy;  // lines (comments included)
  std::vector<Note> notes;
  std::vector<std::string> internalHosts;  // final InternalHosts (for the DMARC step)

  void set(const std::string& key, const std::string& value, const std::string& comment);
  void note(NoteKind k, const std::string& origin, const std::string& key, const std::string& text);
  // Set `key` from an old entry and record it as translated.
  void translate(const OldEntry& e, const std::string& key, const std::string& value);
  // Origin text for a key that was not set: "opendkim.conf (default)".
  static std::string defaultOrigin(const OldConfig& c);
};

// "a, b, c".
inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Dataset entries as a list; entries with '!' and unreadable back ends become notes.
std::vector<std::string> datasetList(Builder& b, const OldEntry& e, const char* what);

void translateProcess(Builder& b);  // Socket, UMask, UserID, PidFile, Syslog, AuthservID, DNS
void translateDkim(Builder& b);     // Mode, signing keys and tables, verification, hosts
void translateDmarc(Builder& b);    // DMARC disposition, ignore lists, reports, From rules
void dropRemaining(Builder& b);     // every key no step consumed, with the reason

}  // namespace am::migrate
