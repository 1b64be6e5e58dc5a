// tests/reports/report_check.h — what the report tests share: schema validation with libxml2
// (RAII over its handles), gunzip with zlib, and reading counts out of a report.
#pragma once
#include <string>
#include <vector>

namespace am::reports::test {

// The directory of rfc9990.xsd and rfc7489.xsd (CMake AM_DMARC_REPORT_SCHEMA_DIR).
std::string schemaDir();
// "" when `xml` validates against the schema file `xsd`; else libxml2's messages.
std::string validate(const std::string& xml, const std::string& xsd);
// Base64 text decoded (characters outside the alphabet, such as line breaks and '=', are skipped).
std::string decodeBase64(const std::string& b64);
// The gunzipped data; "" (and *ok false) when it is not gzip.
std::string gunzip(const std::string& gz, bool* ok = nullptr);
// The sum of <count> elements, and the texts of every element named `name`.
unsigned long long totalCount(const std::string& xml);
std::vector<std::string> texts(const std::string& xml, const std::string& name);

}  // namespace am::reports::test
