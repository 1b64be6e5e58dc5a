// filter/migrate/old_config.h — reading OpenDKIM / OpenDMARC configuration files as those daemons
// do: one `Key value` per line, '#' starts a comment, keys case-insensitive, the last of a
// repeated key wins, `Include FILE` reads another file in place. Booleans are read by their first
// character (t/y/1 true, f/n/0 false), as both daemons do.
//
// Also the OpenDKIM "data set" values (InternalHosts, SigningTable, OversignHeaders...):
// `file:/path` or `/path` (one entry per line), `refile:/path` (wildcard patterns), `csl:a,b`
// or a bare comma-separated list; other back ends (db:, dsn:, ldap:, lua:, memcache:, mdb:,
// erlang:, repl:) are recognised and reported as not readable.
// Pure values; reads files only in the functions that say so. Thread-safe (no shared state).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace am::migrate {

struct OldEntry {
  std::string key, value;
  std::string origin;  // "FILE:LINE"
  bool used = false;   // consulted by a translation rule
};

struct OldConfig {
  std::string path;               // as given; "" when the daemon's file was not given
  std::vector<OldEntry> entries;  // file order, Include files expanded in place
  std::vector<std::string> errors;

  bool given() const { return !path.empty(); }
  // The last entry with this key (case-insensitive), marked used; null when absent. Earlier
  // entries of the key stay unused (dropRemaining reports them as overridden).
  OldEntry* find(std::string_view key);
  // Boolean value of a key: nullopt when absent; `bad` set when present but not a boolean.
  std::optional<bool> boolean(std::string_view key, bool* bad = nullptr);
};

// Reads a configuration file (with Include). Errors ("FILE:LINE: message") go to errors.
OldConfig readOldConfig(const std::string& path);
// The same from text (for tests; Include still reads files).
OldConfig parseOldConfig(std::string_view text, const std::string& name);

// Value of a boolean as OpenDKIM/OpenDMARC read it.
std::optional<bool> oldBoolean(std::string_view v);

struct DatasetItem {
  std::string text;
  std::string origin;  // "FILE:LINE", or the key's origin for an inline list
};

struct Dataset {
  enum class Kind { List, File, Refile, Unsupported } kind = Kind::List;
  std::string path;                // File/Refile: the file; Unsupported: the scheme ("db", "ldap"...)
  std::vector<DatasetItem> items;  // List/File: each entry (the first word of each file line)
  std::string error;               // the file could not be read
};

// Reads a data set value. `origin` is the key's "FILE:LINE". File entries are read.
Dataset readDataset(std::string_view spec, const std::string& origin);

}  // namespace am::migrate
