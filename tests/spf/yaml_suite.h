// tests/spf/yaml_suite.h — loads the openspf/pyspf YAML suites (rfc7208-tests.yml,
// rfc4408-tests.yml) into cases with their zones, following the reference driver: SPF-type
// records are copied to TXT unless the name lists a TXT entry, "NONE" entries are placeholders,
// multi-string TXT values are joined without separator. Test code only.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/spf/zone.h"

namespace am::spftest {

struct SuiteCase {
  std::string scenario;  // scenario description
  std::string id;        // test name, unique in the file
  std::string helo, host, mailfrom;
  std::vector<std::string> results;        // any of these is acceptable
  std::optional<std::string> explanation;  // "DEFAULT" = no exp= text
  std::shared_ptr<const Zone> zone;
  std::string gtestName() const;  // "<scenario>__<test>" with [A-Za-z0-9_] only
};

// Empty on a missing or unparsable file (the caller asserts the count).
std::vector<SuiteCase> loadSuite(const std::string& path);

}  // namespace am::spftest
