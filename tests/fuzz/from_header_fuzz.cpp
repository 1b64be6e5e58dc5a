// tests/fuzz/from_header_fuzz.cpp — libFuzzer target: RFC 5322 From parsing for DMARC and
// signing (policy/from_header.h parseFrom, toAsciiDomain) and the signing table's address
// normalization (policy/signing_table.h normalizeAddress). A NUL byte in the input separates
// the values of several From fields. Invariant: an Ok result has a non-empty domain that
// toAsciiDomain leaves as it is. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "policy/from_header.h"
#include "policy/signing_table.h"

using namespace am::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> values;
  for (size_t start = 0;;) {
    size_t nul = in.find('\0', start);
    values.emplace_back(in.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
    if (nul == std::string_view::npos || values.size() == 8) break;
    start = nul + 1;
  }
  FromResult r = parseFrom(values);
  (void)toString(r.status);
  if (r.status == FromResult::Status::Ok) {
    if (r.domain.empty()) std::abort();
    if (toAsciiDomain(r.domain) != r.domain) std::abort();
  }
  (void)toAsciiDomain(values[0]);
  if (r.status == FromResult::Status::Ok) (void)normalizeAddress(r.address);
  (void)normalizeAddress(values[0]);
  return 0;
}
