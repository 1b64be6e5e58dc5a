// tests/fuzz/config_fuzz.cpp — libFuzzer target: the configuration file parser
// (filter/config/config.h parseText) and the socket-spec check. Invariant: a refused file always
// says why, an accepted one carries no errors. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = am::config::parseText(text, "fuzz.conf");
  if (!r.config && r.errors.empty()) std::abort();
  if (r.config && !r.errors.empty()) std::abort();
  std::string why;
  (void)am::config::validSocketSpec(text.substr(0, 256), &why);
  return 0;
}
