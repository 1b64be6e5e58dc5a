// contrib/bench/daemons.cpp — see daemons.h.
#include "contrib/bench/daemons.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace am::bench {
namespace {

std::unique_ptr<Daemon> launch(const std::string& name, const std::string& socket, const std::string& program,
                               const std::vector<std::string>& args, std::string* err,
                               const std::vector<std::string>& env = {}) {
  auto d = std::make_unique<Daemon>();
  d->name = name;
  d->socket = socket;
  am::milter_process::Process::Options o;
  o.env = env;
  d->proc = am::milter_process::Process::start(program, args, o, err);
  if (!d->proc) return nullptr;
  if (!d->proc->waitForSocket(socket, std::chrono::seconds(30), err)) {
    *err = name + ": " + *err;
    return nullptr;
  }
  return d;
}

// Shell prefix run inside `unshare -m`: /etc/resolv.conf becomes "nameserver 127.0.0.1" for
// this process only; then `exec` so the daemon keeps the PID we started.
std::string privateResolv(const std::string& dir) {
  std::string resolv = dir + "/resolv.conf";
  std::ofstream(resolv) << "nameserver 127.0.0.1\noptions attempts:2 timeout:5\n";
  return "mount --bind '" + resolv + "' /etc/resolv.conf && exec ";
}

long statusField(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  return -1;
}

}  // namespace

std::unique_ptr<Daemon> startAuthmilter(const std::string& bin, const std::vector<std::string>& wrap,
                                        const std::string& dir, const std::string& socket, std::string* err,
                                        const std::string& extraConfig) {
  std::string conf = dir + "/authmilter.conf";
  std::ofstream(dir + "/authmilter.policy") << "# no local rules\n";
  std::ofstream(conf) << "Socket " << socket << "\nAuthservID mx.bench.test\nSyslog no\n"
                      << "Nameservers 127.0.0.1:53\nDNSTimeout 5\nDNSRetries 2\n"
                      << "PolicyFile " << dir << "/authmilter.policy\nInternalHosts 127.0.0.1\n"
                      << "RejectFailures yes\nHoldQuarantinedMessages yes\nShutdownTimeout 10\n" << extraConfig;
  if (wrap.empty()) return launch("authmilter", socket, bin, {"-f", "-c", conf}, err);
  std::vector<std::string> args(wrap.begin() + 1, wrap.end());
  args.insert(args.end(), {bin, "-f", "-c", conf});
  return launch("authmilter", socket, wrap[0], args, err);
}

std::unique_ptr<Daemon> startOpendkim(const std::string& dir, const std::string& ubShim, std::string* err) {
  std::string conf = dir + "/opendkim.conf", sock = dir + "/opendkim.sock";
  std::ofstream(conf) << "Mode v\nSocket local:" << sock << "\nAuthservID mx.bench.test\nSyslog no\n"
                      << "Nameservers 127.0.0.1\nAlwaysAddARHeader yes\nMinimumKeyBits 1024\n"
                      << "SoftwareHeader no\nUserID root\nUMask 002\n";
  return launch("opendkim", "unix:" + sock, "/usr/sbin/opendkim", {"-f", "-x", conf}, err, {"LD_PRELOAD=" + ubShim});
}

std::unique_ptr<Daemon> startOpendmarc(const std::string& dir, std::string* err) {
  std::string conf = dir + "/opendmarc.conf", sock = dir + "/opendmarc.sock";
  std::ofstream(conf) << "Socket local:" << sock << "\nAuthservID mx.bench.test\n"
                      << "TrustedAuthservIDs mx.bench.test\nSyslog false\nRejectFailures true\n"
                      << "HoldQuarantinedMessages true\nSPFSelfValidate true\nFailureReports false\n"
                      << "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
                      << "RequiredHeaders false\nUserID root\nUMask 002\n";
  std::string script = privateResolv(dir) + "/usr/sbin/opendmarc -f -c '" + conf + "'";
  return launch("opendmarc", "unix:" + sock, "/usr/bin/unshare", {"-m", "--propagation", "private", "sh", "-c", script},
                err);
}

double cpuSeconds(pid_t pid) { return userSystemSeconds(pid).first + userSystemSeconds(pid).second; }

std::pair<double, double> userSystemSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  auto p = s.rfind(')');
  if (p == std::string::npos) return {0, 0};
  std::istringstream f(s.substr(p + 2));
  std::string tok;
  unsigned long long ut = 0, st = 0;
  for (int field = 3; f >> tok; ++field) {
    if (field == 14) ut = std::stoull(tok);
    if (field == 15) { st = std::stoull(tok); break; }
  }
  double tick = double(sysconf(_SC_CLK_TCK));
  return {double(ut) / tick, double(st) / tick};
}

long peakRssKb(pid_t pid) { return statusField(pid, "VmHWM"); }
long currentRssKb(pid_t pid) { return statusField(pid, "VmRSS"); }
void resetPeakRss(pid_t pid) { std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5"; }

int freeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

}  // namespace am::bench
