// contrib/bench/dns53.cpp — see dns53.h.
#include "contrib/bench/dns53.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace am::bench {

bool dnsAnswersSoa(const std::string& zone) {
  std::string q("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  size_t start = 0;
  while (start < zone.size()) {
    size_t dot = zone.find('.', start);
    if (dot == std::string::npos) dot = zone.size();
    q += char(dot - start);
    q += zone.substr(start, dot - start);
    start = dot + 1;
  }
  q += std::string("\0\0\x06\0\x01", 5);  // root, type SOA, class IN
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == ssize_t(q.size())) {
    pollfd p{fd, POLLIN, 0};
    unsigned char buf[512];
    if (poll(&p, 1, 300) == 1) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      ok = n >= 12 && buf[0] == 0x12 && buf[1] == 0x34 && (buf[3] & 0x0f) == 0 && (buf[6] | buf[7]) != 0;
    }
  }
  close(fd);
  return ok;
}

std::unique_ptr<Dns53> Dns53::start(const std::string& dir, const std::vector<am::testing::NsdServer::Zone>& zones,
                                    std::string* err) {
  if (dnsAnswersSoa(zones.at(0).origin)) {
    *err = "something already answers on 127.0.0.1:53; stop it first";
    return nullptr;
  }
  std::ofstream conf(dir + "/nsd.conf");
  conf << "server:\n  ip-address: 127.0.0.1\n  port: 53\n  username: \"\"\n  chroot: \"\"\n"
       << "  zonesdir: \"" << dir << "\"\n  database: \"\"\n  pidfile: \"" << dir << "/nsd.pid\"\n"
       << "  logfile: \"" << dir << "/nsd.log\"\n  xfrdfile: \"" << dir << "/xfrd.state\"\n"
       << "  zonelistfile: \"" << dir << "/zone.list\"\n  xfrdir: \"" << dir << "\"\n"
       << "  server-count: 1\n  do-ip6: no\n  verbosity: 0\n  hide-version: yes\n"
       // nsd rate-limits responses per client netblock by default (RRL); every bench query
       // comes from 127.0.0.1, so RRL would drop answers and turn load into DNS timeouts.
       << "  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\n"
       << "remote-control:\n  control-enable: no\n";
  for (size_t i = 0; i < zones.size(); ++i) {
    std::string file = "zone" + std::to_string(i) + ".zone";
    conf << "zone:\n  name: \"" << zones[i].origin << "\"\n  zonefile: \"" << file << "\"\n";
    std::ofstream(dir + "/" + file) << "$ORIGIN " << zones[i].origin << ".\n$TTL 300\n"
                                    << "@ IN SOA localhost. hostmaster." << zones[i].origin
                                    << ". 1 3600 600 86400 300\n@ IN NS localhost.\n"
                                    << zones[i].body << "\n";
  }
  conf.close();
  auto d = std::unique_ptr<Dns53>(new Dns53);
  d->nsd_ = am::milter_process::Process::start("/usr/sbin/nsd", {"-d", "-c", dir + "/nsd.conf"}, err);
  if (!d->nsd_) return nullptr;
  for (int i = 0; i < 100; ++i) {
    bool all = true;
    for (auto& z : zones) all = all && dnsAnswersSoa(z.origin);
    if (all) return d;
    if (!d->nsd_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *err = "nsd did not start serving: " + d->nsd_->output();
  return nullptr;
}

Dns53::~Dns53() { stop(); }

void Dns53::stop() {
  if (nsd_) nsd_->stop(std::chrono::seconds(5));
  nsd_.reset();
}

}  // namespace am::bench
