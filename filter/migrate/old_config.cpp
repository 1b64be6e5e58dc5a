// filter/migrate/old_config.cpp — see old_config.h.
#include "filter/migrate/old_config.h"

#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace am::migrate {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string stripComment(std::string_view line) {
  auto hash = line.find('#');
  return std::string(trim(hash == std::string_view::npos ? line : line.substr(0, hash)));
}

void parseInto(std::string_view text, const std::string& name, OldConfig& c, int depth) {
  int lineNo = 0;
  for (auto& raw : split(text, "\n", false)) {
    ++lineNo;
    std::string line = stripComment(raw);
    if (line.empty()) continue;
    auto ws = line.find_first_of(" \t");
    std::string key = line.substr(0, ws);
    std::string value = ws == std::string::npos ? "" : std::string(trim(std::string_view(line).substr(ws)));
    std::string origin = name + ":" + std::to_string(lineNo);
    if (iequals(key, "Include")) {
      c.entries.push_back({key, value, origin});  // noted by the migration; its keys follow in place
      auto inc = depth < 8 ? slurp(value) : std::nullopt;
      if (!inc)
        c.errors.push_back(origin + ": Include: cannot read '" + value + "'");
      else
        parseInto(*inc, value, c, depth + 1);
      continue;
    }
    c.entries.push_back({key, value, origin});
  }
}

}  // namespace

std::optional<bool> oldBoolean(std::string_view v) {
  if (v.empty()) return std::nullopt;
  if (std::string_view("tTyY1").find(v.front()) != std::string_view::npos) return true;
  if (std::string_view("fFnN0").find(v.front()) != std::string_view::npos) return false;
  return std::nullopt;
}

OldEntry* OldConfig::find(std::string_view key) {
  OldEntry* found = nullptr;
  for (auto& e : entries)
    if (iequals(e.key, key)) found = &e;  // the last one wins; earlier ones stay unused (reported)
  if (found) found->used = true;
  return found;
}

std::optional<bool> OldConfig::boolean(std::string_view key, bool* bad) {
  OldEntry* e = find(key);
  if (!e) return std::nullopt;
  auto b = oldBoolean(e->value);
  if (!b && bad) *bad = true;
  return b;
}

OldConfig parseOldConfig(std::string_view text, const std::string& name) {
  OldConfig c;
  c.path = name;
  parseInto(text, name, c, 0);
  return c;
}

OldConfig readOldConfig(const std::string& path) {
  auto text = slurp(path);
  if (!text) {
    OldConfig c;
    c.path = path;
    c.errors.push_back(path + ":0: cannot read configuration file");
    return c;
  }
  return parseOldConfig(*text, path);
}

Dataset readDataset(std::string_view spec, const std::string& origin) {
  Dataset d;
  static const char* kOther[] = {"db", "dsn", "ldap", "ldaps", "ldapi", "lua", "memcache", "mdb", "erlang", "repl"};
  auto colon = spec.find(':');
  std::string scheme = colon == std::string_view::npos ? "" : toLower(spec.substr(0, colon));
  for (const char* o : kOther)
    if (scheme == o) {
      d.kind = Dataset::Kind::Unsupported;
      d.path = scheme;
      return d;
    }
  std::string_view rest = spec;
  if (scheme == "file" || scheme == "refile") {
    d.kind = scheme == "file" ? Dataset::Kind::File : Dataset::Kind::Refile;
    rest = spec.substr(colon + 1);
  } else if (!spec.empty() && spec.front() == '/') {
    d.kind = Dataset::Kind::File;
  } else {
    if (scheme == "csl") rest = spec.substr(colon + 1);
    for (auto& item : split(rest, ", \t")) d.items.push_back({item, origin});
    return d;
  }
  d.path = std::string(rest);
  auto text = slurp(d.path);
  if (!text) {
    d.error = d.path + ":0: cannot read file (named at " + origin + ")";
    return d;
  }
  int lineNo = 0;
  for (auto& raw : split(*text, "\n", false)) {
    ++lineNo;
    std::string line = stripComment(raw);
    if (line.empty()) continue;
    d.items.push_back({line.substr(0, line.find_first_of(" \t")), d.path + ":" + std::to_string(lineNo)});
  }
  return d;
}

}  // namespace am::migrate
