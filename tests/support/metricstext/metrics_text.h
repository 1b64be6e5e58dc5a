// tests/support/metricstext/metrics_text.h — reading the Prometheus text format in tests: the value
// of one series, and the name of the auth-results series. Header-only (no library to link), used
// by the registry, resolver and end-to-end metrics tests. Pure functions; thread-safe.
#pragma once
#include <sstream>
#include <string>

namespace am::testing {

// The value of one series ("name{labels}", written exactly as rendered) in the text format; -1
// when absent.
inline double metricSample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

// authmilter_auth_results_total{method="<method>",result="<result>"}
inline std::string authResultsSeries(const char* method, const char* result) {
  return std::string("authmilter_auth_results_total{method=\"") + method + "\",result=\"" + result + "\"}";
}

}  // namespace am::testing
