// filter/main.cpp — the authmilter program: options, start-up, signals, shutdown, keygen, migrate; the
// test-message subcommand is filter/testmsg/, the report subcommand filter/report_command.*.
//
// Signals: SIGTERM/SIGINT/SIGHUP are blocked before any thread exists and handled by our control
// thread with sigwaitinfo(). libmilter's own signal thread would otherwise race us for them (it
// sigwait()s on the same set and stops at once, cutting messages in flight), so this executable
// provides the sigwait() symbol libmilter binds to: it parks that thread forever. Shutdown is ours:
// refuse new connections, let transactions in flight finish (ShutdownTimeout), then smfi_stop().
//
// TCP: libmilter answers end-of-message with several small writes; with Nagle on, the second
// waits for the MTA's delayed ACK (~40 ms per message on Linux). libmilter has no hook for socket
// options, so this executable also provides the accept() libmilter binds to: it accepts with
// accept4() and sets TCP_NODELAY on TCP connections (unix sockets are left alone).
//
// Metrics (MetricsListen): the engine counts, and this file starts the HTTP exporter
// (filter/metrics/http_exporter.h) once the milter socket is open, after the signals are blocked
// (its thread inherits the mask) and before privileges are dropped.
//
// MilterServer chooses who speaks the milter protocol: `native` (default) is our own server
// (filter/milter/server.h; it calls accept4() directly and never parks in sigwait()), `libmilter`
// the adapter (filter/milter/adapter.h) with the two interpositions above.
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/config/config.h"
#include "filter/core/engine.h"
#include "filter/core/log.h"
#include "filter/core/options.h"
#include "filter/migrate/migrate.h"
#include "filter/metrics/http_exporter.h"
#include "filter/milter/adapter.h"
#include "filter/milter/server.h"
#include "filter/testmsg/test_message.h"
#include "filter/report_command.h"

extern "C" int sigwait(const sigset_t*, int*) {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(24));
}

extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  int c = accept4(fd, addr, len, 0);
  int domain = 0;
  socklen_t dlen = sizeof domain;
  if (c >= 0 && getsockopt(c, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
      (domain == AF_INET || domain == AF_INET6)) {
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // best effort
  }
  return c;
}

namespace {

const char* kUsage =
    "usage: authmilter [-c FILE] [-f] [--check-config] [--version] [-h]\n"
    "       authmilter keygen -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS] [-D DIR]\n"
    "       authmilter migrate [--opendkim FILE] [--opendmarc FILE] [--out DIR] [--force]\n"
    "       authmilter test-message [-c FILE] [options] MESSAGE...   (test-message -h: its options)\n"
    "       authmilter report [-c FILE] [--period day|hour | --begin UNIX --end UNIX] [--dry-run --out DIR]\n"
    "  -c FILE          configuration file (default /etc/authmilter/authmilter.conf)\n"
    "  -f               stay in the foreground\n"
    "  --check-config   check the configuration and policy file, print FILE:LINE: errors\n"
    "  --version        print the version\n";

int keygenMain(int argc, char** argv) {
  std::string domain, selector, dir = ".", alg = "rsa";
  unsigned bits = 2048;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "-d") domain = next();
    else if (a == "-s") selector = next();
    else if (a == "-a") alg = next();
    else if (a == "-b") bits = static_cast<unsigned>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "-D") dir = next();
    else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (domain.empty() || selector.empty() || (alg != "rsa" && alg != "ed25519")) {
    std::cerr << kUsage;
    return 2;
  }
  std::string err;
  auto r = am::dkim::keygen(domain, selector, alg == "rsa" ? am::policy::KeyEntry::Alg::Rsa : am::policy::KeyEntry::Alg::Ed25519,
                            bits, dir, &err);
  if (!r) {
    std::cerr << "authmilter keygen: " << err << "\n";
    return 1;
  }
  std::cerr << "private key written to " << r->privateKeyPath << " (mode 0600)\n";
  std::cout << r->dnsRecord << "\n";
  return 0;
}

