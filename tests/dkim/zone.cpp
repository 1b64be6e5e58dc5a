// tests/dkim/zone.cpp — see zone.h.
#include "zone.h"

#include <sstream>

#include "common/strings.h"
#include "test_util.h"

namespace am::dkim::test {
namespace {

std::string stripComment(const std::string& line) {
  bool inQuote = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') inQuote = !inQuote;
    if (line[i] == ';' && !inQuote) return line.substr(0, i);
  }
  return line;
}

std::string noDot(std::string s) {
  s = toLower(s);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::map<std::string, std::string> loadZoneTxt(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(readFile(path));
  std::string line, origin, entry;
  int depth = 0;
  auto flush = [&](const std::string& rr) {
    std::istringstream t(rr);
    std::string owner;
    t >> owner;
    if (owner.empty()) return;
    if (owner == "$ORIGIN") { t >> origin; return; }
    std::string name = owner.back() == '.' ? owner : owner + "." + origin;
    std::string value;
    bool inQuote = false;
    for (char c : rr) {
      if (c == '"') { inQuote = !inQuote; continue; }
      if (inQuote) value.push_back(c);
    }
    if (rr.find("TXT") != std::string::npos) out[noDot(name)] = value;
  };
  while (std::getline(in, line)) {
    line = stripComment(line);
    for (char c : line) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
    }
    entry += " " + line;
    if (depth <= 0) {
      if (!trim(entry).empty()) flush(std::string(trim(entry)));
      entry.clear();
      depth = 0;
    }
  }
  return out;
}

void loadFakeDns(const std::string& path, InMemoryResolver& r) {
  std::istringstream in(readFile(path));
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    size_t sp = l.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    std::string name(l.substr(0, sp));
    std::string value(trim(l.substr(sp)));
    if (value == "NXDOMAIN") continue;
    if (value.size() >= 4 && value.rfind("~~", 0) == 0) {
      r.setStatus(name, RrType::TXT, DnsStatus::TempFail);
      continue;
    }
    if (value == "\"\"") value.clear();
    r.addTxt(name, value);
  }
}

std::vector<DnsRow> loadDkimpyDns(const std::string& tsv, const std::string& dataDir) {
  std::vector<DnsRow> rows;
  std::istringstream in(readFile(tsv));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, "\t", false);
    if (cols.size() < 2) continue;
    DnsRow row{noDot(cols[0]), cols[1], cols.size() > 2 ? cols[2] : ""};
    if (!row.value.empty() && row.value[0] == '@')
      row.value = std::string(trim(readFile(dataDir + "/" + row.value.substr(1))));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace am::dkim::test
