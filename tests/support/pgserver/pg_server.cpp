// tests/support/pgserver/pg_server.cpp — see pg_server.h.
#include "tests/support/pgserver/pg_server.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace am::testing {
namespace {

const char* kBin = "/usr/lib/postgresql/15/bin/";
constexpr uid_t kNobody = 65534;

// The command line prefix that runs a program as the server's user.
std::string asServerUser() {
  return geteuid() == 0 ? "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups -- " : "";
}

}  // namespace

std::unique_ptr<PgServer> PgServer::start(std::string* error) {
  std::unique_ptr<PgServer> s(new PgServer);
  char tmpl[] = "/tmp/am-pg-XXXXXX";
  if (!mkdtemp(tmpl)) return *error = "mkdtemp failed", nullptr;
  s->dir_ = tmpl;
  if (geteuid() == 0 && chown(tmpl, kNobody, kNobody) != 0) return *error = "chown failed", nullptr;
  std::string cmd = "cd " + s->dir_ + " && " + asServerUser() + kBin + "initdb -D " + s->dir_ +
                    "/data -U am -A trust -E UTF8 --locale=C --no-sync >" + s->dir_ + "/initdb.log 2>&1";
  if (std::system(cmd.c_str()) != 0) return *error = "initdb failed (see " + s->dir_ + "/initdb.log)", nullptr;
  std::vector<std::string> args;
  std::string program = std::string(kBin) + "postgres";
  if (geteuid() == 0) {
    args = {"--reuid=65534", "--regid=65534", "--clear-groups", "--", program};
    program = "/usr/bin/setpriv";
  }
  for (std::string a : {std::string("-D"), s->dir_ + "/data", std::string("-k"), s->dir_, std::string("-c"),
                        std::string("listen_addresses="), std::string("-c"), std::string("fsync=off")})
    args.push_back(a);
  am::milter_process::Process::Options o;
  o.workDir = s->dir_;
  s->proc_ = am::milter_process::Process::start(program, args, o, error);
  if (!s->proc_) return nullptr;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (PQping(s->uri().c_str()) != PQPING_OK) {
    if (!s->proc_->running() || std::chrono::steady_clock::now() > deadline)
      return *error = "postgres did not start: " + s->proc_->output(), nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return s;
}

PgServer::~PgServer() { stop(); }

std::string PgServer::uri() const { return "postgresql://am@/postgres?host=" + dir_; }

std::string PgServer::log() const { return proc_ ? proc_->output() : ""; }

void PgServer::stop() {
  if (proc_) {
    resume();
    proc_->stop(std::chrono::seconds(20));
    proc_.reset();
  }
  if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  dir_.clear();
}

bool PgServer::pause() { return proc_ && kill(proc_->pid(), SIGSTOP) == 0; }
bool PgServer::resume() { return proc_ && kill(proc_->pid(), SIGCONT) == 0; }

}  // namespace am::testing
