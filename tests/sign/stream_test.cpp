// tests/sign/stream_test.cpp — a 50 MB body streamed through a dual signing keeps peak RSS
// flat (VmHWM growth bounded, after resetting the high-water mark) and yields the body hash
// of an independent SHA-256 over the same canonical bytes.
#include <gtest/gtest.h>

#include <fstream>

#include <openssl/evp.h>

#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "sign_test_util.h"

namespace am::dkim {
namespace {

// Peak resident set (VmHWM) in bytes; resets it first when `reset`.
long peakRssBytes(bool reset) {
  if (reset) std::ofstream("/proc/self/clear_refs") << "5";
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  return -1;
}

TEST(Streaming, FiftyMegabyteBodyKeepsMemoryFlat) {
  signtest::TempDir dir;
  std::string err;
  auto r = keygen("example.com", "big", Alg::Rsa, 2048, dir.path(), &err);
  auto e = keygen("example.com", "bige", Alg::Ed25519, 0, dir.path(), &err);
  ASSERT_TRUE(r && e) << err;
  policy::SigningTable t;
  ASSERT_TRUE(policy::parseSigningDirective("key", {"r", "example.com", "big", r->privateKeyPath}, t, err));
  ASSERT_TRUE(policy::parseSigningDirective("key", {"e", "example.com", "bige", e->privateKeyPath}, t, err));
  std::vector<std::string> errors;
  auto store = KeyStore::load(t, errors);
  ASSERT_TRUE(store);
  FixedClock clock(1763892000);
  auto s = startSigning(*store, {&t.keys[0], &t.keys[1]}, {}, clock);
  ASSERT_TRUE(s);
  auto m = signtest::sampleMessage();
  for (const auto& [n, v] : m.headers) s->header(n, v);
  s->endOfHeaders();

  // 64 KiB chunk of 64-byte lines without trailing whitespace: relaxed form == input.
  std::string chunk;
  while (chunk.size() < 65536) chunk += std::string(62, 'a' + static_cast<char>(chunk.size() / 64 % 26)) + "\r\n";
  const size_t kChunks = 50 * 1024 * 1024 / chunk.size();
  EVP_MD_CTX* ref = EVP_MD_CTX_new();
  ASSERT_TRUE(ref);
  EVP_DigestInit_ex(ref, EVP_sha256(), nullptr);

  long before = peakRssBytes(true);
  ASSERT_GT(before, 0);
  for (size_t i = 0; i < kChunks; ++i) {
    s->body(chunk);
    EVP_DigestUpdate(ref, chunk.data(), chunk.size());
  }
  auto sigs = s->finish();
  long growth = peakRssBytes(false) - before;
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ref, md, &len);
  EVP_MD_CTX_free(ref);

  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_LT(growth, 8L * 1024 * 1024) << "peak RSS grew by " << growth << " bytes for a 50 MB body";
  std::string expected(45, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()), md, 32);
  expected.resize(static_cast<size_t>(n));
  EXPECT_EQ(signtest::tagValue(sigs[0], "bh"), expected);
  EXPECT_EQ(signtest::tagValue(sigs[1], "bh"), expected);
}

}  // namespace
}  // namespace am::dkim
