// tests/sendmail/sendmail_e2e_test.cpp — the real Debian Sendmail with authmilter as its
// INPUT_MAIL_FILTER, configured from contrib/sendmail/sendmail.mc.snippet (see
// sendmail_instance.h), once per MilterServer value (native, libmilter). A real nsd serves
// e2e.test; the real authmilter binary listens on a unix socket; swaks sends over SMTP. The same
// checks as the Postfix test: a forged From of a p=reject domain gets 550 5.7.1, a p=quarantine
// failure is held in Sendmail's quarantine (`mailq -qQ`), an aligned message is delivered with our
// AR header, and forged AR headers claiming our authserv-id are gone; with authmilter unreachable
// the snippet's F=T gives 451 4.3.2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "filter/authres/authres.h"
#include "tests/milterclient/process.h"
#include "tests/sendmail/sendmail_instance.h"
#include "tests/support/dnsserver/nsd_server.h"
#include "tests/support/mta/mta_e2e.h"
#include "tests/support/testfiles/test_files.h"

using am::mta_test::authResults;
using am::mta_test::swaks;
using am::sendmail_test::SendmailInstance;
using am::testing::runCommand;

namespace {

constexpr char kAuthserv[] = "mx.sm.test";
constexpr auto kDeliveryWait = std::chrono::seconds(30);

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// What the suite shares: the unpacked Sendmail, a DKIM key, nsd serving e2e.test.
struct Shared {
  std::string root;  // fetch-sendmail.sh's tree
  std::string dir;   // key, messages
  std::unique_ptr<am::testing::NsdServer> dns;

  std::string start() {
    int st = -1;
    std::string out = runCommand("timeout 300 " + std::string(AM_SENDMAIL_TEST_DIR) + "/fetch-sendmail.sh " +
                                     AM_SENDMAIL_CACHE_DIR + " 2>&1",
                                 &st);
    if (st != 0) return "fetch-sendmail.sh failed: " + out;
    root = out.substr(0, out.find_last_not_of('\n') + 1);
    root = root.substr(root.rfind('\n') == std::string::npos ? 0 : root.rfind('\n') + 1);
    char tmpl[] = "/tmp/am-smstack-XXXXXX";
    if (!mkdtemp(tmpl)) return "mkdtemp failed";
    dir = tmpl;
    std::string err;
    std::string keyRecord = am::mta_test::keygen(AM_AUTHMILTER_BIN, dir, "good.e2e.test", "s1", &err);
    if (keyRecord.empty()) return err;
    dns = am::testing::NsdServer::start({{"e2e.test", am::mta_test::baseZone() + keyRecord}}, &err);
    return dns ? "" : "nsd: " + err;
  }

  void stop() {
    dns.reset();
    if (!dir.empty()) runCommand("rm -rf '" + dir + "'");
    dir.clear();
  }
};

Shared* shared = nullptr;
std::string sharedError;

// authmilter (with the MilterServer value of the test) and Sendmail in front of it, per test.
class Sendmail : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    shared = new Shared();
    sharedError = shared->start();
  }
  static void TearDownTestSuite() {
    shared->stop();
    delete shared;
    shared = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(sharedError, "");
    const std::string& d = shared->dir;
    const std::string sub = d + "/" + GetParam();
    ASSERT_EQ(runCommand("mkdir -p '" + sub + "' && echo ok"), "ok\n");
    socket_ = sub + "/run/authmilter.sock";  // authmilter creates the missing directory (0750)
    std::ofstream(sub + "/policy") << "# no overrides: published DMARC policies apply\n";
    am::testing::writeFile(sub + "/authmilter.conf",
                           am::mta_test::authmilterConf("unix:" + socket_, kAuthserv, shared->dns->port(),
                                                        sub + "/policy") +
                               "MilterServer " + GetParam() + "\n");
    std::string err;
    milter_ = am::mta_test::startAuthmilter(AM_AUTHMILTER_BIN, sub + "/authmilter.conf", "unix:" + socket_, &err);
    ASSERT_TRUE(milter_) << err;
    SendmailInstance::Options o;
    o.root = shared->root;
    o.snippet = std::string(AM_SOURCE_DIR) + "/contrib/sendmail/sendmail.mc.snippet";
    o.socket = socket_;
    o.domain = kAuthserv;
    sendmail_ = SendmailInstance::start(o, &err);
    ASSERT_TRUE(sendmail_) << err;
  }

  void TearDown() override {
    sendmail_.reset();  // first the MTA, so no new milter connections
    if (milter_) milter_->stop(std::chrono::seconds(15));
  }

  std::string diagnostics() const {
    return "\n--- authmilter:\n" + (milter_ ? milter_->output() : std::string()) + "\n--- sendmail:\n" +
           (sendmail_ ? sendmail_->output() + "\n--- sendmail.mc:\n" + sendmail_->mc() : std::string());
  }

  // A CRLF message; `tag` makes the Message-ID unique so the delivered copy can be found.
  std::string writeMessage(const std::string& tag, const std::string& from, const std::string& extraHeaders = "") {
    return am::mta_test::writeTestMessage(shared->dir + "/" + GetParam() + "-" + tag + ".eml", "sendmail", tag, from,
                                          std::string("user@") + kAuthserv, extraHeaders);
  }

  // One SMTP transaction with swaks (bounded by --timeout per step): "<-  " a reply, "<** " a failure.
  std::string smtp(const std::string& mailFrom, const std::string& dataFile) {
    return swaks(sendmail_->smtpPort(), mailFrom, std::string("user@") + kAuthserv, dataFile);
  }

  std::string socket_;
  std::unique_ptr<am::milter_process::Process> milter_;
  std::unique_ptr<SendmailInstance> sendmail_;
};

