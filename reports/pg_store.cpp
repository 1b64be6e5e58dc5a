// reports/pg_store.cpp — see pg_store.h.
#include "reports/pg_store.h"

#include <libpq-fe.h>

#include <tuple>

#include "reports/batch.h"
#include "reports/schema.h"

namespace am::reports {
namespace {

struct ConnFinish {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnFinish>;
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;

constexpr const char* kUpgradeLock = "SELECT pg_advisory_lock(727100001)";
constexpr const char* kUpgradeUnlock = "SELECT pg_advisory_unlock(727100001)";

class PgStore final : public Store {
 public:
  explicit PgStore(ConnPtr c) : c_(std::move(c)) {}

  std::string exec(const char* sql) {
    ResultPtr r(PQexec(c_.get(), sql));
    auto st = PQresultStatus(r.get());
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "" : error(sql);
  }

  // Runs `sql` with text parameters; rows (if any) in *out.
  std::string run(const char* sql, const std::vector<std::string>& params, ResultPtr* out = nullptr) {
    std::vector<const char*> vals;
    for (auto& p : params) vals.push_back(p.c_str());
    ResultPtr r(PQexecParams(c_.get(), sql, static_cast<int>(vals.size()), nullptr, vals.data(), nullptr, nullptr, 0));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error(sql);
    if (out) *out = std::move(r);
    return "";
  }

  // One round trip per batch: BEGIN, the upserts (in key order) and COMMIT are sent as one pipeline
  // (libpq pipeline mode) and their results read after. A failing statement makes the server skip
  // the rest, COMMIT included; the transaction is then rolled back. Results are small (a few dozen
  // bytes per statement, at most 1,026 statements per batch), so the server never blocks on a full
  // socket while the client is still sending.
  std::string add(const std::vector<Record>& batch) override {
    BatchRows merged = mergeBatch(batch);
    if (auto e = prepareBatchStatements(); !e.empty()) return e;
    if (PQenterPipelineMode(c_.get()) != 1) return error("pipeline mode");
    int sent = 0;
    bool ok = send("BEGIN", nullptr, 0, sent);
    for (auto it = merged.rows.begin(); ok && it != merged.rows.end(); ++it) {  // in key order
      const AggregateKey& k = it->key;
      const std::string hour = std::to_string(k.hour), count = std::to_string(it->count);
      const char* vals[] = {k.reportDomain.c_str(), hour.c_str(), k.sourceIp.c_str(), k.headerFrom.c_str(),
                            k.envelopeFrom.c_str(), k.envelopeTo.c_str(), k.dmarcResult.c_str(),
                            k.disposition.c_str(), k.dkimAligned.c_str(), k.spfAligned.c_str(),
                            k.overrideReason.c_str(), k.dkim.c_str(), k.spfDomain.c_str(), k.spfScope.c_str(),
                            k.spfResult.c_str(), count.c_str()};
      ok = send(kAddRowName, vals, 16, sent);
    }
    for (auto it = merged.policies.begin(); ok && it != merged.policies.end(); ++it) {
      const PublishedPolicy& p = *it->published;
      const std::string hour = std::to_string(it->hour), pct = std::to_string(p.pct);
      const std::string rua = encodeList(p.rua), ruf = encodeList(p.ruf);
      const char* vals[] = {it->reportDomain->c_str(), hour.c_str(), p.p.c_str(), p.sp.c_str(), p.np.c_str(),
                            p.adkim.c_str(), p.aspf.c_str(), pct.c_str(), p.fo.c_str(), p.testing.c_str(),
                            p.psd.c_str(), p.discovery.c_str(), rua.c_str(), ruf.c_str()};
      ok = send(kSetPolicyName, vals, 14, sent);
    }
    if (ok) ok = send("COMMIT", nullptr, 0, sent);
    std::string err = ok ? "" : error("sending the batch");
    if (PQpipelineSync(c_.get()) != 1 && err.empty()) err = error("sending the batch");
    std::string first = collect(sent);
    if (err.empty()) err = first;
    if (PQexitPipelineMode(c_.get()) != 1 && err.empty()) err = error("pipeline mode");
    if (!err.empty()) exec("ROLLBACK");  // the transaction, if it began, is aborted: end it
    return err;
  }

