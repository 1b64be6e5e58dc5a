// tests/migrate/test_files.h — helpers for the migration tests: a temp directory that removes
// itself, small file writers, running a command, and the configuration files that Debian's
// opendkim and opendmarc packages ship (read at test time, never copied into the repository):
// the installed conffile when dpkg says it is unmodified, else the file inside the cached .deb.
#pragma once
#include <string>

namespace am::migrate_test {

struct TempDir {
  std::string path;
  TempDir();
  ~TempDir();
  std::string file(const std::string& name, const std::string& text) const;  // writes, returns the path
};

std::string run(const std::string& cmd, int* status = nullptr);  // stdout (stderr joined with 2>&1 by caller)
std::string readFile(const std::string& path);

// The text of `path` (e.g. /etc/opendkim.conf) as Debian package `pkg` ships it; "" with `err`
// set when neither the unmodified conffile nor the package's .deb is available.
std::string shippedConffile(const std::string& pkg, const std::string& path, std::string* err);

}  // namespace am::migrate_test
