// tests/reports/pg_store_test.cpp — the PostgreSQL store against a real PostgreSQL 15 started for
// this suite (tests/support/pgserver): aggregation on write, policies, deliveries and retention,
// the schema version, several writers at once (threads, each with its own connection) adding to
// the same rows without losing a count, and a server that stops answering giving an error value.
#include <gtest/gtest.h>

#include <thread>

#include "reports/store.h"
#include "tests/support/pgserver/pg_server.h"

using namespace am::reports;

namespace {

std::unique_ptr<am::testing::PgServer> server;

struct PgStoreTest : ::testing::Test {
  static void SetUpTestSuite() {
    std::string err;
    server = am::testing::PgServer::start(&err);
    ASSERT_TRUE(server) << err;
  }
  static void TearDownTestSuite() { server.reset(); }
  void SetUp() override { ASSERT_TRUE(server); }
  std::unique_ptr<Store> open() {
    std::string err;
    auto s = openStore(server->uri(), &err);
    EXPECT_TRUE(s) << err;
    return s;
  }
};

Record rec(int64_t t, const std::string& domain, const std::string& ip) {
  Record r;
  r.time = t;
  r.reportDomain = r.headerFrom = r.envelopeFrom = r.spfDomain = domain;
  r.sourceIp = ip;
  r.published.p = "reject";
  r.published.rua = {"mailto:d@" + domain};
  r.dmarcResult = "pass", r.disposition = "none", r.dkimAligned = "pass", r.spfAligned = "pass", r.spfResult = "pass";
  r.dkim = {{domain, "s1", "pass"}};
  return r;
}

}  // namespace

TEST_F(PgStoreTest, AggregatesPoliciesDeliveriesAndRetention) {
  auto s = open();
  ASSERT_TRUE(s);
  const int64_t t = 1700000000, day = 1699920000;
  ASSERT_EQ(s->add({rec(t, "a.example", "192.0.2.1"), rec(t + 5, "a.example", "192.0.2.1"),
                    rec(t + 9, "a.example", "2001:db8::1")}),
            "");
  std::vector<AggregateRow> rows;
  ASSERT_EQ(s->rows(hourOf(t), hourOf(t) + 3600, rows), "");
  ASSERT_EQ(rows.size(), 2u);
  uint64_t total = 0;
  for (auto& r : rows) total += r.count;
  EXPECT_EQ(total, 3u);
  EXPECT_EQ(decodeDkim(rows[0].key.dkim).size(), 1u);
  std::vector<PolicyRow> pols;
  ASSERT_EQ(s->policies(hourOf(t), hourOf(t) + 3600, pols), "");
  ASSERT_EQ(pols.size(), 1u);
  EXPECT_EQ(pols[0].published.rua, std::vector<std::string>{"mailto:d@a.example"});
  ASSERT_EQ(s->markDelivery({"a.example", day, day + 86400, "mailto:d@a.example", "failed", "451", 1}), "");
  ASSERT_EQ(s->expire(day + 86400), "");
  rows.clear();
  ASSERT_EQ(s->rows(day, day + 86400, rows), "");
  EXPECT_EQ(rows.size(), 2u);  // still to retry: kept
  ASSERT_EQ(s->markDelivery({"a.example", day, day + 86400, "mailto:d@a.example", "sent", "250", 2}), "");
  std::vector<Delivery> ds;
  ASSERT_EQ(s->deliveries(ds), "");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].status, "sent");
  ASSERT_EQ(s->expire(day + 86400), "");
  rows.clear();
  ASSERT_EQ(s->rows(day, day + 86400, rows), "");
  EXPECT_TRUE(rows.empty());
}

TEST_F(PgStoreTest, ConcurrentWritersLoseNoCount) {
  const int64_t t = 1700100000;
  std::vector<std::thread> ts;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w)
    ts.emplace_back([&, w] {
      std::string err;
      auto s = openStore(server->uri(), &err);
      if (!s) return void(++failures);
      for (int b = 0; b < 20; ++b) {
        std::vector<Record> batch;
        for (int i = 0; i < 10; ++i) batch.push_back(rec(t + i, i % 2 ? "c.example" : "d.example", "192.0.2." + std::to_string(i % 3)));
        if (!s->add(batch).empty()) ++failures;
      }
      (void)w;
    });
  for (auto& th : ts) th.join();
  EXPECT_EQ(failures, 0);
  auto s = open();
  std::vector<AggregateRow> rows;
  ASSERT_EQ(s->rows(hourOf(t), hourOf(t) + 3600, rows), "");
  uint64_t total = 0;
  for (auto& r : rows) total += r.count;
  EXPECT_EQ(total, 4u * 20 * 10);
  EXPECT_EQ(rows.size(), 6u);
}

TEST_F(PgStoreTest, AServerThatStopsAnsweringGivesAnErrorValueNotAHang) {
  std::string err;
  ASSERT_TRUE(server->pause());
  auto s = openStore(server->uri() + "&connect_timeout=2", &err);
  server->resume();
  EXPECT_FALSE(s);
  EXPECT_NE(err.find("postgresql:"), std::string::npos) << err;
  EXPECT_TRUE(open());  // and back
}
