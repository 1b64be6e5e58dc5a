// tests/migrate/test_files.cpp — see test_files.h.
#include "tests/migrate/test_files.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace am::migrate_test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/am-migrate-XXXXXX";
  if (mkdtemp(tmpl)) path = tmpl;
}
TempDir::~TempDir() {
  if (!path.empty()) run("rm -rf '" + path + "'");
}
std::string TempDir::file(const std::string& name, const std::string& text) const {
  std::string p = path + "/" + name;
  std::ofstream(p) << text;
  return p;
}

std::string run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shippedConffile(const std::string& pkg, const std::string& path, std::string* err) {
  // dpkg's record: " /etc/opendkim.conf <md5>" per conffile.
  std::string conffiles = run("dpkg-query -W -f='${Conffiles}' " + pkg + " 2>/dev/null");
  std::string want;
  std::istringstream in(conffiles);
  for (std::string f, md5; in >> f >> md5;)
    if (f == path) want = md5;
  if (!want.empty() && run("md5sum '" + path + "' 2>/dev/null").substr(0, 32) == want) return readFile(path);
  std::string deb = run("ls /var/cache/apt/archives/" + pkg + "_*.deb 2>/dev/null | tail -n 1");
  while (!deb.empty() && deb.back() == '\n') deb.pop_back();
  if (!deb.empty()) {
    int st = -1;
    std::string text = run("dpkg-deb --fsys-tarfile '" + deb + "' | tar -xOf - '." + path + "'", &st);
    if (st == 0 && !text.empty()) return text;
  }
  *err = path + ": neither the unmodified conffile of package " + pkg +
         " nor its .deb in /var/cache/apt/archives "
         "(install it: apt-get install " +
         pkg + ")";
  return "";
}

}  // namespace am::migrate_test
