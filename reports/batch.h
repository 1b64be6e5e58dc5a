// reports/batch.h — one batch of records as the stores write it: one row per distinct AggregateKey
// with the number of its records (one upsert per key, not per record), and one published policy
// per (report domain, hour), the last one of the batch (the batch is in arrival order). Both lists
// are in key order, the order in which every store takes its row locks (so that two PostgreSQL
// writers never deadlock). Header-only, used by reports/sqlite_store.cpp and reports/pg_store.cpp.
// Pure function; the policies point into the batch, which must outlive the result.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/record.h"

namespace am::reports {

struct MergedRow {
  AggregateKey key;
  uint64_t count = 0;
};

struct MergedPolicy {
  const std::string* reportDomain = nullptr;  // into the batch
  int64_t hour = 0;
  const PublishedPolicy* published = nullptr;  // into the batch: the last record of that domain and hour
};

struct BatchRows {
  std::vector<MergedRow> rows;          // ordered by key
  std::vector<MergedPolicy> policies;   // ordered by (report domain, hour)
};

inline BatchRows mergeBatch(const std::vector<Record>& batch) {
  std::map<AggregateKey, uint64_t> rows;
  std::map<std::pair<std::string_view, int64_t>, const Record*> pols;
  for (const Record& r : batch) {
    ++rows[keyOf(r)];
    pols[{r.reportDomain, hourOf(r.time)}] = &r;  // a later record of the same hour replaces it
  }
  BatchRows out;
  out.rows.reserve(rows.size());
  while (!rows.empty()) {  // moved out in key order
    auto node = rows.extract(rows.begin());
    out.rows.push_back({std::move(node.key()), node.mapped()});
  }
  out.policies.reserve(pols.size());
  for (auto& [k, r] : pols) out.policies.push_back({&r->reportDomain, k.second, &r->published});
  return out;
}

}  // namespace am::reports
