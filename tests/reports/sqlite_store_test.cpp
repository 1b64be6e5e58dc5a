// tests/reports/sqlite_store_test.cpp — the SQLite store on real files: aggregation on write,
// the published policy per hour, the schema version, reopening, a newer schema refused, retention,
// a locked or read-only database (an error value within the busy timeout, never a crash), a reader while another connection writes,
// a batch of repeated and distinct keys (one row per key, exact counts; mergeBatch itself), a batch failing midway (nothing kept).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "reports/batch.h"
#include "reports/schema.h"
#include "reports/store.h"

using namespace am::reports;

namespace {

struct SqliteStoreTest : ::testing::Test {
  std::string dir, path;
  void SetUp() override {
    char tmpl[] = "/tmp/am-reports-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/reports.db";
  }
  void TearDown() override {
    chmod(dir.c_str(), 0700);
    std::system(("rm -rf " + dir).c_str());
  }
  std::unique_ptr<Store> open() {
    std::string err;
    auto s = openStore("sqlite:" + path, &err);
    EXPECT_TRUE(s) << err;
    return s;
  }
  long long scalar(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }
};

Record rec(int64_t t, const std::string& ip, const std::string& disposition = "none") {
  Record r;
  r.time = t;
  r.reportDomain = "example.com";
  r.sourceIp = ip;
  r.headerFrom = "example.com";
  r.envelopeFrom = "example.com";
  r.envelopeTo = "mx.test";
  r.published.p = "reject";
  r.published.rua = {"mailto:dmarc@example.com"};
  r.published.discovery = "treewalk";
  r.dmarcResult = disposition == "none" ? "pass" : "fail";
  r.disposition = disposition;
  r.dkimAligned = r.spfAligned = disposition == "none" ? "pass" : "fail";
  r.dkim = {{"example.com", "s1", disposition == "none" ? "pass" : "fail"}};
  r.spfDomain = "example.com";
  r.spfResult = "pass";
  return r;
}

}  // namespace

TEST_F(SqliteStoreTest, RecordsAreAggregatedAsTheyAreWritten) {
  auto s = open();
  ASSERT_TRUE(s);
  const int64_t t = 1700000000;  // hour 1699999200
  ASSERT_EQ(s->add({rec(t, "192.0.2.1"), rec(t + 10, "192.0.2.1"), rec(t + 20, "192.0.2.2")}), "");
  ASSERT_EQ(s->add({rec(t + 30, "192.0.2.1"), rec(t + 40, "192.0.2.1", "reject")}), "");
  ASSERT_EQ(s->add({rec(t + 3600, "192.0.2.1")}), "");  // the next hour
  std::vector<AggregateRow> rows;
  ASSERT_EQ(s->rows(1699999200, 1699999200 + 3600, rows), "");
  ASSERT_EQ(rows.size(), 3u);
  uint64_t total = 0, pass1 = 0;
  for (auto& r : rows) {
    total += r.count;
    if (r.key.sourceIp == "192.0.2.1" && r.key.disposition == "none") pass1 = r.count;
    EXPECT_EQ(r.key.hour, 1699999200);
  }
  EXPECT_EQ(total, 5u);
  EXPECT_EQ(pass1, 3u);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM aggregate_rows"), 4);
  rows.clear();
  ASSERT_EQ(s->rows(1699999200, 1699999200 + 7200, rows), "");
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(decodeDkim(rows[0].key.dkim).size(), 1u);
}

TEST_F(SqliteStoreTest, ThePolicyLastPublishedInAnHourIsKept) {
  auto s = open();
  ASSERT_TRUE(s);
  Record a = rec(1700000000, "192.0.2.1");
  Record b = rec(1700000100, "192.0.2.1");
  b.published.p = "quarantine";
  b.published.rua = {"mailto:a@example.com", "mailto:b@example.net!10m"};
  ASSERT_EQ(s->add({a}), "");
  ASSERT_EQ(s->add({b}), "");
  std::vector<PolicyRow> pols;
  ASSERT_EQ(s->policies(0, 1800000000, pols), "");
  ASSERT_EQ(pols.size(), 1u);
  EXPECT_EQ(pols[0].published, b.published);
}