  std::string rows(int64_t begin, int64_t end, std::vector<AggregateRow>& out) override {
    ResultPtr r;
    if (auto e = run(schema::kSelectRows, {std::to_string(begin), std::to_string(end)}, &r); !e.empty()) return e;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      AggregateRow row;
      AggregateKey& k = row.key;
      k.reportDomain = v(r, i, 0);
      k.hour = std::stoll(v(r, i, 1));
      std::string* texts[] = {&k.sourceIp, &k.headerFrom, &k.envelopeFrom, &k.envelopeTo, &k.dmarcResult,
                              &k.disposition, &k.dkimAligned, &k.spfAligned, &k.overrideReason, &k.dkim,
                              &k.spfDomain, &k.spfScope, &k.spfResult};
      for (int c = 0; c < 13; ++c) *texts[c] = v(r, i, 2 + c);
      row.count = std::stoull(v(r, i, 15));
      out.push_back(std::move(row));
    }
    return "";
  }

  std::string policies(int64_t begin, int64_t end, std::vector<PolicyRow>& out) override {
    ResultPtr r;
    if (auto e = run(schema::kSelectPolicies, {std::to_string(begin), std::to_string(end)}, &r); !e.empty()) return e;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      PolicyRow row;
      row.reportDomain = v(r, i, 0);
      row.hour = std::stoll(v(r, i, 1));
      PublishedPolicy& p = row.published;
      p.p = v(r, i, 2), p.sp = v(r, i, 3), p.np = v(r, i, 4), p.adkim = v(r, i, 5), p.aspf = v(r, i, 6);
      p.pct = static_cast<unsigned>(std::stoul(v(r, i, 7)));
      p.fo = v(r, i, 8), p.testing = v(r, i, 9), p.psd = v(r, i, 10), p.discovery = v(r, i, 11);
      p.rua = decodeList(v(r, i, 12));
      p.ruf = decodeList(v(r, i, 13));
      out.push_back(std::move(row));
    }
    return "";
  }

  std::string expire(int64_t before) override {
    if (auto e = exec("BEGIN"); !e.empty()) return e;
    std::string err;
    for (const char* sql : {schema::kExpireRows, schema::kExpirePolicies, schema::kExpireDeliveries})
      if (err.empty()) err = run(sql, {std::to_string(before)});
    if (err.empty()) err = exec("COMMIT");
    if (!err.empty()) exec("ROLLBACK");
    return err;
  }

  std::string deliveries(std::vector<Delivery>& out) override {
    ResultPtr r;
    if (auto e = run(schema::kSelectDeliveries, {}, &r); !e.empty()) return e;
    for (int i = 0; i < PQntuples(r.get()); ++i)
      out.push_back({v(r, i, 0), std::stoll(v(r, i, 1)), std::stoll(v(r, i, 2)), v(r, i, 3), v(r, i, 4), v(r, i, 5),
                     std::stoll(v(r, i, 6))});
    return "";
  }

  std::string markDelivery(const Delivery& d) override {
    return run(schema::kSetDelivery, {d.reportDomain, std::to_string(d.begin), std::to_string(d.end), d.destination,
                                      d.status, d.detail, std::to_string(d.at)});
  }

