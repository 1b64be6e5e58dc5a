// tests/e2e/e2e_fixture.cpp — see e2e_fixture.h.
#include "tests/e2e/e2e_fixture.h"

#include <strings.h>
#include <unistd.h>

#include <fstream>

#include "filter/authres/authres.h"
#include "tests/support/testfiles/test_files.h"

namespace am::e2e {

std::string runCommand(const std::string& cmd, int* status) { return am::testing::runCommand(cmd, status); }

std::string Env::basePolicy() const {
  return "key rsa1 sign.e2e.test rsa1 " + dir + "/sign.e2e.test.rsa1.key rsa\n"
         "key ed1 sign.e2e.test ed1 " + dir + "/sign.e2e.test.ed1.key ed25519\n"
         "sign *@sign.e2e.test rsa1,ed1\n";
}

void Env::writePolicy(const std::string& text) { std::ofstream(dir + "/policy") << text; }

std::string Env::start(const std::string& extraConfig) {
  char tmpl[] = "/tmp/am-e2e-XXXXXX";
  if (!mkdtemp(tmpl)) return "mkdtemp failed";
  dir = tmpl;
  std::string records;
  for (auto [sel, alg] : {std::pair{"rsa1", "rsa"}, std::pair{"ed1", "ed25519"}}) {
    int st = -1;
    records += runCommand(std::string(AM_AUTHMILTER_BIN) + " keygen -d sign.e2e.test -s " + sel + " -a " + alg +
                              " -D " + dir + " 2>/dev/null",
                          &st);
    if (st != 0) return std::string("keygen failed for ") + sel;
  }
  std::string zone =
      "pass IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
      "_dmarc.pass IN TXT \"v=DMARC1; p=reject\"\n"
      "fail IN TXT \"v=spf1 -all\"\n"
      "soft IN TXT \"v=spf1 ~all\"\n"
      "neutral IN TXT \"v=spf1 ?all\"\n"
      "tmp IN TXT \"v=spf1 -all\"\n"
      "perm IN TXT \"v=spf1 a:a1.e2e.test a:a2.e2e.test a:a3.e2e.test a:a4.e2e.test a:a5.e2e.test "
      "a:a6.e2e.test a:a7.e2e.test a:a8.e2e.test a:a9.e2e.test a:a10.e2e.test a:a11.e2e.test -all\"\n"
      "reject IN TXT \"v=spf1 -all\"\n"
      "_dmarc.reject IN TXT \"v=DMARC1; p=reject\"\n"
      "_dmarc.quar IN TXT \"v=DMARC1; p=quarantine\"\n"
      "sign IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
      "_dmarc.sign IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
      "macro IN TXT \"v=spf1 exists:%{l}.x.macro.e2e.test -all\"\n";
  for (int i = 1; i <= 11; ++i) zone += "a" + std::to_string(i) + " IN A 198.51.100." + std::to_string(i) + "\n";
  zone += records + extraRecords;
  std::string err;
  dns = am::testing::NsdServer::start({{"e2e.test", zone}}, &err);
  if (!dns) return "nsd: " + err;
  writePolicy(basePolicy() + extraPolicy);
  socket = "unix:" + dir + "/" + socketName;
  configPath = dir + "/authmilter.conf";
  std::ofstream(configPath) << "Socket " << socket << "\n"
                            << "AuthservID mx.e2e.test\nSyslog no\n"
                            << "Nameservers 127.0.0.1:" << dns->port() << "\n"
                            << "DNSTimeout 1\nDNSRetries 0\nSPFTimeout 5\n"
                            << "PolicyFile " << dir << "/policy\n"
                            << "InternalHosts 127.0.0.1\nShutdownTimeout 10\n"
                            << extraConfig;
  milter = am::milter_process::Process::start(AM_AUTHMILTER_BIN, {"-f", "-c", configPath}, &err);
  if (!milter) return "authmilter: " + err;
  if (!milter->waitForSocket(socket, std::chrono::seconds(20), &err)) return "authmilter socket: " + err + "\n" + milter->output();
  return "";
}

void Env::stop() {
  if (milter) milter->stop(std::chrono::seconds(15));
  milter.reset();
  dns.reset();
  if (!dir.empty()) runCommand("rm -rf '" + dir + "'");
  dir.clear();
}

bool waitForOutput(am::milter_process::Process& p, const std::string& needle, std::chrono::milliseconds bound) {
  return am::testing::waitUntil([&] { return p.output().find(needle) != std::string::npos; }, bound,
                                std::chrono::milliseconds(20));
}

am::milter_client::Result send(const std::string& socket, const am::milter_client::Message& m) {
  return am::milter_client::sendOnce(socket, m);
}

am::milter_client::Message message(const std::string& mailFrom, const std::string& from, const std::string& clientAddr) {
  am::milter_client::Message m;
  m.clientAddr = clientAddr;
  m.clientName = "client.example";
  m.helo = "client.example";
  m.mailFrom = "<" + mailFrom + ">";
  m.rcpts = {"<user@mx.e2e.test>"};
  m.macros = {{"i", "E2EQID"}, {"j", "mx.e2e.test"}};
  m.headers = {{"From", from}, {"To", "user@mx.e2e.test"}, {"Subject", "end to end"},
               {"Date", "Mon, 23 Nov 2026 12:00:00 +0000"}, {"Message-ID", "<e2e@e2e.test>"}};
  m.body = "Hello,\r\n\r\nthis is a test.\r\n";
  return m;
}

std::vector<std::string> headerValues(const am::milter_client::Result& r, const std::string& name) {
  std::vector<std::string> out;
  for (auto& [n, v] : r.finalHeaders)
    if (strcasecmp(n.c_str(), name.c_str()) == 0) out.push_back(v);
  return out;
}

std::string ourAuthResults(const am::milter_client::Result& r) {
  for (auto& v : headerValues(r, "Authentication-Results"))
    if (am::authres::claimsAuthservId(v, "mx.e2e.test")) return v;
  return "";
}

}  // namespace am::e2e
