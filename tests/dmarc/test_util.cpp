// tests/dmarc/test_util.cpp — see test_util.h.
#include "tests/dmarc/test_util.h"

#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/strings.h"

namespace am::testing {

std::string testdata(const std::string& rel) { return std::string(AM_TESTDATA_DIR) + "/" + rel; }

const am::psl::LibPsl& pslFrom(const std::string& rel) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<am::psl::LibPsl>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = loaded[rel];
  if (!slot) {
    std::string err;
    slot = am::psl::LibPsl::load(testdata(rel), &err);
    if (!slot) {
      std::cerr << err << "\n";
      std::abort();
    }
  }
  return *slot;
}

std::string testName(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) ? static_cast<char>(c) : '_';
  if (out.empty()) out = "empty";
  return out;
}

bool addZoneLine(am::InMemoryResolver& dns, std::string_view line) {
  std::istringstream in{std::string(line)};
  std::string name, ttl, type;
  if (!(in >> name >> ttl >> type)) return false;
  std::string rest;
  std::getline(in, rest);
  if (type == "MX") {
    std::istringstream r(rest);
    unsigned pref = 0;
    std::string host;
    if (!(r >> pref >> host)) return false;
    dns.addMx(name, static_cast<uint16_t>(pref), host);
    return true;
  }
  if (type != "TXT") return false;
  std::string joined;
  bool inq = false;
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '"') inq = !inq;
    else if (inq && c == '\\' && i + 1 < rest.size()) joined += rest[++i];
    else if (inq) joined += c;
  }
  dns.addTxt(name, joined);
  return true;
}

}  // namespace am::testing
