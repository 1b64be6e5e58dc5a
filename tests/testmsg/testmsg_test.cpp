// tests/testmsg/testmsg_test.cpp — `authmilter test-message` end to end: the real binary as a
// subprocess, on zone files written here (--dns-zone) and on a real nsd serving the same records
// (the configured Nameservers). Pass, SPF/DMARC fail and reject, quarantine, tempfail; mbox and
// Maildir input; --json parsed with nlohmann-json; the DKIM-Signature of a signing rule checked
// by python3-dkim; the progress line; errors as FILE:LINE with exit status 1.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "filter/dns/zone_resolver.h"
#include "tests/support/dnsserver/nsd_server.h"
#include "tests/support/testfiles/test_files.h"

namespace {

struct Ran {
  int status = -1;
  std::string out, err;
};

using am::testing::readFile;
using am::testing::runCommand;

// The records every test uses, relative to tm.test (the zone file adds $ORIGIN, nsd its SOA).
const char* kRecords =
    "pass TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.pass TXT ( \"v=DMARC1; \" \"p=reject\" )  ; split over lines\n"
    "reject TXT \"v=spf1 -all\"\n"
    "_dmarc.reject TXT \"v=DMARC1; p=reject\"\n"
    "quar TXT \"v=spf1 -all\"\n"
    "_dmarc.quar TXT \"v=DMARC1; p=quarantine\"\n"
    "tmp TXT \"v=spf1 -all\"\n"
    "_dmarc.tmp CNAME loop.tmp\n"
    "loop.tmp CNAME _dmarc.tmp\n"
    "sign TXT \"v=spf1 -all\"\n"
    "_dmarc.sign TXT \"v=DMARC1; p=reject\"\n";

class TestMessage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path;
    ASSERT_FALSE(dir_.empty());
    int st = -1;
    keyRecord_ = runCommand(
        std::string(AM_AUTHMILTER_BIN) + " keygen -d sign.tm.test -s sel -a rsa -D " + dir_ + " 2>/dev/null", &st);
    ASSERT_EQ(st, 0);
    records_ = std::string(kRecords) + keyRecord_;
    zone_ = write("tm.zone", "$ORIGIN tm.test.\n$TTL 300\n" + records_);
    std::ofstream(dir_ + "/policy") << "key sel sign.tm.test sel " << dir_ << "/sign.tm.test.sel.key rsa\n"
                                    << "sign *@sign.tm.test sel\n";
    config(dir_ + "/authmilter.conf", "");
  }
  std::string write(const std::string& name, const std::string& text) { return tmp_.file(name, text); }
  void config(const std::string& path, const std::string& extra) {
    std::ofstream(path) << "Socket unix:" << dir_ << "/unused.sock\nAuthservID mx.tm.test\nSyslog no\n"
                        << "PolicyFile " << dir_ << "/policy\nDNSTimeout 2\nDNSRetries 1\n" << extra;
  }
  static std::string message(const std::string& from, const std::string& body = "Hello,\n\nthis is a test.\n") {
    return "From: " + from + "\nTo: user@mx.tm.test\nSubject: offline test\nDate: Mon, 23 Nov 2026 12:00:00 +0000\n"
           "Message-ID: <t@tm.test>\n\n" + body;
  }

  // Runs test-message with the zone file unless `zone` is false; extra args first, then files.
  Ran run(std::vector<std::string> args, bool zone = true, const std::string& conf = "") {
    std::string cmd = std::string(AM_AUTHMILTER_BIN) + " test-message -c " + (conf.empty() ? dir_ + "/authmilter.conf" : conf);
    if (zone) cmd += " --dns-zone " + zone_;
    for (auto& a : args) cmd += " '" + a + "'";
    cmd += " 2>" + dir_ + "/stderr";
    Ran r;
    r.out = runCommand(cmd, &r.status);
    r.err = readFile(dir_ + "/stderr");
    return r;
  }

  am::testing::TempDir tmp_{"am-testmsg"};  // removed with everything in it when the test ends
  std::string dir_, zone_, keyRecord_, records_;
};

