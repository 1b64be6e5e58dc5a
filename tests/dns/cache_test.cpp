// tests/dns/cache_test.cpp — AnswerCache (filter/dns/cache.h): TTL expiry on an injected clock,
// per-type keys, the entry bound, the byte bound (large answers), LRU eviction and a
// multi-thread smoke test.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "filter/dns/cache.h"

namespace am::dns {
namespace {

TxtAnswer txtOf(std::string s) {
  TxtAnswer a;
  a.status = DnsStatus::Ok;
  a.records.push_back(std::move(s));
  return a;
}

TEST(AnswerCache, HitUntilTtlExpires) {
  FixedClock clock(1000);
  AnswerCache c(10, clock);
  c.put("e.org", 16, txtOf("v=spf1 -all"), 60);
  TxtAnswer got;
  ASSERT_TRUE(c.get("e.org", 16, got));
  EXPECT_EQ(got.records, std::vector<std::string>{"v=spf1 -all"});
  clock.set(1059);
  EXPECT_TRUE(c.get("e.org", 16, got));
  clock.set(1060);
  EXPECT_FALSE(c.get("e.org", 16, got));
  EXPECT_EQ(c.size(), 0u);  // the expired entry was dropped
}

TEST(AnswerCache, ZeroTtlAndZeroCapacityStoreNothing) {
  FixedClock clock(0);
  AnswerCache c(10, clock);
  c.put("e.org", 16, txtOf("x"), 0);
  EXPECT_EQ(c.size(), 0u);
  AnswerCache off(0, clock);
  off.put("e.org", 16, txtOf("x"), 60);
  TxtAnswer got;
  EXPECT_FALSE(off.get("e.org", 16, got));
}

TEST(AnswerCache, TypeIsPartOfTheKey) {
  FixedClock clock(0);
  AnswerCache c(10, clock);
  AddrAnswer a;
  a.status = DnsStatus::NoData;
  c.put("e.org", 1, a, 60);
  TxtAnswer t;
  EXPECT_FALSE(c.get("e.org", 16, t));
  AddrAnswer back;
  ASSERT_TRUE(c.get("e.org", 1, back));
  EXPECT_EQ(back.status, DnsStatus::NoData);
}

TEST(AnswerCache, NegativeAnswersAreCachedToo) {
  FixedClock clock(0);
  AnswerCache c(10, clock);
  MxAnswer nx;
  nx.status = DnsStatus::NxDomain;
  c.put("nope.e.org", 15, nx, 300);
  MxAnswer got;
  ASSERT_TRUE(c.get("nope.e.org", 15, got));
  EXPECT_EQ(got.status, DnsStatus::NxDomain);
}

TEST(AnswerCache, ReplaceKeepsOneEntry) {
  FixedClock clock(0);
  AnswerCache c(10, clock);
  c.put("e.org", 16, txtOf("old"), 60);
  c.put("e.org", 16, txtOf("new"), 60);
  EXPECT_EQ(c.size(), 1u);
  TxtAnswer got;
  ASSERT_TRUE(c.get("e.org", 16, got));
  EXPECT_EQ(got.records[0], "new");
}

TEST(AnswerCache, CapacityBoundIsRespected) {
  FixedClock clock(0);
  for (size_t cap : {1u, 5u, 17u, 100u}) {
    AnswerCache c(cap, clock);
    for (int i = 0; i < 1000; ++i) {
      std::string name = "n" + std::to_string(i) + ".e.org";
      c.put(name, 16, txtOf(name), 60);
      TxtAnswer got;
      EXPECT_TRUE(c.get(name, 16, got)) << "just inserted " << name;
    }
    EXPECT_LE(c.size(), cap);
    EXPECT_GT(c.size(), 0u);
  }
}

// 10,000 entries of up to 64 KB each could hold hundreds of MB: the byte bound must hold too.
TEST(AnswerCache, ByteBoundHoldsForManyLargeAnswers) {
  FixedClock clock(0);
  const size_t maxBytes = size_t{1} << 20;
  AnswerCache c(10000, clock, maxBytes);
  const std::string big(60000, 'k');
  for (int i = 0; i < 300; ++i) {
    std::string name = "k" + std::to_string(i) + "._domainkey.e.org";
    c.put(name, 16, txtOf(big), 600);
    TxtAnswer got;
    EXPECT_TRUE(c.get(name, 16, got)) << "just inserted " << name;
    ASSERT_LE(c.bytes(), maxBytes) << "after " << i + 1 << " answers";
  }
  EXPECT_GT(c.size(), 0u);
  EXPECT_LE(c.size() * big.size(), maxBytes);  // the payload alone bounds the entry count
}

TEST(AnswerCache, BytesFollowReplaceExpiryAndEviction) {
  FixedClock clock(0);
  AnswerCache c(1, clock, 1 << 20);  // one shard of one entry
  c.put("a.e.org", 16, txtOf(std::string(5000, 'a')), 60);
  size_t big = c.bytes();
  EXPECT_GE(big, 5000u);
  c.put("a.e.org", 16, txtOf("short"), 60);  // replace: the old cost is released
  EXPECT_LT(c.bytes(), big - 4000);
  c.put("b.e.org", 16, txtOf(std::string(3000, 'b')), 10);  // evicts a
  EXPECT_EQ(c.size(), 1u);
  EXPECT_GE(c.bytes(), 3000u);
  EXPECT_LT(c.bytes(), 3000u + 1000);
  clock.set(10);
  TxtAnswer got;
  EXPECT_FALSE(c.get("b.e.org", 16, got));  // expired and dropped
  EXPECT_EQ(c.bytes(), 0u);
}

TEST(AnswerCache, AnswerLargerThanAShardIsNotStored) {
  FixedClock clock(0);
  AnswerCache c(100, clock, 16 * 4096);  // 16 shards of 4 KB
  c.put("small.e.org", 16, txtOf("x"), 60);
  c.put("huge.e.org", 16, txtOf(std::string(8000, 'h')), 60);
  TxtAnswer got;
  EXPECT_FALSE(c.get("huge.e.org", 16, got));
  EXPECT_TRUE(c.get("small.e.org", 16, got));
  EXPECT_LE(c.bytes(), c.maxBytes());
}

TEST(AnswerCache, LeastRecentlyUsedIsEvicted) {
  FixedClock clock(0);
  AnswerCache c(1, clock);  // one shard of one entry
  c.put("a.e.org", 16, txtOf("a"), 60);
  c.put("b.e.org", 16, txtOf("b"), 60);
  TxtAnswer got;
  EXPECT_FALSE(c.get("a.e.org", 16, got));
  EXPECT_TRUE(c.get("b.e.org", 16, got));
}

TEST(AnswerCache, ManyThreadsStayConsistent) {
  FixedClock clock(0);
  AnswerCache c(64, clock);
  std::atomic<int> wrong{0}, hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3000; ++i) {
        std::string name = "h" + std::to_string((i * 7 + t) % 200) + ".e.org";
        TxtAnswer got;
        if (c.get(name, 16, got)) {
          ++hits;
          if (got.records.size() != 1 || got.records[0] != name) ++wrong;
        } else {
          c.put(name, 16, txtOf(name), 60);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(hits.load(), 0);
  EXPECT_LE(c.size(), 64u);
}

}  // namespace
}  // namespace am::dns
