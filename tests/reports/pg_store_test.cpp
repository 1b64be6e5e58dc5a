// tests/reports/pg_store_test.cpp — the PostgreSQL store against a real PostgreSQL 15 started for
// this suite (tests/support/pgserver): aggregation on write, policies, deliveries and retention,
// the schema version, several writers at once (threads, each with its own connection) adding to
// the same rows without losing a count, a server that stops answering giving an error value, a batch
// of repeated and distinct keys (exact counts, on one connection and on two), and a batch failing
// midway (nothing kept; the next one on the same connection exact).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
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

namespace {

// Many records of few senders in one batch (as under load), with a record of the next hour.
std::vector<Record> mixedBatch(int64_t t) {
  std::vector<Record> b;
  for (int i = 0; i < 200; ++i) b.push_back(rec(t + i % 50, "e.example", "192.0.2.1"));
  for (int i = 0; i < 60; ++i) b.push_back(rec(t + i, i % 2 ? "e.example" : "f.example", "192.0.2.2"));
  for (int i = 0; i < 39; ++i) b.push_back(rec(t + i, "e.example", "2001:db8::5"));
  b.push_back(rec(t + 3600, "e.example", "192.0.2.1"));
  b[100].published.p = "quarantine";  // e.example's last published policy of the hour is "reject"
  b.back().published.p = "none";
  return b;
}

// Runs SQL on a session of its own (the tests' trigger); true when the server accepted it.
bool execSql(const char* sql) {
  PGconn* c = PQconnectdb(server->uri().c_str());
  PGresult* r = PQexec(c, sql);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) ADD_FAILURE() << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  return ok;
}

std::map<std::string, uint64_t> counts(Store& s, int64_t begin, int64_t end) {
  std::vector<AggregateRow> rows;
  EXPECT_EQ(s.rows(begin, end, rows), "");
  std::map<std::string, uint64_t> out;
  for (auto& r : rows) out[r.key.reportDomain + " " + r.key.sourceIp + " " + std::to_string(r.key.hour - begin)] += r.count;
  return out;
}

}  // namespace

TEST_F(PgStoreTest, ABatchWithRepeatedAndDistinctKeysGivesExactCounts) {
  auto s = open();
  ASSERT_TRUE(s);
  const int64_t t = 1700200000, h = hourOf(t);
  ASSERT_EQ(s->add(mixedBatch(t)), "");
  const std::map<std::string, uint64_t> once = {{"e.example 192.0.2.1 0", 200},
                                                {"e.example 192.0.2.2 0", 30},
                                                {"f.example 192.0.2.2 0", 30},
                                                {"e.example 2001:db8::5 0", 39},
                                                {"e.example 192.0.2.1 3600", 1}};
  EXPECT_EQ(counts(*s, h, h + 7200), once);
  std::vector<PolicyRow> pols;
  ASSERT_EQ(s->policies(h, h + 7200, pols), "");
  ASSERT_EQ(pols.size(), 3u);
  EXPECT_EQ(pols[0].reportDomain, "e.example");
  EXPECT_EQ(pols[0].published.p, "reject");
  EXPECT_EQ(pols[1].published.p, "none");
  EXPECT_EQ(pols[2].reportDomain, "f.example");
  // Again on this connection (its prepared statements) and on a second one: exact sums.
  ASSERT_EQ(s->add(mixedBatch(t)), "");
  auto other = open();
  ASSERT_TRUE(other);
  ASSERT_EQ(other->add(mixedBatch(t)), "");
  auto c = counts(*s, h, h + 7200);
  for (auto& [k, n] : once) EXPECT_EQ(c[k], 3 * n) << k;
  EXPECT_EQ(c.size(), once.size());
}

TEST_F(PgStoreTest, ABatchFailingMidwayLeavesNothingAndTheNextOnTheSameConnectionIsExact) {
  auto s = open();
  ASSERT_TRUE(s);
  const int64_t t = 1700300000, h = hourOf(t);
  ASSERT_EQ(s->add(mixedBatch(t)), "");
  // Refuses updates of one sender's row: the batch fails after rows before it (in key order) were written.
  const char* refuse =
      "CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      " IF NEW.source_ip = '2001:db8::5' AND NEW.hour = 1700298000 THEN RAISE EXCEPTION 'refused for the test'; END IF;"
      " RETURN NEW; END $$;"
      "CREATE TRIGGER refuse BEFORE UPDATE ON aggregate_rows FOR EACH ROW EXECUTE FUNCTION refuse_for_test()";
  ASSERT_EQ(hourOf(t), 1700298000);
  ASSERT_TRUE(execSql(refuse));
  std::string e = s->add(mixedBatch(t));
  EXPECT_NE(e.find("refused for the test"), std::string::npos) << e;
  EXPECT_EQ(counts(*s, h, h + 7200)["e.example 192.0.2.1 0"], 200u);  // all or nothing
  ASSERT_TRUE(execSql("DROP TRIGGER refuse ON aggregate_rows; DROP FUNCTION refuse_for_test()"));
  ASSERT_EQ(s->add(mixedBatch(t)), "");  // the same connection, its statements still prepared
  auto c = counts(*s, h, h + 7200);
  EXPECT_EQ(c["e.example 192.0.2.1 0"], 400u);
  EXPECT_EQ(c["e.example 2001:db8::5 0"], 78u);
  EXPECT_EQ(c["f.example 192.0.2.2 0"], 60u);
}
