// tests/authres/authres_fuzz.cpp — libFuzzer entry point (clang only) over every authres parser:
// parse(), authservIdOf(), claimsAuthservId(), and format() of whatever parse() accepts, with the
// same invariants as the mini-fuzz test. Stateless; run e.g. `authres_fuzz -max_total_time=60`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "filter/authres/authres.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view v(reinterpret_cast<const char*>(data), size);
  std::string id = am::authres::authservIdOf(v);
  (void)am::authres::claimsAuthservId(v, "mx.example.org");
  auto p = am::authres::parse(v, nullptr);
  if (!p) return 0;
  if (id != p->authservId) std::abort();
  std::string out = am::authres::format(p->authservId, p->results);
  auto back = am::authres::parse(out, nullptr);
  if (!back || back->results.size() != p->results.size()) std::abort();
  return 0;
}
