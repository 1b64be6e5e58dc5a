// tests/postfix/load_stack.cpp — see load_stack.h.
#include "tests/postfix/load_stack.h"

#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

namespace am::postfix_test {

namespace {

void writeByRename(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".new";
  std::ofstream(tmp, std::ios::trunc) << text;
  std::rename(tmp.c_str(), path.c_str());
}

std::string tail(const std::string& s, size_t n) { return s.size() <= n ? s : "…" + s.substr(s.size() - n); }

}  // namespace

// The zone is "test" itself, not "e2e.test": the DMARC tree walk of X.e2e.test also asks
// _dmarc.test, which nsd answers REFUSED when it does not serve "test". REFUSED is not cached, so
// every message would ask again, and at a few hundred messages a second nsd's response-rate
// limit (rrl-ratelimit, 200/s by default) drops answers: a fault nobody injected.
std::string LoadStack::zone() {
  return "good.e2e IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n"
         "_dmarc.good.e2e IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
         "reject.e2e IN TXT \"v=spf1 -all\"\n"
         "_dmarc.reject.e2e IN TXT \"v=DMARC1; p=reject\"\n"
         "quar.e2e IN TXT \"v=spf1 -all\"\n"
         "_dmarc.quar.e2e IN TXT \"v=DMARC1; p=quarantine\"\n"
         "client.e2e IN A 127.0.0.1\n"
         "client.e2e IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n";
}

std::string LoadStack::start(const Settings& s) {
  settings = s;
  char tmpl[] = "/tmp/am-pfload-XXXXXX";
  if (!mkdtemp(tmpl)) return "mkdtemp failed";
  dir = tmpl;
  std::string err;
  dns = am::testing::NsdServer::start({{"test", zone()}}, &err);
  if (!dns) return "nsd: " + err;
  proxy = DnsFaultProxy::start(dns->port(), std::chrono::milliseconds(2000), &err);
  if (!proxy) return "DNS proxy: " + err;
  if (std::string e = socketDirForPostfix(dir + "/run"); !e.empty()) return e;
  socket = "unix:" + dir + "/run/authmilter.sock";
  writeConfig(Variant{});
  if (std::string e = startMilter(); !e.empty()) return e;
  PostfixInstance::Options o;
  o.domain = kLoadAuthserv;
  o.milter = socket;
  postfix = PostfixInstance::start(o, &err);
  if (!postfix) return "postfix: " + err;
  return "";
}

void LoadStack::writeConfig(const Variant& v) {
  std::string conf = "Socket " + socket + "\nAuthservID " + kLoadAuthserv + "\nSyslog no\n" +
                     "Nameservers 127.0.0.1:" + std::to_string(v.otherNameserver ? 9 : proxy->port()) + "\n" +
                     "DNSTimeout " + std::to_string(v.dnsTimeout ? v.dnsTimeout : settings.dnsTimeout) + "\nDNSRetries 1\nSPFTimeout 10\n" +
                     "PolicyFile " + dir + "/policy\n" + "InternalHosts 10.255.255.255/32\nShutdownTimeout 10\nUMask 007\n";
  if (!settings.dnsCache) conf += "DNSCacheSize 0\nDNSFailureTTL 0\n";
  writeByRename(dir + "/policy", v.policy);
  writeByRename(dir + "/authmilter.conf", conf + v.extraConfig);
}

std::string LoadStack::startMilter() {
  if (milter) replacedMilterLogs += milter->output() + "\n--- (replaced)\n";
  milter.reset();
  std::string err;
  milter = am::milter_process::Process::start(AM_AUTHMILTER_BIN, {"-f", "-c", dir + "/authmilter.conf"}, &err);
  if (!milter) return "authmilter: " + err;
  if (!milter->waitForSocket(socket, std::chrono::seconds(30), &err)) return "authmilter socket: " + err;
  return "";
}

std::string LoadStack::restartNsd() {
  dns.reset();  // stop: SIGTERM to nsd, bounded
  std::string err;
  dns = am::testing::NsdServer::start({{"test", zone()}}, &err);
  if (!dns) return "nsd restart: " + err;
  proxy->setUpstream(dns->port());
  ++nsdRestarts;
  return "";
}

bool LoadStack::waitForQueueToSettle(std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool busy = false;
    for (auto& e : postfix->queue()) busy = busy || e.queueName != "hold";
    if (!busy) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string LoadStack::milterOutput() const { return replacedMilterLogs + (milter ? milter->output() : ""); }

std::string LoadStack::diagnostics() const {
  return "\n--- authmilter (tail):\n" + tail(milterOutput(), 6000) + "\n--- postfix log (tail):\n" +
         (postfix ? tail(postfix->mailLog(), 6000) : std::string());
}

void LoadStack::stop() {
  postfix.reset();
  if (milter) milter->stop(std::chrono::seconds(15));
  milter.reset();
  proxy.reset();
  dns.reset();
  if (!dir.empty()) runCommand("rm -rf '" + dir + "'");
  dir.clear();
}

}  // namespace am::postfix_test
