// reports/pg_store.h — the shared report store: PostgreSQL through libpq, for sites whose
// several MX hosts write one history. The same schema and statements as SQLite (reports/schema.h);
// a batch is merged first (reports/batch.h: one upsert per distinct key), its statements prepared
// once per connection and sent as one pipeline (one round trip per batch, one transaction), its
// rows written in key order so that concurrent writers never deadlock; the
// schema is created and upgraded under an advisory lock, so several processes may start at once.
// Handles are owned by RAII types from birth (PGconn*, PGresult*).
// Thread-safety: one PgStore per thread.
#pragma once
#include <memory>
#include <string>

#include "reports/store.h"

namespace am::reports {

// `conninfo` is a libpq connection URI (postgresql://user@host/db?...). Null with *err on failure.
std::unique_ptr<Store> openPgStore(const std::string& conninfo, std::string* err);

}  // namespace am::reports
