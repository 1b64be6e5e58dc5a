// tests/postfix/postfix_e2e_test.cpp — issue #5: the real Debian Postfix with authmilter as its
// smtpd milter, STARTTLS offered with a certificate the suite makes (openssl req), for the
// require-tls rule. One environment per suite: a real nsd serving e2e.test, the real authmilter
// binary resolving against that nsd on a unix socket in a directory of the postfix group (as
// contrib/ ships it), and a private Postfix instance (see postfix_instance.h). Messages go in over SMTP with swaks; the test asserts the SMTP reply,
// Postfix's hold queue (postqueue -j) and the delivered maildir copy. Postfix passes the real
// client address 127.0.0.1, so the test config's InternalHosts is 10.255.255.255/32 (loopback
// mail counts as incoming).
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <memory>
#include <sstream>

#include "filter/authres/authres.h"
#include "tests/milterclient/process.h"
#include "tests/postfix/postfix_instance.h"
#include "tests/support/dnsserver/nsd_server.h"
#include "tests/support/mta/mta_e2e.h"
#include "tests/support/testfiles/test_files.h"

using am::mta_test::authResults;
using am::postfix_test::PostfixInstance;
using am::postfix_test::runCommand;
using am::postfix_test::socketDirForPostfix;

namespace {

constexpr char kAuthserv[] = "mx.e2e.test";
constexpr auto kDeliveryWait = std::chrono::seconds(30);

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// One SMTP transaction with swaks to user@<kAuthserv> (see am::mta_test::swaks).
std::string swaks(uint16_t port, const std::string& mailFrom, const std::string& dataFile, const std::string& extra = "") {
  return am::mta_test::swaks(port, mailFrom, std::string("user@") + kAuthserv, dataFile, extra);
}

// nsd + authmilter + Postfix, started once for the suite and stopped (by PID) at its end.
struct Stack {
  std::string dir;  // keys, authmilter.conf, policy, message files
  std::unique_ptr<am::testing::NsdServer> dns;
  std::unique_ptr<am::milter_process::Process> milter;
  std::unique_ptr<PostfixInstance> postfix;

  std::string start() {
    char tmpl[] = "/tmp/am-pfstack-XXXXXX";
    if (!mkdtemp(tmpl)) return "mkdtemp failed";
    dir = tmpl;
    std::string err;
    std::string keyRecord = am::mta_test::keygen(AM_AUTHMILTER_BIN, dir, "good.e2e.test", "s1", &err);
    if (keyRecord.empty()) return err;
    // ARC sealers: a list host the policy trusts and one it does not.
    for (const char* sealer : {"lists.e2e.test", "other-list.e2e.test"}) {
      std::string record = am::mta_test::keygen(AM_AUTHMILTER_BIN, dir, sealer, "arc", &err);
      if (record.empty()) return err;
      keyRecord += record;
    }
    dns = am::testing::NsdServer::start({{"e2e.test", zone() + keyRecord}}, &err);
    if (!dns) return "nsd: " + err;
    // As shipped (contrib/postfix, contrib/systemd): a unix socket in a directory only the MTA's
    // group can enter. The setgid bit gives the socket that group too (systemd: Group=).
    std::string err2 = socketDirForPostfix(dir + "/run");
    if (!err2.empty()) return err2;
    const std::string socket = "unix:" + dir + "/run/authmilter.sock";
    // No DMARC overrides: published policies apply. Two From domains must arrive over TLS.
    std::ofstream(dir + "/policy") << "require-tls tls.e2e.test reject\nrequire-tls tls13.e2e.test quarantine TLSv1.3\narc-trust lists.e2e.test\n";
    // STARTTLS offered (not required) by Postfix with a throw-away self-signed certificate.
    std::string tlsErr = makeCertificate();
    if (!tlsErr.empty()) return tlsErr;
    const std::string conf = am::mta_test::authmilterConf(socket, kAuthserv, dns->port(), dir + "/policy");
    am::testing::writeFile(dir + "/authmilter.conf", conf + "UMask 007\n");
    milter = am::mta_test::startAuthmilter(AM_AUTHMILTER_BIN, dir + "/authmilter.conf", socket, &err);
    if (!milter) return err;
    PostfixInstance::Options o;
    o.domain = kAuthserv;
    o.milter = socket;
    o.extraMainCf = "smtpd_tls_cert_file = " + dir + "/tls.crt\nsmtpd_tls_key_file = " + dir +
                    "/tls.key\nsmtpd_tls_security_level = may\nsmtpd_tls_loglevel = 1\n";
    postfix = PostfixInstance::start(o, &err);
    if (!postfix) return "postfix: " + err;
    return "";
  }

