// reports/sqlite_store.h — the embedded report store: one SQLite database file in WAL mode (a
// reader never blocks the writer; several authmilter processes on one host may share the file),
// busy timeout 5 s, schema created and upgraded at open (reports/schema.h). A batch is merged first
// (reports/batch.h: one upsert per distinct key); its two statements are prepared once per
// connection and reused. Handles are owned by RAII types from birth (sqlite3*, sqlite3_stmt*).
// Thread-safety: one SqliteStore per thread (the Recorder's writer, or `authmilter report`).
#pragma once
#include <memory>
#include <string>

#include "reports/store.h"

namespace am::reports {

// Opens (creating when missing) the database at `path`. Null with *err on failure.
std::unique_ptr<Store> openSqliteStore(const std::string& path, std::string* err);

}  // namespace am::reports
