// tests/fuzz/signing_table_fuzz.cpp — libFuzzer target: OpenDKIM KeyTable and SigningTable files
// (policy/signing_table.h loadOpenDkimTables). The input is split at the first line "%%" into
// the key table and the signing table (a leading "refile:" line makes the second a wildcard
// table); the loader reads paths, so both are written to memory files (memfd) and passed as
// /proc/self/fd/N. Then lookups and globMatch on the parsed rules. Two memfds per process.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "policy/signing_table.h"

using namespace am::policy;

namespace {

// A memory file, rewritten per input; its path is valid for this process only.
struct MemFile {
  int fd;
  std::string path;
  explicit MemFile(const char* name) : fd(memfd_create(name, 0)), path("/proc/self/fd/" + std::to_string(fd)) {
    if (fd < 0) std::abort();
  }
  void set(std::string_view text) const {
    if (ftruncate(fd, 0) != 0) std::abort();
    if (!text.empty() && pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view keys = in, signing;
  if (size_t sep = in.find("\n%%\n"); sep != std::string_view::npos) {
    keys = in.substr(0, sep + 1);
    signing = in.substr(sep + 4);
  }
  bool refile = signing.substr(0, 8) == "refile:\n";
  if (refile) signing.remove_prefix(8);
  static const MemFile keyFile("KeyTable"), signFile("SigningTable");
  keyFile.set(keys);
  signFile.set(signing);
  const std::string &keyPath = keyFile.path, &signPath = signFile.path;
  SigningTable t;
  std::vector<std::string> errors;
  bool ok = loadOpenDkimTables(keyPath, (refile ? "refile:" : "") + signPath, t, errors);
  if (!ok && errors.empty()) std::abort();
  for (const auto* k : t.lookup("user@example.com")) (void)k->name;
  for (const auto* k : t.lookup("someone@mail.sub.example.org")) (void)k->name;
  for (const auto& r : t.rules) (void)globMatch(r.pattern, "user@example.com");
  if (!keys.empty()) (void)globMatch(keys.substr(0, 64), signing.substr(0, 256));
  return 0;
}
