// tests/support/mta/mta_e2e.cpp — see mta_e2e.h.
#include "tests/support/mta/mta_e2e.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <utility>

#include "tests/support/testfiles/test_files.h"

namespace am::mta_test {

using am::testing::readFile;
using am::testing::runCommand;

namespace {

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

}  // namespace

std::optional<uint16_t> freeLoopbackPort() {
  Fd s{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return std::nullopt;
  socklen_t len = sizeof a;
  if (getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return std::nullopt;
  return ntohs(a.sin_port);
}

std::string swaks(uint16_t port, const std::string& mailFrom, const std::string& rcpt, const std::string& dataFile,
                  const std::string& extra) {
  return runCommand("swaks --server 127.0.0.1 --port " + std::to_string(port) + " --helo client.e2e.test --from '" +
                    mailFrom + "' --to " + rcpt + " --data @" + dataFile + " --timeout 60 " + extra + " 2>&1");
}

std::string writeTestMessage(const std::string& path, const std::string& mta, const std::string& tag,
                             const std::string& from, const std::string& to, const std::string& extraHeaders) {
  am::testing::writeFile(path, extraHeaders + "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + mta + " e2e " +
                                   tag + "\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <" + tag +
                                   "@e2e.test>\r\n\r\nHello,\r\n\r\nthis is the " + tag + " test.\r\n");
  return path;
}

std::vector<std::pair<std::string, std::string>> headerFields(const std::string& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(raw);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += " " + line;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return out;
}

std::vector<std::string> authResults(const std::string& raw) {
  std::vector<std::string> out;
  for (auto& [n, v] : headerFields(raw))
    if (strcasecmp(n.c_str(), "Authentication-Results") == 0) out.push_back(v);
  return out;
}

std::vector<std::string> readFilesIn(const std::string& dir, const std::function<bool(const std::string&)>& take) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, DirCloser> dp(opendir(dir.c_str()));
  if (!dp) return out;
  while (dirent* e = readdir(dp.get()))
    if (take(e->d_name)) out.push_back(readFile(dir + "/" + e->d_name));
  return out;
}

std::optional<std::string> waitForMessage(const std::function<std::vector<std::string>()>& delivered,
                                          const std::string& needle, std::chrono::milliseconds timeout) {
  std::optional<std::string> found;
  am::testing::waitUntil(
      [&] {
        for (auto& m : delivered())
          if (m.find(needle) != std::string::npos) {
            found = std::move(m);
            return true;
          }
        return false;
      },
      timeout, std::chrono::milliseconds(100));
  return found;
}

std::string keygen(const std::string& bin, const std::string& dir, const std::string& domain,
                   const std::string& selector, std::string* err) {
  int st = -1;
  std::string record = runCommand(bin + " keygen -d " + domain + " -s " + selector + " -a rsa -D " + dir + " 2>" +
                                      dir + "/keygen.err",
                                  &st);
  if (st == 0) return record;
  *err = "keygen failed: " + readFile(dir + "/keygen.err");
  return "";
}

bool dkimSign(const std::string& script, const std::string& keyFile, const std::string& selector,
              const std::string& domain, const std::string& in, const std::string& out, std::string* log) {
  int st = -1;
  *log = runCommand("/usr/bin/python3 " + script + " " + keyFile + " " + selector + " " + domain + " " + in + " " +
                        out + " 2>&1",
                    &st);
  return st == 0;
}

std::string baseZone() {
  return "good IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n"
         "_dmarc.good IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
         "reject IN TXT \"v=spf1 -all\"\n"
         "_dmarc.reject IN TXT \"v=DMARC1; p=reject\"\n"
         "quar IN TXT \"v=spf1 -all\"\n"
         "_dmarc.quar IN TXT \"v=DMARC1; p=quarantine\"\n";
}

std::string authmilterConf(const std::string& socketSpec, const std::string& authserv, uint16_t dnsPort,
                           const std::string& policyPath) {
  return "Socket " + socketSpec + "\nAuthservID " + authserv + "\nSyslog no\nNameservers 127.0.0.1:" +
         std::to_string(dnsPort) + "\nDNSTimeout 2\nDNSRetries 0\nSPFTimeout 10\nPolicyFile " + policyPath +
         "\nInternalHosts 10.255.255.255/32\nShutdownTimeout 10\n";
}

std::unique_ptr<am::milter_process::Process> startAuthmilter(const std::string& bin, const std::string& configPath,
                                                             const std::string& socketSpec, std::string* err) {
  auto p = am::milter_process::Process::start(bin, {"-f", "-c", configPath}, err);
  if (!p) {
    *err = "authmilter: " + *err;
    return nullptr;
  }
  if (!p->waitForSocket(socketSpec, std::chrono::seconds(20), err)) {
    *err = "authmilter socket: " + *err;
    return nullptr;
  }
  return p;
}

}  // namespace am::mta_test