// `migrate`: the translation is filter/migrate; here only arguments and the three files
// (authmilter.conf, authmilter.policy, migration-report.txt in DIR). Nothing is written when the
// migration has errors, and existing files are kept unless --force.
int migrateMain(int argc, char** argv) {
  am::migrate::Inputs in;
  std::string dir = ".";
  bool force = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--opendkim") in.opendkimConf = next();
    else if (a == "--opendmarc") in.opendmarcConf = next();
    else if (a == "--out") dir = next();
    else if (a == "--force") force = true;
    else return std::cerr << kUsage, 2;
  }
  if ((in.opendkimConf.empty() && in.opendmarcConf.empty()) || dir.empty()) return std::cerr << kUsage, 2;
  mkdir(dir.c_str(), 0755);
  char real[PATH_MAX];
  if (!realpath(dir.c_str(), real)) return std::cerr << "authmilter migrate: " << dir << ": " << std::strerror(errno) << "\n", 1;
  dir = real;
  const std::string conf = dir + "/authmilter.conf", policy = dir + "/authmilter.policy", report = dir + "/migration-report.txt";
  in.policyPath = policy;
  auto r = am::migrate::migrate(in);
  std::string text = am::migrate::formatReport(r);
  std::cout << text << std::flush;
  if (!r.ok()) return std::cerr << "authmilter migrate: errors above; nothing written\n", 1;
  for (auto& f : {conf, policy})
    if (!force && access(f.c_str(), F_OK) == 0)
      return std::cerr << "authmilter migrate: " << f << " exists; give --force to replace it\n", 1;
  std::ofstream(conf) << r.conf;
  std::ofstream(policy) << r.policy;
  std::ofstream(report) << text;
  std::cout << "\nwritten: " << conf << "\n         " << policy << "\n         " << report
            << "\ncheck:   authmilter --check-config -c " << conf << "\n";
  return 0;
}

// Connections need descriptors: raise the soft RLIMIT_NOFILE towards what MaxConnections needs
// (plus room for DNS sockets, key files and logs), or lower the connection limit to what the hard
// limit allows. Either way a log line says so.
size_t fitConnectionsToDescriptors(size_t wanted, am::core::Logger& log) {
  constexpr rlim_t kSpare = 64;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return wanted;
  rlim_t need = static_cast<rlim_t>(wanted) + kSpare;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
    rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : std::min(need, rl.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > before)
      log.info("open-file limit raised from " + std::to_string(before) + " to " + std::to_string(rl.rlim_cur) +
               " for MaxConnections " + std::to_string(wanted));
    else if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
      return wanted;
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
    size_t fit = rl.rlim_cur > kSpare + 16 ? static_cast<size_t>(rl.rlim_cur - kSpare) : 16;
    log.warning("MaxConnections " + std::to_string(wanted) + " lowered to " + std::to_string(fit) +
                " to fit the open-file limit " + std::to_string(rl.rlim_cur) + " (raise LimitNOFILE / ulimit -n)");
    return fit;
  }
  return wanted;
}

bool dropPrivileges(const std::string& user, std::string* err) {
  if (user.empty()) return true;
  std::string name = user.substr(0, user.find(':'));
  struct passwd* pw = getpwnam(name.c_str());
  if (!pw) return *err = "UserID: unknown user '" + name + "'", false;
  gid_t gid = pw->pw_gid;
  if (auto colon = user.find(':'); colon != std::string::npos) {
    struct group* gr = getgrnam(user.substr(colon + 1).c_str());
    if (!gr) return *err = "UserID: unknown group '" + user.substr(colon + 1) + "'", false;
    gid = gr->gr_gid;
  }
  if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0)
    return *err = std::string("UserID: cannot switch to ") + user + ": " + std::strerror(errno), false;
  return true;
}

