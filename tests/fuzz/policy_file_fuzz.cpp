// tests/fuzz/policy_file_fuzz.cpp — libFuzzer target: the local policy file parser
// (policy/policy_file.h parsePolicyText), including the `key` and `sign` directives it hands to
// the signing table, and lookups on what it accepts. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"
#include "policy/policy_file.h"

using namespace am::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> errors;
  auto p = parsePolicyText(text, "fuzz.policy", errors);
  if (!p) {
    if (errors.empty()) std::abort();  // a refused file always says why
    return 0;
  }
  (void)p->overrideFor("example.com");
  (void)p->overrideFor("sub.example.com");
  am::ClientInfo c;
  c.addr = am::IpAddress::v4(10, 1, 2, 3);
  c.hostname = "mx1.lists.example.org";
  for (auto& f : p->forwarders) (void)f.matches(c);
  c.addr = am::IpAddress::parse("2001:db8::1");
  for (auto& a : p->allowClients) (void)a.matches(c);
  (void)p->signing.lookup("user@example.com");
  (void)p->signing.lookup("a@sub.example.org");
  return 0;
}
