// tests/migrate/test_files.cpp — see test_files.h.
#include "tests/migrate/test_files.h"

#include <sstream>

#include "tests/support/testfiles/test_files.h"

namespace am::migrate_test {

using am::testing::readFile;
using am::testing::runCommand;

std::string shippedConffile(const std::string& pkg, const std::string& path, std::string* err) {
  // dpkg's record: " /etc/opendkim.conf <md5>" per conffile.
  std::string conffiles = runCommand("dpkg-query -W -f='${Conffiles}' " + pkg + " 2>/dev/null");
  std::string want;
  std::istringstream in(conffiles);
  for (std::string f, md5; in >> f >> md5;)
    if (f == path) want = md5;
  if (!want.empty() && runCommand("md5sum '" + path + "' 2>/dev/null").substr(0, 32) == want) return readFile(path);
  std::string deb = runCommand("ls /var/cache/apt/archives/" + pkg + "_*.deb 2>/dev/null | tail -n 1");
  while (!deb.empty() && deb.back() == '\n') deb.pop_back();
  if (!deb.empty()) {
    int st = -1;
    std::string text = runCommand("dpkg-deb --fsys-tarfile '" + deb + "' | tar -xOf - '." + path + "'", &st);
    if (st == 0 && !text.empty()) return text;
  }
  *err = path + ": neither the unmodified conffile of package " + pkg +
         " nor its .deb in /var/cache/apt/archives "
         "(install it: apt-get install " +
         pkg + ")";
  return "";
}

}  // namespace am::migrate_test