TEST_F(TestMessage, PassIsAcceptedWithOurAuthResults) {
  auto m = write("pass.eml", message("alice@pass.tm.test"));
  Ran r = run({"--client-ip", "192.0.2.10", "--helo", "client.example", "--mail-from", "alice@pass.tm.test", m});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("== " + m + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Authentication-Results: mx.tm.test; spf=pass smtp.mailfrom=pass.tm.test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dmarc=pass"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: accept\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("DKIM-Signature:"), std::string::npos) << r.out;  // incoming: nothing signed
}

TEST_F(TestMessage, DmarcFailIsRejectedWithReason) {
  auto m = write("rej.eml", message("bank@reject.tm.test"));
  Ran r = run({"--client-ip", "198.51.100.7", "--mail-from", "x@reject.tm.test", m});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("spf=fail"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dmarc=fail"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: reject 550 5.7.1 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reason: dmarc=fail p=reject"), std::string::npos) << r.out;
}

TEST_F(TestMessage, QuarantineAndTempfailExitStatus) {
  auto q = write("q.eml", message("x@quar.tm.test"));
  Ran r = run({"--client-ip", "198.51.100.7", "--mail-from", "x@quar.tm.test", q});
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: quarantine ("), std::string::npos) << r.out;
  // _dmarc.tmp is a CNAME loop: the DMARC lookup fails temporarily -> 451.
  auto t = write("t.eml", message("x@tmp.tm.test"));
  r = run({"--client-ip", "198.51.100.7", "--mail-from", "x@tmp.tm.test", t});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: tempfail 451 "), std::string::npos) << r.out;
  // Several messages: the most severe verdict decides (reject over tempfail over quarantine).
  auto rej = write("rej.eml", message("bank@reject.tm.test"));
  r = run({"--client-ip", "198.51.100.7", q, t, rej});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  r = run({"--client-ip", "198.51.100.7", q, t});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
}

TEST_F(TestMessage, JsonCarriesTheWholeOutcome) {
  auto pass = write("pass.eml", message("alice@pass.tm.test"));
  auto rej = write("rej.eml", message("bank@reject.tm.test"));
  Ran r = run({"--json", "--client-ip", "192.0.2.10", "--helo", "h.example", "--rcpt", "u@mx.tm.test",
               "--tls", "TLSv1.3", "--mail-from", "alice@pass.tm.test", pass, rej});
  EXPECT_EQ(r.status, 2) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> js;
  for (std::string line; std::getline(lines, line);) js.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(js.size(), 2u) << r.out;
  const auto& a = js[0];
  EXPECT_EQ(a["message"], pass);
  EXPECT_EQ(a["verdict"]["class"], "accept");
  EXPECT_EQ(a["outcome"]["client"]["addr"], "192.0.2.10");
  EXPECT_EQ(a["outcome"]["client"]["helo"], "h.example");
  EXPECT_EQ(a["outcome"]["client"]["tls_version"], "TLSv1.3");
  EXPECT_EQ(a["outcome"]["rcpts"][0], "<u@mx.tm.test>");
  EXPECT_EQ(a["outcome"]["from"]["domain"], "pass.tm.test");
  EXPECT_EQ(a["outcome"]["spf_mailfrom"]["result"], "pass");
  EXPECT_EQ(a["outcome"]["dmarc"]["result"], "pass");
  EXPECT_EQ(a["outcome"]["dmarc"]["record"]["p"], "reject");
  EXPECT_EQ(a["outcome"]["disposition"]["action"], "accept");
  EXPECT_EQ(a["add_headers"][0]["name"], "Authentication-Results");
  const auto& b = js[1];
  EXPECT_EQ(b["verdict"]["class"], "reject");
  EXPECT_EQ(b["verdict"]["smtp_code"], "550");
  EXPECT_EQ(b["outcome"]["dmarc"]["result"], "fail");
  EXPECT_EQ(b["outcome"]["disposition"]["action"], "reject");
  EXPECT_FALSE(b["outcome"]["disposition"]["reason"].get<std::string>().empty());
}

TEST_F(TestMessage, SigningRulePrintsASignatureThatDkimpyVerifies) {
  std::string body = "Hello,\n\nsigned offline.\n";
  auto m = write("out.eml", message("alice@sign.tm.test", body));
  Ran r = run({"--auth-user", "alice", "--client-ip", "203.0.113.5", "--mail-from", "alice@sign.tm.test", m});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  auto at = r.out.find("DKIM-Signature: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  // The header runs to the next line that does not start with blank space.
  size_t end = at;
  do end = r.out.find('\n', end + 1);
  while (end != std::string::npos && end + 1 < r.out.size() && (r.out[end + 1] == '\t' || r.out[end + 1] == ' '));
  std::string header = r.out.substr(at, end - at);
  EXPECT_NE(header.find("d=sign.tm.test"), std::string::npos) << header;
  EXPECT_NE(header.find("s=sel"), std::string::npos) << header;
  std::string signedMsg = header + "\n" + message("alice@sign.tm.test", body), crlf;
  for (char c : signedMsg) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  auto signedPath = write("signed.eml", crlf);
  // The key as the zone file publishes it, read through the zone resolver.
  std::vector<std::string> errs;
  auto zr = am::dns::ZoneResolver::load({zone_}, errs);
  ASSERT_NE(zr, nullptr);
  auto key = zr->txt("sel._domainkey.sign.tm.test");
  ASSERT_EQ(key.status, am::DnsStatus::Ok);
  auto keys = write("keys", "sel._domainkey.sign.tm.test\t" + key.records[0] + "\n");
  int st = -1;
  std::string v =
      runCommand(std::string("/usr/bin/python3 ") + AM_SIGN_VERIFY_SCRIPT + " " + keys + " " + signedPath + " 2>&1", &st);
  EXPECT_EQ(st, 0) << v << "\n" << crlf;
  EXPECT_NE(v.find("msg 0: pass (1 signatures)"), std::string::npos) << v;
  // Tampered body: the same check fails (the verification is real).
  std::string bad = crlf;
  bad.replace(bad.find("signed offline"), 6, "SIGNED");
  write("bad.eml", bad);
  runCommand(std::string("/usr/bin/python3 ") + AM_SIGN_VERIFY_SCRIPT + " " + keys + " " + dir_ + "/bad.eml 2>&1", &st);
  EXPECT_EQ(st, 1);
}

TEST_F(TestMessage, MboxAndMaildir) {
  std::string mbox = "From x@reject.tm.test Mon Nov 23 12:00:00 2026\n" + message("bank@reject.tm.test") + "\n" +
                     "From alice@pass.tm.test Mon Nov 23 12:00:01 2026\n" +
                     message("alice@pass.tm.test", "Hi\n>From the quoted line\n") + "\n";
  auto p = write("box", mbox);
  // No --mail-from: each message's envelope sender is its From_ line.
  Ran r = run({"--json", "--client-ip", "192.0.2.10", p});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> js;
  for (std::string line; std::getline(lines, line);) js.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(js.size(), 2u) << r.out;
  EXPECT_EQ(js[0]["message"], p + "#1");
  EXPECT_EQ(js[0]["outcome"]["mail_from"], "x@reject.tm.test");
  EXPECT_EQ(js[0]["verdict"]["class"], "reject");
  EXPECT_EQ(js[1]["message"], p + "#2");
  EXPECT_EQ(js[1]["outcome"]["mail_from"], "alice@pass.tm.test");
  EXPECT_EQ(js[1]["outcome"]["spf_mailfrom"]["result"], "pass");
  EXPECT_EQ(js[1]["verdict"]["class"], "accept");

  std::string md = dir_ + "/Maildir";
  for (auto sub : {"", "/cur", "/new", "/tmp"}) ASSERT_EQ(mkdir((md + sub).c_str(), 0700), 0);
  write("Maildir/cur/1.host:2,S", "Return-Path: <alice@pass.tm.test>\n" + message("alice@pass.tm.test"));
  write("Maildir/new/2.host", message("x@quar.tm.test"));
  r = run({"--client-ip", "192.0.2.10", md});
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  auto first = r.out.find("== " + md + "/cur/1.host:2,S\n");
  auto second = r.out.find("== " + md + "/new/2.host\n");
  ASSERT_NE(first, std::string::npos) << r.out;
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_LT(first, second);
  EXPECT_NE(r.out.find("spf=pass smtp.mailfrom=pass.tm.test"), std::string::npos) << r.out;  // from Return-Path
  EXPECT_NE(r.out.find("verdict: quarantine"), second) << r.out;
}

TEST_F(TestMessage, ProgressLineForLargeMailboxesOnly) {
  std::string small, large;
  for (int i = 0; i < 5; ++i) small += "From a@pass.tm.test Mon Nov 23 12:00:00 2026\n" + message("a@pass.tm.test") + "\n";
  for (int i = 0; i < 250; ++i) large += "From a@pass.tm.test Mon Nov 23 12:00:00 2026\nFrom: a@pass.tm.test\n\nm\n\n";
  Ran r = run({"--client-ip", "192.0.2.10", write("small", small)});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find("messages"), std::string::npos) << r.err;
  r = run({"--client-ip", "192.0.2.10", write("large", large)});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("test-message: 100/250 messages\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("test-message: 250/250 messages\n"), std::string::npos) << r.err;
  size_t blocks = 0;
  for (size_t at = r.out.find("== "); at != std::string::npos; at = r.out.find("\n== ", at + 1)) ++blocks;
  EXPECT_EQ(blocks, 250u);
}

TEST_F(TestMessage, RealNameserverGivesTheSameAnswers) {
  std::string err;
  auto nsd = am::testing::NsdServer::start({{"tm.test", records_}}, &err);
  ASSERT_NE(nsd, nullptr) << err;
  std::string conf = dir_ + "/nsd.conf";
  config(conf, "Nameservers 127.0.0.1:" + std::to_string(nsd->port()) + "\n");
  auto pass = write("pass.eml", message("alice@pass.tm.test"));
  auto rej = write("rej.eml", message("bank@reject.tm.test"));
  for (bool zone : {false, true}) {
    Ran a = run({"--client-ip", "192.0.2.10", "--mail-from", "alice@pass.tm.test", pass}, zone, conf);
    EXPECT_EQ(a.status, 0) << a.out << a.err;
    EXPECT_NE(a.out.find("dmarc=pass"), std::string::npos) << a.out;
    Ran b = run({"--client-ip", "198.51.100.7", "--mail-from", "x@reject.tm.test", rej}, zone, conf);
    EXPECT_EQ(b.status, 2) << b.out << b.err;
    EXPECT_NE(b.out.find("verdict: reject 550 5.7.1"), std::string::npos) << b.out;
  }
}

// --log shows the milter's own line per message; LogFormat json makes it one JSON object. A hostile
// HELO and From stay inside their fields in both formats.
TEST_F(TestMessage, LogLineInBothFormats) {
  auto m = write("m.eml", "From: \"evil\x1b[2J\" <a@pass.tm.test>\nSubject: x\n\nhi\n");
  for (std::string format : {"kv", "json"}) {
    std::string conf = dir_ + "/" + format + ".conf";
    config(conf, "LogFormat " + format + "\n");
    Ran r = run({"--log", "--client-ip", "192.0.2.10", "--helo", "x key=value action=accept", "--mail-from",
                 "a@pass.tm.test", m}, true, conf);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    std::string line;
    std::istringstream lines(r.err);
    for (std::string l; std::getline(lines, l);)
      if (l.find("authmilter[info]: ") != std::string::npos) line = l.substr(l.find("]: ") + 3);
    ASSERT_FALSE(line.empty()) << r.err;
    for (char c : line) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << line;
    if (format == "json") {
      auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j["qid"], "msg1");
      EXPECT_EQ(j["helo"], "x key=value action=accept");
      EXPECT_EQ(j["spf"], "pass");
      EXPECT_EQ(j["action"], "accept");
    } else {
      EXPECT_EQ(line.rfind("qid=msg1 client=192.0.2.10[unknown] helo=\"x key=value action=accept\" ", 0), 0u) << line;
      EXPECT_NE(line.find(" action=accept"), std::string::npos) << line;
    }
  }
  Ran quiet = run({"--client-ip", "192.0.2.10", m});  // without --log: no per-message line
  EXPECT_EQ(quiet.err.find("authmilter[info]"), std::string::npos) << quiet.err;
}

TEST_F(TestMessage, ErrorsExitOne) {
  auto m = write("m.eml", message("a@pass.tm.test"));
  auto badZone = write("bad.zone", "$ORIGIN tm.test.\nok TXT \"x\"\nbroken A 999.1.1.1\n");
  std::string cmd = std::string(AM_AUTHMILTER_BIN) + " test-message -c " + dir_ + "/authmilter.conf --dns-zone " +
                    badZone + " " + m + " 2>&1";
  int st = -1;
  std::string out = runCommand(cmd, &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find(badZone + ":3: bad A address '999.1.1.1'"), std::string::npos) << out;
  Ran r = run({"--bogus", m});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown option '--bogus'"), std::string::npos) << r.err;
  r = run({dir_ + "/missing.eml"});
  EXPECT_EQ(r.status, 1);
  config(dir_ + "/bad.conf", "NoSuchKey yes\n");
  r = run({m}, true, dir_ + "/bad.conf");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(dir_ + "/bad.conf:"), std::string::npos) << r.err;
}

}  // namespace
