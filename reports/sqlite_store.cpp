// reports/sqlite_store.cpp — see sqlite_store.h.
#include "reports/sqlite_store.h"

#include <sqlite3.h>

#include "reports/batch.h"
#include "reports/schema.h"

namespace am::reports {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

std::string errorOf(sqlite3* db, const char* what) { return std::string(what) + ": " + sqlite3_errmsg(db); }

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  std::string add(const std::vector<Record>& batch) override {
    BatchRows merged = mergeBatch(batch);
    if (auto e = exec("BEGIN IMMEDIATE"); !e.empty()) return e;
    std::string err = writeRows(merged.rows);
    if (err.empty()) err = writePolicies(merged.policies);
    if (err.empty()) err = exec("COMMIT");
    if (!err.empty()) exec("ROLLBACK");
    return err;
  }

  std::string rows(int64_t begin, int64_t end, std::vector<AggregateRow>& out) override {
    StmtPtr s;
    if (auto e = prepare(schema::kSelectRows, s); !e.empty()) return e;
    sqlite3_bind_int64(s.get(), 1, begin);
    sqlite3_bind_int64(s.get(), 2, end);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      AggregateRow r;
      AggregateKey& k = r.key;
      k.reportDomain = col(s, 0);
      k.hour = sqlite3_column_int64(s.get(), 1);
      std::string* texts[] = {&k.sourceIp, &k.headerFrom, &k.envelopeFrom, &k.envelopeTo, &k.dmarcResult,
                              &k.disposition, &k.dkimAligned, &k.spfAligned, &k.overrideReason, &k.dkim,
                              &k.spfDomain, &k.spfScope, &k.spfResult};
      for (int i = 0; i < 13; ++i) *texts[i] = col(s, 2 + i);
      r.count = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 15));
      out.push_back(std::move(r));
    }
    return rc == SQLITE_DONE ? "" : errorOf(db_.get(), "reading aggregate rows");
  }

  std::string policies(int64_t begin, int64_t end, std::vector<PolicyRow>& out) override {
    StmtPtr s;
    if (auto e = prepare(schema::kSelectPolicies, s); !e.empty()) return e;
    sqlite3_bind_int64(s.get(), 1, begin);
    sqlite3_bind_int64(s.get(), 2, end);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      PolicyRow r;
      r.reportDomain = col(s, 0);
      r.hour = sqlite3_column_int64(s.get(), 1);
      PublishedPolicy& p = r.published;
      p.p = col(s, 2), p.sp = col(s, 3), p.np = col(s, 4), p.adkim = col(s, 5), p.aspf = col(s, 6);
      p.pct = static_cast<unsigned>(sqlite3_column_int64(s.get(), 7));
      p.fo = col(s, 8), p.testing = col(s, 9), p.psd = col(s, 10), p.discovery = col(s, 11);
      p.rua = decodeList(col(s, 12));
      p.ruf = decodeList(col(s, 13));
      out.push_back(std::move(r));
    }
    return rc == SQLITE_DONE ? "" : errorOf(db_.get(), "reading published policies");
  }

  std::string expire(int64_t before) override {
    if (auto e = exec("BEGIN IMMEDIATE"); !e.empty()) return e;
    std::string err;
    for (const char* sql : {schema::kExpireRows, schema::kExpirePolicies, schema::kExpireDeliveries}) {
      StmtPtr s;
      if (err.empty()) err = prepare(sql, s);
      if (!err.empty()) break;
      sqlite3_bind_int64(s.get(), 1, before);
      if (sqlite3_step(s.get()) != SQLITE_DONE) err = errorOf(db_.get(), "expiring old rows");
    }
    if (err.empty()) err = exec("COMMIT");
    if (!err.empty()) exec("ROLLBACK");
    return err;
  }

  std::string deliveries(std::vector<Delivery>& out) override {
    StmtPtr s;
    if (auto e = prepare(schema::kSelectDeliveries, s); !e.empty()) return e;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
      out.push_back({col(s, 0), sqlite3_column_int64(s.get(), 1), sqlite3_column_int64(s.get(), 2), col(s, 3), col(s, 4),
                     col(s, 5), sqlite3_column_int64(s.get(), 6)});
    return rc == SQLITE_DONE ? "" : errorOf(db_.get(), "reading deliveries");
  }

  std::string markDelivery(const Delivery& d) override {
    StmtPtr s;
    if (auto e = prepare(schema::kSetDelivery, s); !e.empty()) return e;
    bind(s, 1, d.reportDomain);
    sqlite3_bind_int64(s.get(), 2, d.begin);
    sqlite3_bind_int64(s.get(), 3, d.end);
    bind(s, 4, d.destination), bind(s, 5, d.status), bind(s, 6, d.detail);
    sqlite3_bind_int64(s.get(), 7, d.at);
    return sqlite3_step(s.get()) == SQLITE_DONE ? "" : errorOf(db_.get(), "marking a delivery");
  }

  std::string exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &msg) == SQLITE_OK) return "";
    std::string e = std::string(sql).substr(0, 40) + ": " + (msg ? msg : sqlite3_errmsg(db_.get()));
    sqlite3_free(msg);
    return e;
  }

  std::string prepare(const char* sql, StmtPtr& out) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &s, nullptr);
    out.reset(s);
    return rc == SQLITE_OK ? "" : errorOf(db_.get(), "prepare");
  }

 private:
  static std::string col(const StmtPtr& s, int i) {
    auto* t = sqlite3_column_text(s.get(), i);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s.get(), i)) : std::string();
  }
  static void bind(const StmtPtr& s, int i, const std::string& v) {
    sqlite3_bind_text(s.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // For the batch statements: `v` outlives the step, and the bindings are cleared right after it,
  // so SQLite needs no copy.
  static void bindStatic(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // `cached` is prepared once per connection and reset (bindings cleared) for each use.
  std::string reuse(const char* sql, StmtPtr& cached) {
    if (!cached) return prepare(sql, cached);
    sqlite3_reset(cached.get());
    sqlite3_clear_bindings(cached.get());
    return "";
  }

  std::string writeRows(const std::vector<MergedRow>& rows) {
    if (auto e = reuse(schema::kAddRow, addRow_); !e.empty()) return e;
    sqlite3_stmt* s = addRow_.get();
    std::string err;
    for (auto& [k, n] : rows) {
      bindStatic(s, 1, k.reportDomain);
      sqlite3_bind_int64(s, 2, k.hour);
      const std::string* texts[] = {&k.sourceIp, &k.headerFrom, &k.envelopeFrom, &k.envelopeTo, &k.dmarcResult,
                                    &k.disposition, &k.dkimAligned, &k.spfAligned, &k.overrideReason, &k.dkim,
                                    &k.spfDomain, &k.spfScope, &k.spfResult};
      for (int i = 0; i < 13; ++i) bindStatic(s, 3 + i, *texts[i]);
      sqlite3_bind_int64(s, 16, static_cast<int64_t>(n));
      if (sqlite3_step(s) != SQLITE_DONE) err = errorOf(db_.get(), "writing aggregate rows");
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
      if (!err.empty()) break;
    }
    return err;
  }

  std::string writePolicies(const std::vector<MergedPolicy>& pols) {
    if (auto e = reuse(schema::kSetPolicy, setPolicy_); !e.empty()) return e;
    sqlite3_stmt* s = setPolicy_.get();
    std::string err;
    for (auto& m : pols) {
      const PublishedPolicy& p = *m.published;
      const std::string rua = encodeList(p.rua), ruf = encodeList(p.ruf);
      bindStatic(s, 1, *m.reportDomain);
      sqlite3_bind_int64(s, 2, m.hour);
      bindStatic(s, 3, p.p), bindStatic(s, 4, p.sp), bindStatic(s, 5, p.np), bindStatic(s, 6, p.adkim);
      bindStatic(s, 7, p.aspf);
      sqlite3_bind_int64(s, 8, p.pct);
      bindStatic(s, 9, p.fo), bindStatic(s, 10, p.testing), bindStatic(s, 11, p.psd), bindStatic(s, 12, p.discovery);
      bindStatic(s, 13, rua), bindStatic(s, 14, ruf);
      if (sqlite3_step(s) != SQLITE_DONE) err = errorOf(db_.get(), "writing published policies");
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
      if (!err.empty()) break;
    }
    return err;
  }

  DbPtr db_;
  StmtPtr addRow_, setPolicy_;  // the batch statements, prepared at first use (declared after db_:
                                // finalized before the connection closes)
};

// Brings the schema to schema::kVersion in one IMMEDIATE transaction (another process doing the
// same waits on the lock, then finds the work done).
std::string upgrade(SqliteStore& st) {
  if (auto e = st.exec(schema::kVersionTable); !e.empty()) return e;
  if (auto e = st.exec("BEGIN IMMEDIATE"); !e.empty()) return e;
  long version = 0;
  bool hasRow = false;
  StmtPtr s;
  std::string err = st.prepare("SELECT version FROM schema_version", s);
  if (err.empty() && sqlite3_step(s.get()) == SQLITE_ROW) version = sqlite3_column_int64(s.get(), 0), hasRow = true;
  s.reset();
  if (err.empty() && version > schema::kVersion)
    err = "the report store has schema version " + std::to_string(version) + ", newer than this program's " +
          std::to_string(schema::kVersion);
  for (long v = version; err.empty() && v < schema::kVersion; ++v) err = st.exec(schema::kMigrations[v]);
  if (err.empty() && version != schema::kVersion) {
    std::string set = hasRow ? "UPDATE schema_version SET version = " : "INSERT INTO schema_version VALUES (";
    set += std::to_string(schema::kVersion) + (hasRow ? "" : ")");
    err = st.exec(set.c_str());
  }
  if (err.empty()) err = st.exec("COMMIT");
  if (!err.empty()) st.exec("ROLLBACK");
  return err;
}

}  // namespace

std::unique_ptr<Store> openSqliteStore(const std::string& path, std::string* err) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    *err = "sqlite:" + path + ": " + (raw ? sqlite3_errmsg(raw) : "cannot open");
    return nullptr;
  }
  sqlite3_busy_timeout(db.get(), 5000);
  auto st = std::make_unique<SqliteStore>(std::move(db));
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"})
    if (auto e = st->exec(pragma); !e.empty()) return *err = "sqlite:" + path + ": " + e, nullptr;
  if (auto e = upgrade(*st); !e.empty()) return *err = "sqlite:" + path + ": " + e, nullptr;
  return st;
}

}  // namespace am::reports
