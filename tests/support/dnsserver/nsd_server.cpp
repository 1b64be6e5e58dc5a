// tests/support/dnsserver/nsd_server.cpp — see nsd_server.h.
#include "tests/support/dnsserver/nsd_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/strings.h"
#include "filter/dns/transport.h"
#include "filter/dns/wire.h"

namespace am::testing {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr auto kStartBound = std::chrono::seconds(10);
constexpr auto kStopBound = std::chrono::seconds(5);
constexpr int kLaunchTries = 3;

// A port that is free for both UDP and TCP on 127.0.0.1 right now (nsd binds both).
uint16_t freePort() {
  for (int i = 0; i < 20; ++i) {
    int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (u >= 0 && ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
      int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (t < 0 || ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) port = 0;
      if (t >= 0) ::close(t);
    }
    if (u >= 0) ::close(u);
    if (port != 0) return port;
  }
  return 0;
}

std::string origin(std::string_view o) { return normalizeDomain(o); }

bool hasSoa(std::string_view body) {
  for (const auto& line : split(body, "\n")) {
    std::string_view l = line;
    l = l.substr(0, l.find(';'));
    for (const auto& w : split(l, " \t\r"))
      if (iequals(w, "SOA")) return true;
  }
  return false;
}

std::string zoneText(const NsdServer::Zone& z) {
  std::string o = origin(z.origin);
  std::ostringstream out;
  out << "$ORIGIN " << o << ".\n";
  if (!hasSoa(z.body)) {
    out << "$TTL 300\n"
        << "@ IN SOA localhost. hostmaster." << o << ". 1 3600 600 86400 300\n"
        << "@ IN NS localhost.\n";
  }
  out << z.body << "\n";
  return out.str();
}

std::string configText(const std::string& dir, uint16_t port,
                       const std::vector<NsdServer::Zone>& zones) {
  std::ostringstream c;
  c << "server:\n  ip-address: 127.0.0.1\n  port: " << port << "\n  username: \"\"\n"
    << "  chroot: \"\"\n  zonesdir: \"" << dir << "\"\n  database: \"\"\n"
    << "  pidfile: \"" << dir << "/nsd.pid\"\n  logfile: \"" << dir << "/nsd.log\"\n"
    << "  xfrdfile: \"" << dir << "/xfrd.state\"\n  zonelistfile: \"" << dir << "/zone.list\"\n"
    << "  xfrdir: \"" << dir << "\"\n  server-count: 1\n  do-ip6: no\n  reuseport: no\n"
    << "  verbosity: 1\n  hide-version: yes\n  zonefiles-check: no\n"
    // Tests send hundreds of queries a second from one address: no response-rate limiting
    // (nsd drops answers past 200/s by default, which looks like a DNS outage under load).
    << "  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\n"
    << "remote-control:\n  control-enable: no\n";
  for (size_t i = 0; i < zones.size(); ++i)
    c << "zone:\n  name: \"" << origin(zones[i].origin) << "\"\n  zonefile: \"zone" << i << ".zone\"\n";
  return c.str();
}

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

// One SOA query over UDP; true when nsd answers it with the SOA record (or, when
// `anyReply`, with anything at all: a server without zones answers REFUSED).
bool answersSoa(uint16_t port, const std::string& zone, bool anyReply = false) {
  dns::wire::Name n;
  if (!dns::wire::normalizeName(zone, n)) return false;
  auto q = dns::wire::encodeQuery({0x4242, n.view(), dns::wire::type::SOA, false, false, 512});
  if (!q) return false;
  dns::Server s{*IpAddress::parse("127.0.0.1"), port};
  auto ex = dns::udpExchange(s, *q, Steady::now() + milliseconds(200), [](auto) { return true; });
  if (ex.status != dns::ExchangeStatus::Ok) return false;
  auto m = dns::wire::decodeMessage(ex.reply);
  if (!m || m->header.id != 0x4242) return false;
  return anyReply || (m->header.rcode() == dns::wire::rcode::NoError && !m->answers.empty());
}

}  // namespace

std::string NsdServer::quoteTxt(std::string_view text) {
  if (text.empty()) return "\"\"";
  std::string out;
  for (size_t at = 0; at < text.size(); at += 255) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (char ch : text.substr(at, 255)) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20 || c >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      } else {
        out += ch;
      }
    }
    out += '"';
  }
  return out;
}

