// tests/support/dnsserver/am_test_nsd.cpp — `am-test-nsd`: starts a throw-away nsd on
// 127.0.0.1 (free port) for shell scripts and the benchmark, prints the port on stdout, and
// runs in the foreground until SIGTERM or SIGINT, then stops nsd and removes its files.
//
//   am-test-nsd --zone example.org=example.org.zone [--zone ...] [--zone-dir DIR] [--pidfile F]
//
// --zone-dir loads every DIR/<origin>.zone. A zone file without an SOA gets one (see
// nsd_server.h). --pidfile receives this process's PID (removed on exit). Exit 0 after a
// clean stop, 1 on start-up failure, 2 on usage errors. Single-threaded.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/dnsserver/nsd_server.h"

namespace {

using am::testing::NsdServer;

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int usage(const std::string& why) {
  std::cerr << "am-test-nsd: " << why << "\n"
            << "usage: am-test-nsd --zone ORIGIN=FILE [--zone ...] [--zone-dir DIR] [--pidfile F]\n";
  return 2;
}

bool addZone(const std::string& origin, const std::string& path, std::vector<NsdServer::Zone>& zs) {
  NsdServer::Zone z{origin, ""};
  if (origin.empty() || !readFile(path, z.body)) return false;
  zs.push_back(std::move(z));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<NsdServer::Zone> zones;
  std::string pidfile;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + arg);
    std::string val = argv[++i];
    if (arg == "--zone") {
      auto eq = val.find('=');
      if (eq == std::string::npos || !addZone(val.substr(0, eq), val.substr(eq + 1), zones))
        return usage("bad --zone " + val);
    } else if (arg == "--zone-dir") {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(val, ec))
        if (e.path().extension() == ".zone" && !addZone(e.path().stem(), e.path(), zones))
          return usage("cannot read " + e.path().string());
      if (ec) return usage("cannot list " + val);
    } else if (arg == "--pidfile") {
      pidfile = val;
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (zones.empty()) return usage("no zones given");

  sigset_t stopSignals;  // blocked before nsd starts, then taken with sigwait
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  sigprocmask(SIG_BLOCK, &stopSignals, nullptr);

  std::string error;
  auto nsd = NsdServer::start(zones, &error);
  if (!nsd) {
    std::cerr << "am-test-nsd: " << error << "\n";
    return 1;
  }
  if (!pidfile.empty()) std::ofstream(pidfile) << getpid() << "\n";
  std::cout << nsd->port() << std::endl;
  int sig = 0;
  sigwait(&stopSignals, &sig);
  nsd->stop();
  if (!pidfile.empty()) std::remove(pidfile.c_str());
  return 0;
}