  // Brings the schema to schema::kVersion; one process at a time (advisory lock).
  std::string upgrade() {
    if (auto e = exec(kUpgradeLock); !e.empty()) return e;
    std::string err = exec(schema::kVersionTable);
    if (err.empty()) err = exec("BEGIN");
    long version = 0;
    bool hasRow = false;
    if (err.empty()) {
      ResultPtr r;
      err = run("SELECT version FROM schema_version", {}, &r);
      if (err.empty() && PQntuples(r.get()) > 0) version = std::stol(v(r, 0, 0)), hasRow = true;
    }
    if (err.empty() && version > schema::kVersion)
      err = "the report store has schema version " + std::to_string(version) + ", newer than this program's " +
            std::to_string(schema::kVersion);
    for (long ver = version; err.empty() && ver < schema::kVersion; ++ver) err = exec(schema::kMigrations[ver]);
    if (err.empty() && version != schema::kVersion)
      err = exec(((hasRow ? "UPDATE schema_version SET version = " : "INSERT INTO schema_version VALUES (") +
                  std::to_string(schema::kVersion) + (hasRow ? "" : ")"))
                     .c_str());
    if (err.empty()) err = exec("COMMIT");
    else exec("ROLLBACK");
    exec(kUpgradeUnlock);
    return err;
  }

 private:
  static constexpr const char* kAddRowName = "am_add_row";
  static constexpr const char* kSetPolicyName = "am_set_policy";

  // The batch statements are parsed and planned once per connection (server-side prepared
  // statements live as long as the session), not once per row.
  std::string prepareBatchStatements() {
    if (prepared_) return "";
    for (auto [name, sql, n] : {std::tuple{kAddRowName, schema::kAddRow, 16}, {kSetPolicyName, schema::kSetPolicy, 14}}) {
      ResultPtr r(PQprepare(c_.get(), name, sql, n, nullptr));
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return error(sql);
    }
    prepared_ = true;
    return "";
  }
  // Queues one statement of the pipeline: BEGIN/COMMIT as text, the batch statements by name.
  bool send(const char* nameOrSql, const char* const* vals, int n, int& sent) {
    int rc = vals ? PQsendQueryPrepared(c_.get(), nameOrSql, n, vals, nullptr, nullptr, 0)
                  : PQsendQueryParams(c_.get(), nameOrSql, 0, nullptr, nullptr, nullptr, nullptr, 0);
    sent += rc == 1;
    return rc == 1;
  }
  // Reads the results of `sent` statements and the sync; "" when all succeeded, else the first error.
  std::string collect(int sent) {
    std::string err;
    for (int i = 0; i < sent; ++i) {
      ResultPtr r(PQgetResult(c_.get()));
      if (!r) return err.empty() ? error("reading the batch's results") : err;  // connection lost
      auto st = PQresultStatus(r.get());
      if (st != PGRES_COMMAND_OK && err.empty())
        err = st == PGRES_PIPELINE_ABORTED ? "batch aborted" : trimmed(PQresultErrorMessage(r.get()));
      while (ResultPtr(PQgetResult(c_.get()))) {}  // the NULL that ends each statement's results
    }
    for (;;) {  // up to the sync
      ResultPtr r(PQgetResult(c_.get()));
      if (!r) return err.empty() ? error("reading the batch's results") : err;
      if (PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) break;
    }
    return err.empty() ? "" : "writing the batch: " + err;
  }
  static std::string trimmed(std::string m) {
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
  }

  static std::string v(const ResultPtr& r, int row, int col) {
    return PQgetisnull(r.get(), row, col) ? std::string() : std::string(PQgetvalue(r.get(), row, col));
  }
  std::string error(const char* sql) {
    std::string m = PQerrorMessage(c_.get());
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return std::string(sql).substr(0, 40) + ": " + m;
  }

  ConnPtr c_;
  bool prepared_ = false;  // the batch statements exist on this connection
};

}  // namespace

std::unique_ptr<Store> openPgStore(const std::string& conninfo, std::string* err) {
  ConnPtr c(PQconnectdb(conninfo.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    std::string m = c ? PQerrorMessage(c.get()) : "out of memory";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    *err = "postgresql: " + m;
    return nullptr;
  }
  auto st = std::make_unique<PgStore>(std::move(c));
  if (auto e = st->exec("SET client_min_messages = warning"); !e.empty()) return *err = "postgresql: " + e, nullptr;
  if (auto e = st->upgrade(); !e.empty()) return *err = "postgresql: " + e, nullptr;
  return st;
}

}  // namespace am::reports
