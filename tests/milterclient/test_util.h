// tests/milterclient/test_util.h — helpers shared by the milterclient tests: a default test
// message and decoders for recorded packets. Test-only; pure functions.
#pragma once
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/milterclient/message.h"
#include "tests/milterclient/protocol.h"

namespace am::milter_client::testing {

// A private temp directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/am-mc-test-XXXXXX";
    if (::mkdtemp(tmpl)) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Message sampleMessage() {
  Message m;
  m.mailFrom = "<alice@example.org>";
  m.rcpts = {"<bob@example.com>"};
  m.headers = {{"From", "Alice <alice@example.org>"}, {"To", "bob@example.com"}, {"Subject", "hello"}};
  m.body = "line one\r\nline two\r\n";
  return m;
}

// The macros of one SMFIC_MACRO packet as a map; empty map if malformed.
inline std::map<std::string, std::string> macroMap(const wire::Packet& p) {
  std::map<std::string, std::string> out;
  if (auto d = wire::decodeMacros(p.data))
    for (auto& [k, v] : d->second) out[k] = v;
  return out;
}

// The first SMFIC_MACRO packet for stage tag `tag` ('C', 'M', ...), or nullptr.
inline const wire::Packet* macroPacket(const std::vector<wire::Packet>& packets, char tag) {
  for (const auto& p : packets)
    if (p.cmd == wire::kMacro && !p.data.empty() && p.data[0] == tag) return &p;
  return nullptr;
}

// Splits packet data into its NUL-terminated strings.
inline std::vector<std::string> cstrings(const std::string& data) {
  std::vector<std::string> out;
  wire::Reader r(data);
  while (auto s = r.str()) out.push_back(*s);
  return out;
}

inline std::string commands(const std::vector<wire::Packet>& packets) {
  std::string s;
  for (const auto& p : packets) s.push_back(p.cmd);
  return s;
}

}  // namespace am::milter_client::testing