TEST_P(Sendmail, ForgedFromOfRejectDomainGets550) {
  std::string t = smtp("a@reject.e2e.test", writeMessage("reject", "Bank <a@reject.e2e.test>"));
  EXPECT_TRUE(has(t, "<** 550 5.7.1 rejected by DMARC policy for reject.e2e.test")) << t << diagnostics();
  EXPECT_FALSE(has(t, "Message accepted for delivery")) << t;
  EXPECT_FALSE(sendmail_->waitForDelivery("<reject@e2e.test>", std::chrono::milliseconds(0)));
}

TEST_P(Sendmail, QuarantineFailureIsHeldInSendmailsQuarantine) {
  std::string t = smtp("b@quar.e2e.test", writeMessage("quarantine", "b@quar.e2e.test"));
  ASSERT_TRUE(has(t, "<-  250 2.0.0")) << t << diagnostics();
  std::string listing = sendmail_->quarantineListing();
  EXPECT_TRUE(has(listing, "<b@quar.e2e.test>")) << listing << diagnostics();
  EXPECT_TRUE(has(listing, "QUARANTINE: DMARC policy for quar.e2e.test (p=quarantine): quarantine")) << listing;
  EXPECT_FALSE(sendmail_->waitForDelivery("<quarantine@e2e.test>", std::chrono::seconds(1)));
}

TEST_P(Sendmail, AlignedMessageDeliveredWithOurAuthResultsAndNoForgedOne) {
  const std::string forged =
      "Authentication-Results: mx.sm.test; dmarc=pass header.from=forged-marker.example\r\n"
      "Authentication-Results: MX.SM.TEST (comment) ;\r\n\tspf=pass smtp.mailfrom=forged-marker.example\r\n";
  std::string plain = writeMessage("pass", "Good <g@good.e2e.test>", forged);
  std::string log;
  ASSERT_TRUE(am::mta_test::dkimSign(std::string(AM_POSTFIX_TEST_DIR) + "/dkim_sign.py",
                                     shared->dir + "/good.e2e.test.s1.key", "s1", "good.e2e.test", plain,
                                     plain + ".signed", &log))
      << log;
  std::string t = smtp("g@good.e2e.test", plain + ".signed");
  ASSERT_TRUE(has(t, "<-  250 2.0.0")) << t << diagnostics();
  auto copy = sendmail_->waitForDelivery("<pass@e2e.test>", kDeliveryWait);
  ASSERT_TRUE(copy) << diagnostics();
  EXPECT_FALSE(has(*copy, "forged-marker")) << *copy;
  auto ars = authResults(*copy);
  ASSERT_EQ(ars.size(), 1u) << *copy;
  const std::string& ar = ars[0];
  EXPECT_TRUE(am::authres::claimsAuthservId(ar, kAuthserv)) << ar;
  EXPECT_TRUE(has(ar, "spf=pass")) << ar;
  EXPECT_TRUE(has(ar, "smtp.mailfrom=good.e2e.test")) << ar;
  EXPECT_TRUE(has(ar, "dkim=pass")) << ar;
  EXPECT_TRUE(has(ar, "header.d=good.e2e.test")) << ar;
  EXPECT_TRUE(has(ar, "dmarc=pass")) << ar;
  EXPECT_TRUE(has(*copy, "DKIM-Signature:")) << *copy;
}

// The snippet's F=T: with authmilter unreachable, Sendmail answers with a temporary failure instead
// of passing mail unchecked. A Sendmail of its own, pointed at a socket nobody listens on.
TEST(SendmailMilterDown, UnreachableMilterMeansTemporaryFailure) {
  int st = -1;
  std::string root = runCommand("timeout 300 " + std::string(AM_SENDMAIL_TEST_DIR) + "/fetch-sendmail.sh " +
                                    AM_SENDMAIL_CACHE_DIR + " 2>/dev/null",
                                &st);
  ASSERT_EQ(st, 0) << root;
  SendmailInstance::Options o;
  o.root = root.substr(0, root.find('\n'));
  o.snippet = std::string(AM_SOURCE_DIR) + "/contrib/sendmail/sendmail.mc.snippet";
  o.socket = "/nonexistent-authmilter-dir/authmilter.sock";  // nobody listens there, ever
  o.domain = kAuthserv;
  std::string err;
  auto sendmail = SendmailInstance::start(o, &err);
  ASSERT_TRUE(sendmail) << err;
  const std::string msg = sendmail->dir() + "/down.eml";
  std::ofstream(msg, std::ios::binary) << "From: a@good.e2e.test\r\nTo: user@" << kAuthserv
                                       << "\r\nSubject: down\r\nMessage-ID: <down@e2e.test>\r\n\r\nbody\r\n";
  std::string t = swaks(sendmail->smtpPort(), "a@good.e2e.test", std::string("user@") + kAuthserv, msg);
  EXPECT_TRUE(has(t, "<** 451 4.3.2")) << t << sendmail->output();
  EXPECT_FALSE(has(t, "Message accepted for delivery")) << t;
  EXPECT_FALSE(sendmail->waitForDelivery("<down@e2e.test>", std::chrono::seconds(1)));
}

INSTANTIATE_TEST_SUITE_P(MilterServer, Sendmail, ::testing::Values("native", "libmilter"),
                         [](const auto& i) { return i.param; });

}  // namespace
