// tests/reliability/streaming_test.cpp — a very large body through the real binary, in 64 KiB
// SMFIC_BODY packets: signed on the way out (rsa + ed25519), then verified on the way in (two
// dkim=pass), while the process's peak resident memory (VmHWM) stays flat. The body is 1 GiB
// (about 25 s under ASan on 2 busy cores); AM_RELIABILITY_BODY_MB sets another size in MiB.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/proc_stats.h"

using namespace am::e2e;
using namespace am::reliability;
using am::milter_client::Result;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

size_t bodyMiB() {
  const char* v = std::getenv("AM_RELIABILITY_BODY_MB");
  long n = v ? std::strtol(v, nullptr, 10) : 0;
  return n > 0 ? static_cast<size_t>(n) : 1024;
}

// CRLF lines of 78 bytes, numbered (a 1 MiB block of them, repeated: the lines differ within the
// block), with runs of spaces and trailing whitespace for the relaxed canonicalization to work on.
std::string bigBody(size_t bytes) {
  std::string block;
  char line[96];
  for (size_t i = 0; block.size() < (size_t{1} << 20); ++i) {
    int n = std::snprintf(line, sizeof line, "%010zu the quick  brown fox jumps over the lazy dog\t%016zx  \r\n", i,
                          i * 2654435761u);
    block.append(line, static_cast<size_t>(n));
  }
  std::string b;
  b.reserve(bytes + block.size());
  while (b.size() < bytes) b += block;
  return b;
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Streaming : public ::testing::Test {
 protected:
  ScopedAsanOptions asan{"quarantine_size_mb=1"};  // see connections_test.cpp
  Env env;
};

}  // namespace

TEST_F(Streaming, AHugeBodyIsSignedAndVerifiedWithFlatPeakMemory) {
  ASSERT_EQ(env.start(), "");
  const pid_t pid = env.milter->pid();
  auto out = message("alice@sign.e2e.test", "Alice <alice@sign.e2e.test>", "203.0.113.9");
  out.macros["{auth_authen}"] = "alice";
  out.chunkSize = 64 * 1024 - 1;  // the largest SMFIC_BODY packet (65,535 bytes)
  // Warm up with a small message each way (keys, hashers, buffers), then take the peak so far.
  auto small = send(env.socket, out);
  ASSERT_EQ(headerValues(small, "DKIM-Signature").size(), 2u) << small.replyText << env.milter->output();
  const long baseHwm = readStatus(pid)->hwmKb;

  const size_t size = bodyMiB() << 20;
  auto t0 = std::chrono::steady_clock::now();
  out.body = bigBody(size);
  const double makeSeconds = seconds(t0);
  t0 = std::chrono::steady_clock::now();
  Result signedR = send(env.socket, out);
  const double signSeconds = seconds(t0);
  ASSERT_EQ(signedR.action, Result::Action::Accept) << signedR.replyText << env.milter->output();
  ASSERT_EQ(headerValues(signedR, "DKIM-Signature").size(), 2u);
  const long signHwm = readStatus(pid)->hwmKb;

  auto in = message("alice@sign.e2e.test", "Alice <alice@sign.e2e.test>", "192.0.2.77");
  in.chunkSize = out.chunkSize;
  in.headers.clear();
  for (auto& [n, v] : signedR.finalHeaders)
    if (n != "Authentication-Results") in.headers.emplace_back(n, v.size() && v[0] == ' ' ? v.substr(1) : v);
  in.body = std::move(out.body);
  t0 = std::chrono::steady_clock::now();
  Result verified = send(env.socket, in);
  const double verifySeconds = seconds(t0);
  const long verifyHwm = readStatus(pid)->hwmKb;
  std::string ar = ourAuthResults(verified);
  EXPECT_TRUE(has(ar, "header.s=rsa1") && has(ar, "header.s=ed1")) << ar;
  size_t passes = 0;
  for (size_t p = ar.find("dkim=pass"); p != std::string::npos; p = ar.find("dkim=pass", p + 1)) ++passes;
  EXPECT_EQ(passes, 2u) << ar;

  std::printf("%zu MiB body (made in %.1f s): signed in %.1f s (%.0f MiB/s), verified in %.1f s (%.0f MiB/s); VmHWM %s before, "
              "%s after signing, %s after verifying\n",
              bodyMiB(), makeSeconds, signSeconds, bodyMiB() / signSeconds, verifySeconds, bodyMiB() / verifySeconds,
              kib(baseHwm).c_str(), kib(signHwm).c_str(), kib(verifyHwm).c_str());
  // Streaming: the peak does not follow the body size (a buffered body would add the body's size).
  EXPECT_LT(signHwm - baseHwm, 16 * 1024) << "peak grew by " << kib(signHwm - baseHwm) << " while signing";
  EXPECT_LT(verifyHwm - baseHwm, 16 * 1024) << "peak grew by " << kib(verifyHwm - baseHwm) << " while verifying";
}