std::unique_ptr<NsdServer> NsdServer::start(const std::vector<Zone>& zones, std::string* error) {
  std::unique_ptr<NsdServer> s(new NsdServer());
  char tmpl[] = "/tmp/am-nsd-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    if (error) *error = std::string("mkdtemp: ") + std::strerror(errno);
    return nullptr;
  }
  s->dir_ = tmpl;
  for (size_t i = 0; i < zones.size(); ++i)
    if (!writeFile(s->dir_ + "/zone" + std::to_string(i) + ".zone", zoneText(zones[i]))) {
      if (error) *error = "cannot write zone file in " + s->dir_;
      return nullptr;  // destructor removes the directory
    }
  for (int attempt = 0; attempt < kLaunchTries; ++attempt) {
    if (!s->launch(zones, error)) continue;
    if (s->waitUntilServing(zones, error)) return s;
    bool exited = s->exitedEarly_;
    if (s->pid_ > 0) {  // e.g. the port was taken between freePort() and nsd's bind()
      ::kill(-s->pid_, SIGKILL);  // the leader is not reaped yet, so the group id is still ours
      ::waitpid(s->pid_, nullptr, 0);
      s->pid_ = -1;
    }
    if (!exited) break;  // running but silent (bad zone?): another port will not help
  }
  return nullptr;
}

bool NsdServer::launch(const std::vector<Zone>& zones, std::string* error) {
  port_ = freePort();
  if (port_ == 0) {
    if (error) *error = "no free port on 127.0.0.1";
    return false;
  }
  std::string conf = dir_ + "/nsd.conf", out = dir_ + "/nsd.stdout";
  if (!writeFile(conf, configText(dir_, port_, zones))) {
    if (error) *error = "cannot write " + conf;
    return false;
  }
  const char* argv[] = {"nsd", "-d", "-c", conf.c_str(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) {
    if (error) *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {  // child: async-signal-safe calls only
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv("/usr/sbin/nsd", const_cast<char* const*>(argv));
    ::execvp("nsd", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before any signal
  pid_ = pid;
  return true;
}

bool NsdServer::waitUntilServing(const std::vector<Zone>& zones, std::string* error) {
  auto deadline = Steady::now() + kStartBound;
  exitedEarly_ = false;
  while (Steady::now() < deadline) {
    siginfo_t info{};  // WNOWAIT: the caller kills the group, then reaps
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid_) {
      exitedEarly_ = true;
      if (error) *error = "nsd exited during start-up: " + log();
      return false;
    }
    bool all = zones.empty() ? answersSoa(port_, "localhost", true) : true;
    for (const auto& z : zones) all = all && answersSoa(port_, origin(z.origin));
    if (all) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  if (error) *error = "nsd did not answer within 10 s: " + log();
  return false;
}

std::string NsdServer::log() const {
  std::string text;
  for (const char* f : {"/nsd.log", "/nsd.stdout"}) {
    std::ifstream in(dir_ + f);
    std::stringstream ss;
    ss << in.rdbuf();
    text += ss.str();
  }
  return text;
}

bool NsdServer::pause() {
  if (pid_ <= 0 || ::kill(-pid_, SIGSTOP) != 0) return false;
  paused_ = true;
  return true;
}

bool NsdServer::resume() {
  if (pid_ <= 0 || ::kill(-pid_, SIGCONT) != 0) return false;
  paused_ = false;
  return true;
}

void NsdServer::stop() {
  if (pid_ > 0) {
    if (paused_) resume();
    ::kill(pid_, SIGTERM);
    // Wait (bounded) for nsd to exit but leave it a zombie (WNOWAIT): while unreaped, its
    // PID, and so the process group id, cannot be reused by an unrelated process.
    bool exited = false;
    for (auto end = Steady::now() + kStopBound; Steady::now() < end && !exited;) {
      siginfo_t info{};
      exited = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == pid_;
      if (!exited) std::this_thread::sleep_for(milliseconds(10));
    }
    ::kill(-pid_, SIGKILL);  // our group only: leftover server/xfrd children, or a hung nsd
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

NsdServer::~NsdServer() { stop(); }

}  // namespace am::testing
