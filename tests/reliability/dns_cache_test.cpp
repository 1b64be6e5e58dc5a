// tests/reliability/dns_cache_test.cpp — the resolver cache's byte bound in the real binary: every
// message is signed with a new selector whose key record is a 60 KB TXT record (236 strings, too
// large for any UDP answer the resolver accepts, so fetched over TCP), with DNSCacheBytes 1048576.
// After N messages and after 4N messages (4N x 60 KB = 12 MB of records, twelve times the bound)
// resident memory (VmRSS) is the same within a small margin. With the bound lifted
// (DNSCacheBytes 17179869184) the same run grows by about 10 MB and the test fails.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/proc_stats.h"

using namespace am::e2e;
using namespace am::reliability;
using am::milter_client::Result;

namespace {

constexpr int kN = 50;
constexpr size_t kRecordBytes = 60000;

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A real RSA public key for p= (the signatures below do not verify: the key is fetched and cached
// all the same, and the result is dkim=fail rather than a lookup error).
std::string publicKeyBase64() {
  int st = -1;
  std::string p = runCommand(
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | "
      "openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0",
      &st);
  return st == 0 ? p : "";
}

std::string keyRecord(const std::string& p, int i) {
  std::string head = "v=DKIM1; k=rsa; n=sel" + std::to_string(i) + "-", tail = " p=" + p;
  std::string rec = head + std::string(kRecordBytes - head.size() - tail.size() - 1, 'x') + ";" + tail;
  return rec;
}

am::milter_client::Message signedBy(int i) {
  auto m = message("news@big.e2e.test", "News <news@big.e2e.test>");
  // A syntactically valid signature (32-byte bh=, 256-byte b=) by selector sel<i>.
  m.headers.insert(m.headers.begin(),
                   {"DKIM-Signature", "v=1; a=rsa-sha256; c=relaxed/relaxed; d=big.e2e.test; s=sel" + std::to_string(i) +
                                          "; h=from:to:subject; bh=" + std::string(43, 'A') + "=; b=" +
                                          std::string(344, 'B')});
  return m;
}

class DnsCache : public ::testing::Test {
 protected:
  ScopedAsanOptions asan{"quarantine_size_mb=1"};  // see connections_test.cpp
  Env env;
};

}  // namespace

TEST_F(DnsCache, SixtyKilobyteKeyRecordsForEveryMessageStayUnderTheByteBound) {
  const std::string p = publicKeyBase64();
  ASSERT_GT(p.size(), 300u) << "openssl could not make a key";
  for (int i = 0; i < 4 * kN; ++i)
    env.extraRecords += "sel" + std::to_string(i) + "._domainkey.big IN TXT " +
                        am::testing::NsdServer::quoteTxt(keyRecord(p, i)) + "\n";
  ASSERT_EQ(env.start("DNSCacheBytes 1048576\n"), "");
  const pid_t pid = env.milter->pid();
  auto t0 = std::chrono::steady_clock::now();
  long rssAtN = -1;
  for (int i = 0; i < 4 * kN; ++i) {
    Result r = send(env.socket, signedBy(i));
    ASSERT_TRUE(r.ok()) << r.replyText << env.milter->output();
    std::string ar = ourAuthResults(r);
    // The 60 KB record arrived and was read: the signature is checked against it and fails.
    ASSERT_TRUE(has(ar, "dkim=fail") && has(ar, "header.s=sel" + std::to_string(i))) << ar;
    if (i + 1 == kN) rssAtN = readStatus(pid)->rssKb;
  }
  const long rss = readStatus(pid)->rssKb;
  std::printf("%d messages with a new 60 KB key record each in %.1f s: VmRSS %s after %d, %s after %d\n", 4 * kN,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), kib(rssAtN).c_str(), kN,
              kib(rss).c_str(), 4 * kN);
  // 3N more records are 9 MB; a cache that kept them would grow by at least that much.
  EXPECT_LT(rss - rssAtN, 3 * 1024) << "VmRSS grew from " << kib(rssAtN) << " to " << kib(rss);
}