TEST_F(SqliteStoreTest, SchemaVersionIsWrittenAndReopeningKeepsTheData) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_EQ(s->add({rec(1700000000, "192.0.2.1")}), "");
  }
  EXPECT_EQ(scalar("SELECT version FROM schema_version"), 2);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM schema_version"), 1);
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_EQ(s->add({rec(1700000000, "192.0.2.1")}), "");
  EXPECT_EQ(scalar("SELECT count FROM aggregate_rows"), 2);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, ANewerSchemaIsRefused) {
  { ASSERT_TRUE(open()); }
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string err;
  EXPECT_FALSE(openStore("sqlite:" + path, &err));
  EXPECT_NE(err.find("schema version 99"), std::string::npos) << err;
}

TEST_F(SqliteStoreTest, RetentionDeletesOldHoursOnlyOnceReportedAndNothingToRetry) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_EQ(s->add({rec(1700000000, "192.0.2.1"), rec(1700000000 + 86400, "192.0.2.1")}), "");
  const int64_t day = 1699920000;  // the UTC day of 1700000000
  ASSERT_EQ(s->expire(day + 86400), "");  // never reported: kept
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM aggregate_rows"), 2);
  Delivery d{"example.com", day, day + 86400, "mailto:a@example.com", "failed", "451 try later", 1};
  ASSERT_EQ(s->markDelivery(d), "");
  Delivery refused = d;
  refused.destination = "mailto:b@other.example";
  refused.status = "refused";
  ASSERT_EQ(s->markDelivery(refused), "");
  ASSERT_EQ(s->expire(day + 86400), "");  // a delivery still to retry: kept
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM aggregate_rows"), 2);
  d.status = "sent";
  ASSERT_EQ(s->markDelivery(d), "");
  std::vector<Delivery> ds;
  ASSERT_EQ(s->deliveries(ds), "");
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].status, "sent");
  ASSERT_EQ(s->expire(day + 86400), "");
  std::vector<AggregateRow> rows;
  ASSERT_EQ(s->rows(0, 1900000000, rows), "");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key.hour, hourOf(1700000000 + 86400));
  std::vector<PolicyRow> pols;
  ASSERT_EQ(s->policies(0, 1900000000, pols), "");
  EXPECT_EQ(pols.size(), 1u);
  ds.clear();
  ASSERT_EQ(s->deliveries(ds), "");
  EXPECT_TRUE(ds.empty());  // the marks of a period without rows go too
}

TEST_F(SqliteStoreTest, ALockedOrReadOnlyDatabaseGivesAnErrorValue) {
  if (geteuid() == 0) {
    // root ignores file modes: make the database read-only the way SQLite sees it instead.
    { ASSERT_TRUE(open()); }
    std::string err;
    auto s = openStore("sqlite:" + path, &err);
    ASSERT_TRUE(s) << err;
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);  // a writer that never ends
    auto t0 = std::chrono::steady_clock::now();
    std::string e = s->add({rec(1700000000, "192.0.2.1")});
    EXPECT_NE(e, "");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));  // the busy timeout bounds it
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    EXPECT_EQ(s->add({rec(1700000000, "192.0.2.1")}), "");  // usable again
    return;
  }
  { ASSERT_TRUE(open()); }
  chmod(path.c_str(), 0400);
  std::string err;
  auto s = openStore("sqlite:" + path, &err);
  if (s) EXPECT_NE(s->add({rec(1700000000, "192.0.2.1")}), "");
  else EXPECT_NE(err, "");
}