void controlLoop(am::core::Engine& engine, const std::string& configPath, const std::function<void()>& stopServer) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int sig = sigwaitinfo(&set, nullptr);
    if (sig == SIGHUP) {
      std::vector<std::string> errors;
      if (engine.reload(configPath, errors)) {
        engine.log().info("configuration and policy reloaded");
      } else {
        for (auto& e : errors) engine.log().error("reload failed, keeping the old configuration: " + e);
      }
      continue;
    }
    if (sig != SIGTERM && sig != SIGINT) continue;
    engine.log().info("stopping: refusing new connections, waiting for messages in flight");
    engine.draining = true;
    unsigned graceSeconds = engine.snapshot()->config->shutdownTimeout;  // as last (re)loaded
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(graceSeconds);
    // The MTA sends MAIL FROM and the body without waiting for replies (no-reply stages), so a
    // transaction may sit unread in a socket buffer while the count is still 0: stop only after
    // the count stayed 0 for a moment in which such packets are read (bounded by the deadline).
    constexpr int kQuietChecks = 6;  // 6 x 50 ms
    int quiet = 0;
    while (quiet < kQuietChecks && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      quiet = engine.transactionsInFlight > 0 ? 0 : quiet + 1;
    }
    if (engine.transactionsInFlight > 0)
      engine.log().warning("ShutdownTimeout reached with " + std::to_string(engine.transactionsInFlight.load()) +
                           " messages in flight");
    stopServer();
    return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "keygen") return keygenMain(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "migrate") return migrateMain(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "test-message") return am::testmsg::testMessageMain(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "report") return am::report::reportMain(argc, argv);
  std::string configPath = "/etc/authmilter/authmilter.conf";
  bool foreground = false, checkOnly = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) configPath = argv[++i];
    else if (a == "-f") foreground = true;
    else if (a == "--check-config") checkOnly = true;
    else if (a == "--version") {
      std::cout << "authmilter " << AM_VERSION << "\n";
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "authmilter: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (checkOnly) {
    std::vector<std::string> warnings;
    auto errors = am::core::checkConfiguration(configPath, &warnings);
    for (auto& w : warnings) std::cerr << "warning: " << w << "\n";
    for (auto& e : errors) std::cerr << e << "\n";
    if (!errors.empty()) return 1;
    std::cout << "configuration OK\n";
    return 0;
  }

  // Before any thread exists (resolver, libmilter): block the signals our control thread handles.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto loaded = am::config::loadFile(configPath);
  for (auto& e : loaded.errors) std::cerr << e << "\n";
  if (!loaded.config) return 1;
  const auto cfg = loaded.config;
  if (!foreground && daemon(0, 0) != 0) {
    std::perror("authmilter: daemon");
    return 1;
  }
  static am::core::Logger log;  // lives until _exit
  log.configure(cfg->syslog, cfg->syslogFacility, cfg->logDebug);

  std::vector<std::string> errors;
  auto engine = am::core::Engine::create(cfg, log, nullptr, am::SystemClock::instance(), errors);
  if (!engine) {
    for (auto& e : errors) {
      std::cerr << e << "\n";
      log.error(e);
    }
    return 1;
  }
  std::string err;
  std::unique_ptr<am::milter::Server> server;  // MilterServer native
  bool opened = false;
  const am::core::MilterSettings ms = am::core::milterSettings(*cfg);
  if (ms.libmilter) {
    opened = am::milter::setup(*engine, ms.socket, ms.umask, static_cast<unsigned>(ms.timeout.count()), &err);
  } else {
    std::signal(SIGPIPE, SIG_IGN);  // as smfi_main does; our sends use MSG_NOSIGNAL anyway
    am::milter::Server::Options opts;
    opts.socketSpec = ms.socket;
    opts.umask = ms.umask;
    opts.maxConnections = fitConnectionsToDescriptors(ms.maxConnections, log);
    opts.ioTimeout = ms.timeout;
    opts.maxWorkers = ms.maxWorkers;
    server = am::milter::Server::create(*engine, opts, &err);
    opened = server != nullptr;
  }
  std::unique_ptr<am::metrics::HttpExporter> exporter;  // lives until _exit
  const am::core::MetricsSettings mset = am::core::metricsSettings(*cfg);
  if (opened && mset.enabled && engine->metrics()) {
    exporter = am::metrics::HttpExporter::start(mset.addr, mset.port, *engine->metrics(), &err);
    opened = exporter != nullptr;
    if (exporter)
      log.info("metrics on http://" + (mset.addr.v6 ? "[" + mset.addr.str() + "]" : mset.addr.str()) + ":" +
               std::to_string(exporter->port()) + "/metrics");
  }
  if (!opened || !dropPrivileges(cfg->userId, &err)) {
    std::cerr << "authmilter: " << err << "\n";
    log.error(err);
    return 1;
  }
  if (!cfg->pidFile.empty()) std::ofstream(cfg->pidFile) << getpid() << "\n";
  log.info("authmilter " AM_VERSION " listening on " + cfg->socket + " authserv-id=" + cfg->authservId +
           (server ? " server=native" : " server=libmilter"));
  std::function<void()> stopServer = [&server] {
    if (server) server->stop();
    else am::milter::stop();
  };
  for (auto& w : am::core::configurationWarnings(*engine->snapshot())) log.warning(w);
  std::thread control(controlLoop, std::ref(*engine), configPath, std::cref(stopServer));
  int rc = server ? server->run() : am::milter::run();
  if (engine->draining) control.join();
  else control.detach();  // the server ended on its own (socket error)
  // Report records still queued are written before the exit (bounded; the recorder counts the rest).
  if (auto* rec = engine->recorder(); rec && !rec->drain(std::chrono::seconds(5)))
    log.warning("reports: records still queued at exit were not written");
  log.info("stopped");
  if (!cfg->pidFile.empty()) unlink(cfg->pidFile.c_str());
  // Worker threads may still be inside a session (either server): leave without running destructors.
  _exit(rc == 0 ? 0 : 1);
}
