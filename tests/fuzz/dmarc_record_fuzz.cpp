// tests/fuzz/dmarc_record_fuzz.cpp — libFuzzer target: the DMARC policy record parser
// (policy/dmarc.h parseRecord) on arbitrary TXT text. Stateless.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/dmarc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view txt(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto r = am::policy::parseRecord(txt, &error);
  if (r) {
    (void)am::policy::toString(r->p);
    (void)am::policy::toString(r->sp);
  }
  return 0;
}
