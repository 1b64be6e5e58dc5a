// tests/spf/yaml_suite.cpp — see yaml_suite.h.
#include "tests/spf/yaml_suite.h"

#include <yaml-cpp/yaml.h>

#include "common/strings.h"

namespace am::spftest {
namespace {

std::string joined(const YAML::Node& v) {
  if (!v.IsSequence()) return v.as<std::string>();
  std::string out;
  for (const auto& s : v) out += s.as<std::string>();
  return out;
}

// One owner name's item list -> records in driver order, generated TXT copies last.
std::vector<Rr> rrsFor(const YAML::Node& items) {
  std::vector<Rr> out, generated;
  bool hasTxt = false;
  for (const auto& item : items) {
    if (item.IsScalar()) {  // bare TIMEOUT
      out.push_back(Rr{item.as<std::string>(), "", 0});
      continue;
    }
    for (const auto& kv : item) {
      std::string type = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (type == "TXT") hasTxt = true;
      if (v.IsScalar() && v.as<std::string>() == "NONE") continue;
      Rr rr{type, "", 0};
      if (type == "MX") {
        rr.pref = v[0].as<uint16_t>();
        rr.value = v[1].as<std::string>();
      } else if (type == "TXT" || type == "SPF") {
        rr.value = joined(v);
      } else {
        rr.value = v.as<std::string>();
      }
      if (type == "SPF") generated.push_back(Rr{"TXT", rr.value, 0});
      out.push_back(rr);
    }
  }
  if (!hasTxt) out.insert(out.end(), generated.begin(), generated.end());
  return out;
}

std::string sanitize(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

}  // namespace

std::string SuiteCase::gtestName() const { return sanitize(scenario) + "__" + sanitize(id); }

std::vector<SuiteCase> loadSuite(const std::string& path) {
  std::vector<SuiteCase> cases;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAllFromFile(path);
  } catch (const std::exception&) {
    return cases;
  }
  for (const YAML::Node& doc : docs) {
    auto zone = std::make_shared<Zone>();
    for (const auto& kv : doc["zonedata"]) (*zone)[normalizeDomain(kv.first.as<std::string>())] = rrsFor(kv.second);
    std::string scenario = doc["description"].as<std::string>();
    for (const auto& t : doc["tests"]) {
      SuiteCase c;
      c.scenario = scenario;
      c.id = t.first.as<std::string>();
      const YAML::Node& v = t.second;
      c.helo = v["helo"].as<std::string>();
      c.host = v["host"].as<std::string>();
      c.mailfrom = v["mailfrom"].as<std::string>();
      if (v["result"].IsSequence())
        for (const auto& r : v["result"]) c.results.push_back(r.as<std::string>());
      else
        c.results.push_back(v["result"].as<std::string>());
      if (v["explanation"]) c.explanation = v["explanation"].as<std::string>();
      c.zone = zone;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

}  // namespace am::spftest
