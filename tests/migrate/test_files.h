// tests/migrate/test_files.h — the configuration files that Debian's opendkim and opendmarc
// packages ship, for the migration tests (read at test time, never copied into the repository):
// the installed conffile when dpkg says it is unmodified, else the file inside the cached .deb.
// Temp directories, file and command helpers: tests/support/testfiles/test_files.h.
#pragma once
#include <string>

namespace am::migrate_test {

// The text of `path` (e.g. /etc/opendkim.conf) as Debian package `pkg` ships it; "" with `err`
// set when neither the unmodified conffile nor the package's .deb is available.
std::string shippedConffile(const std::string& pkg, const std::string& path, std::string* err);

}  // namespace am::migrate_test
