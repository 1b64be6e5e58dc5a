// reports/store.h — where aggregated DMARC report data is kept: one interface, implemented by
// SQLite (reports/sqlite_store.*, the embedded default) and PostgreSQL (reports/pg_store.*). Records are aggregated as they are
// written: one row per (report domain, UTC hour, source IP, result tuple) with a count, and one
// row per (report domain, hour) with the policy as last published, so the store grows with
// senders, not with messages. The schema is created and upgraded by the program (a version table).
// Thread-safety: one Store object is used by one thread at a time (the Recorder's writer, or
// `authmilter report`); several processes may share one database.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reports/record.h"

namespace am::reports {

struct AggregateRow {
  AggregateKey key;
  uint64_t count = 0;
};

struct PolicyRow {
  std::string reportDomain;
  int64_t hour = 0;
  PublishedPolicy published;
};

// What `authmilter report` did with one report for one destination.
struct Delivery {
  std::string reportDomain;
  int64_t begin = 0, end = 0;
  std::string destination;  // the rua URI as published; "" when the domain had no usable one
  std::string status;       // "sent" | "refused" | "failed"
  std::string detail;       // why (relay reply, "not authorized", "too large"...)
  int64_t at = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Adds the records of one batch in one transaction (all or nothing). "" on success, else why;
  // a store that lost its database tries to open it again on the next call.
  virtual std::string add(const std::vector<Record>& batch) = 0;
  // Reading, for `authmilter report`: rows with begin <= hour < end.
  virtual std::string rows(int64_t begin, int64_t end, std::vector<AggregateRow>& out) = 0;
  virtual std::string policies(int64_t begin, int64_t end, std::vector<PolicyRow>& out) = 0;
  // ReportRetention: deletes aggregated rows of hours before `before` whose period was reported
  // and has no delivery left to retry, then policies and delivery marks left without rows.
  virtual std::string expire(int64_t before) = 0;
  virtual std::string deliveries(std::vector<Delivery>& out) = 0;
  virtual std::string markDelivery(const Delivery& d) = 0;
};

// The SQLite file of "ReportStore sqlite" (or "sqlite:") without a path.
inline constexpr const char* kDefaultSqlitePath = "/var/lib/authmilter/reports.db";
// The store a ReportStore value names: "sqlite:/path/to/reports.db", "sqlite" (kDefaultSqlitePath)
// or a libpq URI "postgresql://user@host/db?..." (also "postgres://"). Null with *err when the
// value is malformed or the database cannot be opened or upgraded.
std::unique_ptr<Store> openStore(std::string_view uri, std::string* err);
// Whether a ReportStore value is well formed (config parsing; opens nothing).
bool validStoreUri(std::string_view uri, std::string* why);
// The file of a sqlite value ("sqlite" and "sqlite:" give kDefaultSqlitePath); "" for other values.
std::string sqliteStorePath(std::string_view uri);

}  // namespace am::reports
