// tests/migrate/chain_env.cpp — see chain_env.h.
#include "tests/migrate/chain_env.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

namespace am::migrate_test {
namespace {

using am::testing::readFile;
using am::testing::runCommand;
using am::testing::waitUntil;


bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

}  // namespace

ChainEnv::~ChainEnv() {
  if (nsd_) nsd_->stop(std::chrono::seconds(5));
  if (holder_) holder_->stop(std::chrono::seconds(5));
}

std::unique_ptr<am::milter_process::Process> ChainEnv::run(const std::string& program,
                                                           const std::vector<std::string>& args,
                                                           const std::string& socketPath, std::string* err) {
  // nsenter enters the holder's namespaces and execs the program: the PID is the program's own.
  std::vector<std::string> argv{"-t", std::to_string(holder_->pid()), "-n", "-m", "--", program};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = am::milter_process::Process::start("/usr/bin/nsenter", argv, err);
  if (!p || socketPath.empty()) return p;
  if (!p->waitForSocket("unix:" + socketPath, std::chrono::seconds(30), err)) {
    *err = program + ": " + *err;
    return nullptr;
  }
  return p;
}

std::string ChainEnv::start(const std::vector<std::pair<std::string, std::string>>& zones) {
  if (dir_.path.empty()) return "mkdtemp failed";
  const std::string& d = dir_.path;
  std::ofstream(d + "/resolv.conf") << "nameserver " << kDnsAddr << "\noptions attempts:2 timeout:2\n";
  std::string err;
  holder_ = am::milter_process::Process::start(
      "/usr/bin/unshare",
      {"-n", "-m", "--propagation", "private", "sh", "-c",
       std::string("ip link set lo up && ip addr add ") + kDnsAddr + "/32 dev lo && mount --bind '" + d +
           "/resolv.conf' /etc/resolv.conf && touch '" + d + "/ns-ready' && exec sleep 900"},
      &err);
  if (!holder_) return "unshare: " + err;
  if (!waitUntil([&] { return exists(d + "/ns-ready") || !holder_->running(); }, std::chrono::seconds(10)) ||
      !exists(d + "/ns-ready"))
    return "namespace set-up failed (needs root): " + holder_->output();

  std::ofstream conf(d + "/nsd.conf");
  conf << "server:\n  ip-address: " << kDnsAddr << "\n  port: 53\n  username: \"\"\n  chroot: \"\"\n"
       << "  zonesdir: \"" << d << "\"\n  database: \"\"\n  pidfile: \"" << d << "/nsd.pid\"\n"
       << "  logfile: \"" << d << "/nsd.log\"\n  xfrdfile: \"" << d << "/xfrd.state\"\n"
       << "  zonelistfile: \"" << d << "/zone.list\"\n  xfrdir: \"" << d << "\"\n"
       << "  server-count: 1\n  do-ip6: no\n  verbosity: 0\n  rrl-ratelimit: 0\n"
       << "remote-control:\n  control-enable: no\n";
  for (size_t i = 0; i < zones.size(); ++i) {
    std::string file = "zone" + std::to_string(i) + ".zone";
    conf << "zone:\n  name: \"" << zones[i].first << "\"\n  zonefile: \"" << file << "\"\n";
    std::ofstream(d + "/" + file) << "$ORIGIN " << zones[i].first
                                  << ".\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n"
                                  << "@ IN NS ns\nns IN A " << kDnsAddr << "\nready IN A 192.0.2.1\n"
                                  << zones[i].second << "\n";
  }
  conf.close();
  nsd_ = run("/usr/sbin/nsd", {"-d", "-c", d + "/nsd.conf"}, "", &err);
  if (!nsd_) return "nsd: " + err;
  // Ready when the namespace's resolver (resolv.conf, as OpenDMARC uses it) answers for every zone.
  std::string probe = "nsenter -t " + std::to_string(holder_->pid()) + " -n -m getent hosts";
  for (auto& z : zones) probe += " ready." + z.first;
  bool ok = waitUntil(
      [&] {
        int st = -1;
        std::string out = runCommand(probe + " 2>/dev/null", &st);
        return st == 0 && std::count(out.begin(), out.end(), '\n') == static_cast<long>(zones.size());
      },
      std::chrono::seconds(20));
  return ok ? "" : "nsd does not answer: " + nsd_->output() + readFile(d + "/nsd.log");
}

am::milter_client::Result sendTo(const std::string& socketPath, const am::milter_client::Message& m) {
  return am::milter_client::sendOnce("unix:" + socketPath, m);
}

am::milter_client::Result sendThroughChain(const std::string& opendkimSock, const std::string& opendmarcSock,
                                           const am::milter_client::Message& m) {
  auto first = sendTo(opendkimSock, m);
  std::string a = actionOf(first);
  if (a != "accept") return first;
  am::milter_client::Message next = m;
  next.headers = first.finalHeaders;
  auto second = sendTo(opendmarcSock, next);
  second.quarantined = second.quarantined || first.quarantined;
  return second;
}

std::string actionOf(const am::milter_client::Result& r) {
  using A = am::milter_client::Result::Action;
  if (!r.ok()) return "error: " + r.replyText;
  if (r.quarantined) return "quarantine";
  switch (r.action) {
    case A::Accept:
    case A::Continue:
      return "accept";
    case A::Reject:
      return "reject";
    case A::TempFail:
      return "tempfail";
    case A::Discard:
      return "discard";
    case A::ReplyCode:
      return !r.replyText.empty() && r.replyText[0] == '4' ? "tempfail" : "reject";
    default:
      return "error: " + r.replyText;
  }
}

}  // namespace am::migrate_test
