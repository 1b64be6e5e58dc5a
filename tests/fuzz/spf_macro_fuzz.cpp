// tests/fuzz/spf_macro_fuzz.cpp — libFuzzer target: SPF macro strings (filter/auth/spf/macro.h):
// syntax checks, expansion in the three modes over a fixed environment (IPv4 or IPv6 client),
// domain finishing and query-name checks. The first byte picks mode and address family.
// Invariants: expansion succeeds exactly when the string is valid; an explanation stays within
// kMaxExplanation; a finished domain is a valid query name only within 253 octets. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/ip.h"
#include "filter/auth/spf/macro.h"

using namespace am::spf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  const MacroMode mode = sel % 3 == 0 ? MacroMode::Domain : sel % 3 == 1 ? MacroMode::Explain : MacroMode::Modifier;

  MacroEnv env;
  env.sender = "strong-bad@email.example.com";
  env.local = "strong-bad";
  env.senderDomain = "email.example.com";
  env.domain = "email.example.com";
  env.helo = "mx.example.org";
  env.receiver = "mx.example.net";
  env.client = *am::IpAddress::parse((sel & 4) ? "2001:db8::cb01" : "192.0.2.3");
  env.now = 1700000000;
  env.validatedName = [] { return std::string("mx.example.org"); };

  const bool valid = validMacroString(s, mode);
  (void)validDomainSpec(s);
  (void)validTopLabel(s);
  (void)validIdentityDomain(s);
  auto out = expandMacros(s, mode, env);
  if (out.has_value() != valid) std::abort();
  if (out) {
    if (mode == MacroMode::Explain && out->size() > kMaxExplanation) std::abort();
    if (mode == MacroMode::Domain) {
      std::string name = finishDomain(*out);
      // Over 253 octets only when no dot is left to cut at, and then never a query name.
      if (validQueryName(name) && name.size() > 253) std::abort();
    }
  }
  (void)dottedAddress(env.client);
  return 0;
}