  std::string makeCertificate() {
    int st = -1;
    std::string out = runCommand("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + std::string(kAuthserv) +
                                     " -keyout " + dir + "/tls.key -out " + dir + "/tls.crt 2>&1",
                                 &st);
    return st == 0 ? "" : "openssl req failed: " + out;
  }

  static std::string zone() {
    return am::mta_test::baseZone() +
           "tls IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n"
           "_dmarc.tls IN TXT \"v=DMARC1; p=none\"\n"
           "tls13 IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n"
           "_dmarc.tls13 IN TXT \"v=DMARC1; p=none\"\n"
           "client IN A 127.0.0.1\n";
  }

  // Stops Postfix first (so no new milter connections), then authmilter, then nsd.
  void stop() {
    postfix.reset();
    if (milter) milter->stop(std::chrono::seconds(15));
    milter.reset();
    dns.reset();
    if (!dir.empty()) runCommand("rm -rf '" + dir + "'");
    dir.clear();
  }

  std::string diagnostics() const {
    return "\n--- authmilter:\n" + (milter ? milter->output() : std::string()) + "\n--- postfix log:\n" +
           (postfix ? postfix->mailLog() : std::string());
  }

  // A CRLF message; `tag` makes Subject and Message-ID unique so the delivered copy can be found.
  std::string writeMessage(const std::string& tag, const std::string& from, const std::string& extraHeaders = "") {
    return am::mta_test::writeTestMessage(dir + "/" + tag + ".eml", "postfix", tag, from,
                                          std::string("user@") + kAuthserv, extraHeaders);
  }

  // Signs `path` with the good.e2e.test key (python3-dkim); returns the signed file, or "" with
  // the script's output in *log.
  std::string sign(const std::string& path, std::string* log) {
    std::string out = path + ".signed";
    return am::mta_test::dkimSign(std::string(AM_POSTFIX_TEST_DIR) + "/dkim_sign.py", dir + "/good.e2e.test.s1.key",
                                  "s1", "good.e2e.test", path, out, log)
               ? out
               : "";
  }

  // Seals `path` as the list host `sealer` would (python3-dkim's arc_sign, key from keygen above);
  // returns the sealed file, or "" with the tool's output in *log.
  std::string arcSeal(const std::string& path, const std::string& sealer, std::string* log) {
    int st = -1;
    std::string out = path + ".sealed";
    *log = runCommand(std::string("/usr/bin/python3 ") + AM_ARC_TOOLS_DIR + "/dkimpy_arc_seal.py " + sealer + " arc " +
                          dir + "/" + sealer + ".arc.key " + sealer + " < " + path + " > " + out + " 2>" + out +
                          ".err; rc=$?; cat " + out + ".err; exit $rc",
                      &st);
    return st == 0 ? out : "";
  }

  std::string smtp(const std::string& mailFrom, const std::string& dataFile, const std::string& extra = "") {
    return swaks(postfix->smtpPort(), mailFrom, dataFile, extra);
  }
};

class Postfix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack();
    startError_ = stack_->start();
  }
  static void TearDownTestSuite() {
    stack_->stop();
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(startError_, "") << stack_->diagnostics(); }
  Stack& s() { return *stack_; }
  static Stack* stack_;
  static std::string startError_;
};
Stack* Postfix::stack_ = nullptr;
std::string Postfix::startError_;

}  // namespace

TEST_F(Postfix, ForgedFromOfRejectDomainGets550AtEndOfData) {
  std::string t = s().smtp("a@reject.e2e.test", s().writeMessage("reject", "Bank <a@reject.e2e.test>"));
  EXPECT_TRUE(has(t, "<** 550 5.7.1")) << t << s().diagnostics();
  EXPECT_TRUE(has(t, "reject.e2e.test")) << t;  // the reply names the From domain
  EXPECT_FALSE(has(t, "queued as")) << t;
  EXPECT_FALSE(s().postfix->waitForDelivery("<reject@e2e.test>", std::chrono::milliseconds(0)));
}

