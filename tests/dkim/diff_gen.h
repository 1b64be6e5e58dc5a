// tests/dkim/diff_gen.h — seeded generator for the differential test (differential_test.cpp):
// random messages (headers with odd case, folding and whitespace runs; bodies with WSP runs,
// trailing WSP, empty lines, bare LFs, missing final line end), test keys, and signing by our
// signer (filter/auth/dkim_sign) or, for l=, by libopendkim. Deterministic for a given seed.
// Test-only; not thread-safe (one generator per test case).
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "filter/auth/dkim_sign/keystore.h"
#include "filter/auth/dkim_sign/signer.h"
#include "test_util.h"

namespace am::dkim::test {

// The generated keys, made once per process and never changed (immutable after first use).
struct TestKeys {
  LoadedKey rsa, rsa2, ed, ed2;
  std::string rsaTxt, rsa2Txt, edTxt, ed2Txt, rsaPkcs1Txt;  // DNS records
  std::string rsaPem;                                       // for libopendkim signing
};
const TestKeys& testKeys();

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}
  Message message();
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }

 private:
  std::string words(int max, bool foldable);
  std::string wsp();
  std::mt19937 rng_;
};

// Signature values (LF-folded, no leading space) by our signer for `keys`.
std::vector<std::string> signWithOurs(const Message& m, const std::vector<const LoadedKey*>& keys,
                                      Canon hc, Canon bc, int64_t now, int64_t expire);
// A signature value made by libopendkim (rsa-sha256) with l= `length`.
std::string signWithLibopendkimL(const Message& m, Canon hc, Canon bc, int64_t now, uint64_t length);

}  // namespace am::dkim::test
