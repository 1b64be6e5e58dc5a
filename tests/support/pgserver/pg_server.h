// tests/support/pgserver/pg_server.h — a REAL PostgreSQL 15 (Debian postgresql-15) for tests:
// initdb in a private mkdtemp directory, the server listening only on a unix socket in that
// directory (no TCP port, so tests run in parallel), trust authentication for user "am". Run as
// the current user, or as `nobody` through setpriv when that user is root (PostgreSQL refuses
// root). Ownership: the object owns the server process (stopped by its PID) and the directory;
// the destructor calls stop(). Not thread-safe; the database may be used from any thread.
#pragma once
#include <memory>
#include <string>

#include "tests/milterclient/process.h"

namespace am::testing {

class PgServer {
 public:
  static std::unique_ptr<PgServer> start(std::string* error);
  ~PgServer();
  // libpq URI for database "postgres" as user "am".
  std::string uri() const;
  std::string log() const;
  void stop();
  // SIGSTOP / SIGCONT to the postmaster: a paused server accepts no new connection.
  bool pause();
  bool resume();

 private:
  PgServer() = default;
  std::string dir_;
  std::unique_ptr<am::milter_process::Process> proc_;
};

}  // namespace am::testing