TEST_F(Postfix, QuarantineFailureLandsInPostfixHoldQueue) {
  std::string t = s().smtp("b@quar.e2e.test", s().writeMessage("quarantine", "b@quar.e2e.test"));
  ASSERT_TRUE(has(t, "<-  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  bool held = false;
  std::string seen;
  for (auto& e : s().postfix->queue()) {
    seen += e.queueName + " " + e.queueId + " " + e.sender + "\n";
    if (e.sender == "b@quar.e2e.test" && e.queueName == "hold") held = true;
  }
  EXPECT_TRUE(held) << "postqueue -j:\n" << seen << s().diagnostics();
  EXPECT_FALSE(s().postfix->waitForDelivery("<quarantine@e2e.test>", std::chrono::seconds(1)));
}

TEST_F(Postfix, AlignedPassingMessageDeliveredWithOurAuthenticationResults) {
  std::string signLog;
  std::string signedFile = s().sign(s().writeMessage("pass", "Good <g@good.e2e.test>"), &signLog);
  ASSERT_NE(signedFile, "") << signLog;
  std::string t = s().smtp("g@good.e2e.test", signedFile);
  ASSERT_TRUE(has(t, "<-  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  auto copy = s().postfix->waitForDelivery("<pass@e2e.test>", kDeliveryWait);
  ASSERT_TRUE(copy) << s().diagnostics();
  auto ars = authResults(*copy);
  ASSERT_EQ(ars.size(), 1u) << *copy;
  const std::string& ar = ars[0];
  EXPECT_TRUE(am::authres::claimsAuthservId(ar, kAuthserv)) << ar;
  EXPECT_TRUE(has(ar, "spf=pass")) << ar;
  EXPECT_TRUE(has(ar, "smtp.mailfrom=good.e2e.test")) << ar;
  EXPECT_TRUE(has(ar, "dkim=pass")) << ar;
  EXPECT_TRUE(has(ar, "header.d=good.e2e.test")) << ar;
  EXPECT_TRUE(has(ar, "dmarc=pass")) << ar;
  EXPECT_TRUE(has(ar, "header.from=good.e2e.test")) << ar;
  EXPECT_TRUE(has(*copy, "DKIM-Signature:")) << *copy;  // the signature travels with the message
}

TEST_F(Postfix, ForgedAuthResultsWithOurAuthservIdIsReplacedByOurs) {
  const std::string forged =
      "Authentication-Results: mx.e2e.test; dmarc=pass header.from=forged-marker.example\r\n"
      "Authentication-Results: MX.E2E.TEST (comment) ;\r\n\tspf=pass smtp.mailfrom=forged-marker.example\r\n"
      "Authentication-Results: relay.other.example; spf=pass smtp.mailfrom=other-marker.example\r\n";
  std::string t = s().smtp("g@good.e2e.test", s().writeMessage("forgedar", "g@good.e2e.test", forged));
  ASSERT_TRUE(has(t, "<-  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  auto copy = s().postfix->waitForDelivery("<forgedar@e2e.test>", kDeliveryWait);
  ASSERT_TRUE(copy) << s().diagnostics();
  EXPECT_FALSE(has(*copy, "forged-marker")) << *copy;
  std::vector<std::string> ours;
  for (auto& v : authResults(*copy))
    if (am::authres::claimsAuthservId(v, kAuthserv)) ours.push_back(v);
  ASSERT_EQ(ours.size(), 1u) << *copy;
  EXPECT_TRUE(has(ours[0], "spf=pass")) << ours[0];
  EXPECT_TRUE(has(ours[0], "dmarc=pass")) << ours[0];
  // Another host's AR is not ours to remove.
  EXPECT_TRUE(has(*copy, "other-marker.example")) << *copy;
}

// require-tls through the real Postfix: STARTTLS offered with a certificate the test made; swaks
// sends with and without it. Postfix passes {tls_version} and {cipher} with the EHLO after STARTTLS.
TEST_F(Postfix, RequireTlsRejectsPlainSmtpWith5710) {
  std::string t = s().smtp("a@tls.e2e.test", s().writeMessage("tlsplain", "a@tls.e2e.test"));
  EXPECT_TRUE(has(t, "<** 550 5.7.10 mail from tls.e2e.test must arrive over TLS")) << t << s().diagnostics();
  EXPECT_FALSE(has(t, "queued as")) << t;
  EXPECT_TRUE(has(s().milter->output(), "override=require_tls reason=\"require-tls tls.e2e.test (policy line 1): no TLS"))
      << s().diagnostics();
}

TEST_F(Postfix, RequireTlsDeliversOverStarttlsWithTheTransportInOurAuthResults) {
  std::string t = s().smtp("a@tls.e2e.test", s().writeMessage("tlsstarttls", "a@tls.e2e.test"), "--tls");
  ASSERT_TRUE(has(t, "<-  220 2.0.0 Ready to start TLS")) << t << s().diagnostics();
  ASSERT_TRUE(has(t, "<~  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  auto copy = s().postfix->waitForDelivery("<tlsstarttls@e2e.test>", kDeliveryWait);
  ASSERT_TRUE(copy) << s().diagnostics();
  auto ars = authResults(*copy);
  ASSERT_EQ(ars.size(), 1u) << *copy;
  auto parsed = am::authres::parse(ars[0], nullptr);
  ASSERT_TRUE(parsed) << ars[0];
  EXPECT_EQ(parsed->authservId, kAuthserv);
  // "mx.e2e.test (tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256); spf=pass ..."
  EXPECT_TRUE(has(ars[0], "(tls=TLSv1.3 cipher=TLS_")) << ars[0];
  EXPECT_TRUE(has(ars[0], "bits=")) << ars[0];
  EXPECT_TRUE(has(ars[0], "spf=pass")) << ars[0];
  EXPECT_TRUE(has(ars[0], "dmarc=pass")) << ars[0];
  EXPECT_TRUE(has(s().milter->output(), "mailfrom=a@tls.e2e.test tls=TLSv1.3 cipher=TLS_")) << s().diagnostics();
}

TEST_F(Postfix, RequireTlsBelowTheMinimumVersionIsHeld) {
  std::string t = s().smtp("a@tls13.e2e.test", s().writeMessage("tls12", "a@tls13.e2e.test"),
                           "--tls --tls-protocol tlsv1_2");
  ASSERT_TRUE(has(t, "<~  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  bool held = false;
  std::string seen;
  for (auto& e : s().postfix->queue()) {
    seen += e.queueName + " " + e.queueId + " " + e.sender + "\n";
    if (e.sender == "a@tls13.e2e.test" && e.queueName == "hold") held = true;
  }
  EXPECT_TRUE(held) << "postqueue -j:\n" << seen << s().diagnostics();
  EXPECT_TRUE(has(s().milter->output(), "require-tls tls13.e2e.test (policy line 2): TLSv1.2 below TLSv1.3"))
      << s().diagnostics();
}

// milter_default_action = tempfail: with authmilter unreachable, Postfix defers instead of passing
// mail unchecked. A Postfix instance of its own, pointed at a socket path nobody listens on.
TEST(PostfixMilterDown, UnreachableMilterMeansTemporaryFailure) {
  PostfixInstance::Options o;
  o.domain = kAuthserv;
  o.milter = "unix:/nonexistent-authmilter-dir/authmilter.sock";  // nobody listens there, ever
  std::string err;
  auto postfix = PostfixInstance::start(o, &err);
  ASSERT_TRUE(postfix) << err;
  const std::string msg = postfix->dir() + "/down.eml";
  std::ofstream(msg, std::ios::binary) << "From: a@good.e2e.test\r\nTo: user@" << kAuthserv
                                       << "\r\nSubject: down\r\nMessage-ID: <down@e2e.test>\r\n\r\nbody\r\n";
  std::string t = swaks(postfix->smtpPort(), "a@good.e2e.test", msg);
  EXPECT_TRUE(has(t, "<** 451 4.7.1")) << t << postfix->mailLog();
  EXPECT_FALSE(has(t, "queued as")) << t;
  EXPECT_TRUE(postfix->queue().empty());
}

// ARC (RFC 8617) through the real Postfix. A message from a p=reject domain went through a list
// host: the list checked it (its Authentication-Results say so), tagged the Subject, which breaks
// the author's DKIM signature, and sealed it with python3-dkim; it now reaches us from 127.0.0.1,
// which the From domain's SPF record does not allow.
namespace {

std::string listMessage(Stack& s, const std::string& tag, const std::string& sealer, std::string* log) {
  std::string original = s.writeMessage(tag, "Alice <a@reject.e2e.test>",
                                        "Authentication-Results: " + sealer + "; arc=none; spf=pass smtp.mailfrom=a@reject.e2e.test;"
                                        " dkim=pass header.d=good.e2e.test; dmarc=pass header.from=reject.e2e.test\r\n");
  std::string signedFile = s.sign(original, log);  // d=good.e2e.test: not aligned with the From domain anyway
  if (signedFile.empty()) return "";
  std::stringstream ss;
  ss << std::ifstream(signedFile, std::ios::binary).rdbuf();
  std::string text = ss.str();
  auto subj = text.find("Subject: postfix e2e");
  if (subj == std::string::npos) return "";
  text.insert(subj + 9, "[list] ");  // the list's Subject tag: the DKIM signature no longer verifies
  std::ofstream(signedFile, std::ios::binary) << text;
  return s.arcSeal(signedFile, sealer, log);
}

}  // namespace

TEST_F(Postfix, ArcChainFromTrustedSealerLiftsDmarcReject) {
  std::string log;
  std::string sealed = listMessage(s(), "arctrusted", "lists.e2e.test", &log);
  ASSERT_NE(sealed, "") << log;
  std::string t = s().smtp("a@reject.e2e.test", sealed);
  ASSERT_TRUE(has(t, "<-  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  auto copy = s().postfix->waitForDelivery("<arctrusted@e2e.test>", kDeliveryWait);
  ASSERT_TRUE(copy) << s().diagnostics();
  std::string ours;
  for (auto& v : authResults(*copy))
    if (am::authres::claimsAuthservId(v, kAuthserv)) ours = v;
  ASSERT_NE(ours, "") << *copy;
  EXPECT_TRUE(has(ours, "spf=fail")) << ours;
  EXPECT_TRUE(has(ours, "dkim=fail")) << ours;
  EXPECT_TRUE(has(ours, "arc=pass")) << ours;
  EXPECT_TRUE(has(ours, "header.oldest-pass=0")) << ours;
  EXPECT_TRUE(has(ours, "smtp.remote-ip=127.0.0.1")) << ours;
  EXPECT_TRUE(has(ours, "dmarc=fail")) << ours;
  EXPECT_TRUE(has(ours, "override=arc")) << ours;
  EXPECT_TRUE(has(s().milter->output(), "arc.sealer=lists.e2e.test")) << s().diagnostics();
}

TEST_F(Postfix, ArcChainFromUntrustedSealerIsRejected) {
  std::string log;
  std::string sealed = listMessage(s(), "arcuntrusted", "other-list.e2e.test", &log);
  ASSERT_NE(sealed, "") << log;
  std::string t = s().smtp("a@reject.e2e.test", sealed);
  EXPECT_TRUE(has(t, "<** 550 5.7.1")) << t << s().diagnostics();
  EXPECT_FALSE(has(t, "queued as")) << t;
}

TEST_F(Postfix, BrokenSealGetsArcFail) {
  // An aligned, passing message (delivered either way) whose chain has a broken seal.
  std::string log;
  std::string signedFile = s().sign(s().writeMessage("arcbroken", "Good <g@good.e2e.test>",
                                                     "Authentication-Results: lists.e2e.test; arc=none; dmarc=pass\r\n"),
                                    &log);
  ASSERT_NE(signedFile, "") << log;
  std::string sealed = s().arcSeal(signedFile, "lists.e2e.test", &log);
  ASSERT_NE(sealed, "") << log;
  std::stringstream ss;
  ss << std::ifstream(sealed, std::ios::binary).rdbuf();
  std::string text = ss.str();
  auto b = text.find("ARC-Seal:");
  ASSERT_NE(b, std::string::npos);
  b = text.find(" b=", b);
  ASSERT_NE(b, std::string::npos);
  text[b + 4] = text[b + 4] == 'A' ? 'B' : 'A';  // one base64 character of the seal's signature
  std::ofstream(sealed, std::ios::binary) << text;
  std::string t = s().smtp("g@good.e2e.test", sealed);
  ASSERT_TRUE(has(t, "<-  250 2.0.0 Ok: queued as")) << t << s().diagnostics();
  auto copy = s().postfix->waitForDelivery("<arcbroken@e2e.test>", kDeliveryWait);
  ASSERT_TRUE(copy) << s().diagnostics();
  std::string ours;
  for (auto& v : authResults(*copy))
    if (am::authres::claimsAuthservId(v, kAuthserv)) ours = v;
  EXPECT_TRUE(has(ours, "arc=fail")) << ours;
  EXPECT_TRUE(has(ours, "dmarc=pass")) << ours;
  EXPECT_FALSE(has(ours, "override=arc")) << ours;
}
