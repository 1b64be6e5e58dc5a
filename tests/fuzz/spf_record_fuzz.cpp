// tests/fuzz/spf_record_fuzz.cpp — libFuzzer target: SPF record selection and the strict
// RFC 7208 parser (filter/auth/spf/record.h). Invariant: a record parses completely (a Record)
// or not at all (an error text), never both or neither. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "filter/auth/spf/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view txt(reinterpret_cast<const char*>(data), size);
  (void)am::spf::isSpfRecord(txt);
  am::spf::ParsedRecord p = am::spf::parseRecord(txt);
  if (p.record.has_value() == !p.error.empty()) std::abort();
  return 0;
}