TEST_F(SqliteStoreTest, AReaderSeesCommittedRowsWhileAnotherConnectionWrites) {
  auto writer = open();
  auto reader = open();
  ASSERT_TRUE(writer && reader);
  ASSERT_EQ(writer->add({rec(1700000000, "192.0.2.1")}), "");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);  // a write in progress
  sqlite3_exec(db, "UPDATE aggregate_rows SET count = 50", nullptr, nullptr, nullptr);
  std::vector<AggregateRow> rows;
  ASSERT_EQ(reader->rows(0, 1900000000, rows), "");  // WAL: not blocked by the writer
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 1u);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  rows.clear();
  ASSERT_EQ(reader->rows(0, 1900000000, rows), "");
  EXPECT_EQ(rows[0].count, 50u);
}

TEST(StoreUri, OnlyWellFormedValuesAreAccepted) {
  std::string why;
  EXPECT_TRUE(validStoreUri("sqlite:/var/lib/authmilter/reports.db", &why));
  EXPECT_FALSE(validStoreUri("sqlite:reports.db", &why));
  EXPECT_TRUE(validStoreUri("postgresql://am@db.example/reports", &why));
  EXPECT_TRUE(validStoreUri("postgres://am@/reports?host=/run/postgresql", &why));
  EXPECT_FALSE(validStoreUri("mysql://localhost/x", &why));
  EXPECT_FALSE(validStoreUri("", &why));
}

