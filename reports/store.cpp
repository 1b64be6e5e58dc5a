// reports/store.cpp — the ReportStore value: which implementation, where.
#include "reports/store.h"

#include "reports/pg_store.h"
#include "reports/sqlite_store.h"

namespace am::reports {

std::string sqliteStorePath(std::string_view uri) {
  if (uri == "sqlite" || uri == "sqlite:") return kDefaultSqlitePath;
  return uri.starts_with("sqlite:") ? std::string(uri.substr(7)) : std::string();
}

bool validStoreUri(std::string_view uri, std::string* why) {
  if (uri == "sqlite" || uri.starts_with("sqlite:")) {
    std::string path = sqliteStorePath(uri);
    if (path.empty() || path.front() != '/') return *why = "sqlite: needs an absolute path (sqlite:/var/lib/authmilter/reports.db)", false;
    return true;
  }
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) return true;  // libpq parses the rest
  *why = "expected sqlite (the default file), sqlite:/path/to/reports.db or postgresql://USER@HOST/DB";
  return false;
}

std::unique_ptr<Store> openStore(std::string_view uri, std::string* err) {
  if (!validStoreUri(uri, err)) return nullptr;
  if (uri.starts_with("postgres")) return openPgStore(std::string(uri), err);
  return openSqliteStore(sqliteStorePath(uri), err);
}

}  // namespace am::reports