TEST_F(SqliteStoreTest, AVersionOneStoreIsUpgradedKeepingItsRows) {
  {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    std::string v1 = std::string(am::reports::schema::kVersionTable) + ";" + am::reports::schema::kMigrations[0] +
                     ";INSERT INTO schema_version VALUES (1);"
                     "INSERT INTO aggregate_rows VALUES ('example.com', 1699999200, '192.0.2.9', 'example.com', '', '',"
                     " 'pass', 'none', 'pass', 'pass', '', '', 'example.com', 'mfrom', 'pass', 4)";
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(scalar("SELECT version FROM schema_version"), 2);
  EXPECT_EQ(scalar("SELECT count FROM aggregate_rows"), 4);
  std::vector<Delivery> ds;
  EXPECT_EQ(s->deliveries(ds), "");
}

namespace {

// One batch as the recorder hands it over under load: many records of few senders, a policy that
// changes within the hour, and a record of the next hour.
std::vector<Record> mixedBatch(int64_t t) {
  std::vector<Record> b;
  for (int i = 0; i < 200; ++i) b.push_back(rec(t + i % 50, "192.0.2.1"));             // key A x200
  for (int i = 0; i < 60; ++i) b.push_back(rec(t + i, i % 2 ? "192.0.2.2" : "192.0.2.3"));  // B, C x30
  for (int i = 0; i < 39; ++i) b.push_back(rec(t + i, "192.0.2.1", "reject"));          // D x39
  b.push_back(rec(t + 3600, "192.0.2.1"));                                               // E x1, next hour
  b[150].published.p = "quarantine";  // the hour's last published policy is b[298]'s ("reject")
  b.back().published.p = "none";      // the next hour's only one
  return b;
}

std::map<std::string, uint64_t> countsBySender(Store& s, int64_t begin, int64_t end) {
  std::vector<AggregateRow> rows;
  EXPECT_EQ(s.rows(begin, end, rows), "");
  std::map<std::string, uint64_t> out;
  for (auto& r : rows) out[r.key.sourceIp + " " + r.key.disposition + " " + std::to_string(r.key.hour)] += r.count;
  return out;
}

}  // namespace

TEST(BatchMerge, OneRowPerKeyWithItsCountAndTheLastPolicyPerHourInKeyOrder) {
  const int64_t t = 1700000000, h = hourOf(t);
  std::vector<Record> b = mixedBatch(t);
  BatchRows m = mergeBatch(b);
  ASSERT_EQ(m.rows.size(), 5u);
  uint64_t total = 0;
  for (size_t i = 0; i < m.rows.size(); ++i) {
    total += m.rows[i].count;
    if (i) EXPECT_LT(m.rows[i - 1].key, m.rows[i].key);  // the lock order of the stores
  }
  EXPECT_EQ(total, b.size());
  std::map<AggregateKey, uint64_t> want;
  for (auto& r : b) ++want[keyOf(r)];
  for (auto& row : m.rows) EXPECT_EQ(row.count, want[row.key]);
  ASSERT_EQ(m.policies.size(), 2u);
  EXPECT_EQ(m.policies[0].hour, h);
  EXPECT_EQ(m.policies[0].published, &b[b.size() - 2].published);  // the last of that hour
  EXPECT_EQ(m.policies[1].hour, h + 3600);
  EXPECT_EQ(m.policies[1].published->p, "none");
}

TEST_F(SqliteStoreTest, ABatchWithRepeatedAndDistinctKeysGivesExactCounts) {
  auto s = open();
  ASSERT_TRUE(s);
  const int64_t t = 1700000000, h = hourOf(t);
  ASSERT_EQ(s->add(mixedBatch(t)), "");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM aggregate_rows"), 5);
  EXPECT_EQ(scalar("SELECT SUM(count) FROM aggregate_rows"), 300);
  auto c = countsBySender(*s, h, h + 7200);
  const std::string hs = std::to_string(h), next = std::to_string(h + 3600);
  EXPECT_EQ(c, (std::map<std::string, uint64_t>{{"192.0.2.1 none " + hs, 200},
                                                 {"192.0.2.2 none " + hs, 30},
                                                 {"192.0.2.3 none " + hs, 30},
                                                 {"192.0.2.1 reject " + hs, 39},
                                                 {"192.0.2.1 none " + next, 1}}));
  std::vector<PolicyRow> pols;
  ASSERT_EQ(s->policies(h, h + 7200, pols), "");
  ASSERT_EQ(pols.size(), 2u);
  EXPECT_EQ(pols[0].published.p, "reject");
  EXPECT_EQ(pols[1].published.p, "none");
  // The same statements again, on the same connection: counts add up exactly.
  ASSERT_EQ(s->add(mixedBatch(t)), "");
  ASSERT_EQ(s->add({rec(t, "192.0.2.1")}), "");
  c = countsBySender(*s, h, h + 7200);
  EXPECT_EQ(c["192.0.2.1 none " + hs], 401u);
  EXPECT_EQ(c["192.0.2.3 none " + hs], 60u);
  EXPECT_EQ(scalar("SELECT SUM(count) FROM aggregate_rows"), 601);
}

TEST_F(SqliteStoreTest, ABatchFailingMidwayLeavesNothingAndTheNextIsExact) {
  auto s = open();
  ASSERT_TRUE(s);
  const int64_t t = 1700000000, h = hourOf(t);
  ASSERT_EQ(s->add(mixedBatch(t)), "");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  // Refuses the upsert of one sender: the batch fails after other rows of it were written.
  ASSERT_EQ(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE UPDATE ON aggregate_rows WHEN NEW.source_ip = '192.0.2.3'"
                             " BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::string e = s->add(mixedBatch(t));
  EXPECT_NE(e.find("refused for the test"), std::string::npos) << e;
  EXPECT_EQ(scalar("SELECT SUM(count) FROM aggregate_rows"), 300);  // all or nothing
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER refuse", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_EQ(s->add(mixedBatch(t)), "");  // the statements are usable after the failure
  auto c = countsBySender(*s, h, h + 7200);
  EXPECT_EQ(c["192.0.2.1 none " + std::to_string(h)], 400u);
  EXPECT_EQ(c["192.0.2.3 none " + std::to_string(h)], 60u);
  EXPECT_EQ(scalar("SELECT SUM(count) FROM aggregate_rows"), 600);
}
