// tests/migrate/migrate_chain_test.cpp — end to end: the same messages through the old chain
// (the real opendkim and opendmarc, configured by this test with a KeyTable and a refile:
// SigningTable) and through the real authmilter running the configuration `authmilter migrate`
// wrote from those files give the same actions. DNS is a real nsd (chain_env.h).
//
// Set-up runs once per test process (SetUpTestSuite): the old chain gets every message, is stopped, the migration
// runs, authmilter starts on OpenDKIM's socket path (as an admin would switch) and gets every
// message. Each TEST then compares one message's actions. Where the old chain differs on purpose,
// the test says so and checks that the migration report names the difference.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "tests/migrate/chain_env.h"

namespace {

using am::migrate_test::actionOf;
using am::milter_client::Message;
using am::milter_client::Result;

const std::string kBin = AM_AUTHMILTER_BIN;

Message message(const std::string& client, const std::string& mailFrom, const std::string& from) {
  Message m;
  m.clientAddr = client;
  m.clientName = client == "127.0.0.1" ? "localhost" : "unknown";
  m.helo = "mta.sender.example";
  m.mailFrom = "<" + mailFrom + ">";
  m.rcpts = {"<user@mx.example.com>"};
  m.macros = {{"i", "MIGQID"}, {"j", "mx.example.com"}, {"{daemon_name}", "smtpd"}};
  if (!from.empty()) m.headers.push_back({"From", from});
  m.headers.insert(m.headers.end(), {{"To", "user@mx.example.com"},
                                     {"Subject", "migration check"},
                                     {"Date", "Fri, 04 Dec 2026 12:00:00 +0000"},
                                     {"Message-ID", "<mig@sender.example>"}});
  m.body = "Hello,\r\n\r\nthis is a test.\r\n";
  return m;
}

// The messages, in order; "forwarded" and "tampered" reuse what "outbound" got signed with.
const std::vector<std::pair<std::string, Message>>& cases() {
  static const std::vector<std::pair<std::string, Message>> c = {
      {"aligned-pass", message("198.51.100.10", "alice@pass.example.net", "Alice <alice@pass.example.net>")},
      {"forged-reject", message("203.0.113.5", "ceo@reject.example.net", "CEO <ceo@reject.example.net>")},
      {"quarantine", message("203.0.113.5", "news@quar.example.net", "news@quar.example.net")},
      {"unsigned-no-dmarc", message("203.0.113.5", "bob@nodmarc.example.net", "bob@nodmarc.example.net")},
      {"outbound", message("127.0.0.1", "user@example.org", "User <user@example.org>")},
      {"no-from", message("198.51.100.10", "alice@pass.example.net", "")},
      {"authenticated-submission",
       [] {
         Message m = message("203.0.113.77", "user@example.org", "User <user@example.org>");
         m.macros["{auth_authen}"] = "user@example.org";
         m.macros["{auth_type}"] = "PLAIN";
         return m;
       }()},
  };
  return c;
}

struct Outcomes {
  std::map<std::string, Result> results;
};

Outcomes runAll(const std::function<Result(const Message&)>& send) {
  Outcomes r;
  for (auto& [name, m] : cases()) r.results[name] = send(m);
  // Signed by this system for example.org, then relayed by an outside host (SPF fails; DKIM aligns).
  Message fwd = cases()[4].second;
  fwd.clientAddr = "203.0.113.5";
  fwd.clientName = "unknown";
  fwd.headers = r.results["outbound"].finalHeaders;
  r.results["forwarded-signed"] = send(fwd);
  fwd.body += "appended by an attacker\r\n";
  r.results["tampered-signed"] = send(fwd);
  return r;
}

class MigrateChain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setupError = setUpAll(); }
  static std::string setUpAll();
  void SetUp() override { ASSERT_EQ(setupError, "") << setupError; }

  static void expectSame(const std::string& name, const std::string& expected) {
    std::string o = actionOf(oldChain.results[name]), n = actionOf(migrated.results[name]);
    EXPECT_EQ(o, expected) << name << " through opendkim+opendmarc: " << oldChain.results[name].replyText;
    EXPECT_EQ(n, expected) << name << " through migrated authmilter: " << migrated.results[name].replyText << "\n"
                           << authmilterLog;
  }

  static inline std::string setupError, report, authmilterLog;
  static inline Outcomes oldChain, migrated;
};

std::string MigrateChain::setUpAll() {
  static am::migrate_test::ChainEnv env;  // lives for the suite; its destructor stops nsd and the namespace
  const std::string d = env.dir();
  int st = -1;
  mkdir((d + "/keys").c_str(), 0700);
  std::string keyRecord =
      am::testing::runCommand(kBin + " keygen -d example.org -s r2026 -D " + d + "/keys 2>/dev/null", &st);
  if (st != 0) return "keygen failed";
  std::string err = env.start({
      {"example.net",
       "pass IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n_dmarc.pass IN TXT \"v=DMARC1; p=reject\"\n"
       "reject IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n_dmarc.reject IN TXT \"v=DMARC1; p=reject\"\n"
       "quar IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n_dmarc.quar IN TXT \"v=DMARC1; p=quarantine\"\n"
       "nodmarc IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"},
      {"example.org", "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n" + keyRecord},
  });
  if (!err.empty()) return err;

  // The old chain's configuration, as an admin with a KeyTable and a refile: SigningTable has it.
  std::ofstream(d + "/KeyTable") << "orgkey example.org:r2026:" << d << "/keys/example.org.r2026.key\n";
  std::ofstream(d + "/SigningTable") << "*@example.org orgkey\n";
  std::ofstream(d + "/TrustedHosts") << "127.0.0.1\n::1\n";
  const std::string dkimSock = d + "/opendkim.sock", dmarcSock = d + "/opendmarc.sock";
  std::ofstream(d + "/opendkim.conf") << "Syslog no\nMode sv\nSocket local:" << dkimSock << "\nUMask 002\nUserID root\n"
                                      << "AuthservID mx.example.com\nKeyTable file:" << d << "/KeyTable\n"
                                      << "SigningTable refile:" << d << "/SigningTable\nInternalHosts refile:" << d
                                      << "/TrustedHosts\nExternalIgnoreList refile:" << d << "/TrustedHosts\n"
                                      << "Canonicalization relaxed/simple\nOversignHeaders From\nSoftwareHeader no\n"
                                      << "Nameservers " << env.kDnsAddr << "\nRequireSafeKeys no\n";
  std::ofstream(d + "/opendmarc.conf") << "Syslog false\nSocket local:" << dmarcSock << "\nUMask 002\nUserID root\n"
                                       << "AuthservID mx.example.com\nTrustedAuthservIDs mx.example.com\n"
                                       << "RejectFailures true\nHoldQuarantinedMessages true\nSPFSelfValidate true\n"
                                       << "SPFIgnoreResults true\nFailureReports false\n"
                                       << "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n";
  {
    auto dkim = env.run("/usr/sbin/opendkim", {"-f", "-x", d + "/opendkim.conf"}, dkimSock, &err);
    if (!dkim) return "opendkim: " + err;
    auto dmarc = env.run("/usr/sbin/opendmarc", {"-f", "-c", d + "/opendmarc.conf"}, dmarcSock, &err);
    if (!dmarc) return "opendmarc: " + err;
    oldChain = runAll([&](const Message& m) { return am::migrate_test::sendThroughChain(dkimSock, dmarcSock, m); });
    dkim->stop(std::chrono::seconds(10));
    dmarc->stop(std::chrono::seconds(10));
  }

  report = am::testing::runCommand(kBin + " migrate --opendkim " + d + "/opendkim.conf --opendmarc " + d +
                                     "/opendmarc.conf --out " + d + "/migrated 2>&1",
                                 &st);
  if (st != 0) return "migrate failed:\n" + report;
  auto am = env.run(kBin, {"-f", "-c", d + "/migrated/authmilter.conf"}, dkimSock, &err);
  if (!am) return "authmilter: " + err;
  migrated = runAll([&](const Message& m) { return am::migrate_test::sendTo(dkimSock, m); });
  am->stop(std::chrono::seconds(15));
  authmilterLog = am->output();
  return "";
}

TEST_F(MigrateChain, AlignedPassIsAccepted) { expectSame("aligned-pass", "accept"); }
TEST_F(MigrateChain, ForgedFromRejectDomainIsRejected) { expectSame("forged-reject", "reject"); }
TEST_F(MigrateChain, QuarantinePolicyIsQuarantined) { expectSame("quarantine", "quarantine"); }
TEST_F(MigrateChain, UnsignedWithoutDmarcRecordIsAccepted) { expectSame("unsigned-no-dmarc", "accept"); }
TEST_F(MigrateChain, TamperedSignedMailIsRejected) { expectSame("tampered-signed", "reject"); }

TEST_F(MigrateChain, OutboundFromInternalHostIsSignedByBoth) {
  expectSame("outbound", "accept");
  for (auto* run : {&oldChain, &migrated}) {
    std::string sig;
    for (auto& [n, v] : run->results["outbound"].finalHeaders)
      if (n == "DKIM-Signature") sig = v;
    EXPECT_NE(sig.find("d=example.org"), std::string::npos)
        << (run == &oldChain ? "old chain" : "authmilter") << ": " << sig;
    EXPECT_NE(sig.find("s=r2026"), std::string::npos) << sig;
  }
}

// Each system's own signature verifies after an outside relay (SPF fails, DKIM aligns: pass).
TEST_F(MigrateChain, ForwardedSignedMailIsAccepted) { expectSame("forwarded-signed", "accept"); }

// A documented difference: OpenDMARC (RequiredHeaders off, its default) passes a message without
// a From header, which DMARC cannot evaluate; authmilter rejects it unless the policy file says
// `from missing accept`. The migration report names it.
TEST_F(MigrateChain, MissingFromIsTheDocumentedDifference) {
  EXPECT_EQ(actionOf(oldChain.results["no-from"]), "accept");
  EXPECT_EQ(actionOf(migrated.results["no-from"]), "reject");
  EXPECT_NE(report.find("RequiredHeaders: OpenDMARC passed mail with no From"), std::string::npos) << report;
}

}  // namespace

namespace {

// A documented difference: with IgnoreAuthenticatedClients off (OpenDMARC's default), OpenDMARC
// evaluates an SMTP-authenticated submission from outside the domain's SPF and finds no DKIM result
// (OpenDKIM signed it, verifying nothing), so p=reject rejects the site's own user. authmilter signs
// the mail and does not evaluate what it signs. Both sign it; the report names the difference.
TEST_F(MigrateChain, AuthenticatedSubmissionIsTheOtherDocumentedDifference) {
  EXPECT_EQ(actionOf(oldChain.results["authenticated-submission"]), "reject");
  EXPECT_EQ(actionOf(migrated.results["authenticated-submission"]), "accept");
  bool signedByAuthmilter = false;
  for (auto& [n, v] : migrated.results["authenticated-submission"].finalHeaders)
    signedByAuthmilter = signedByAuthmilter || (n == "DKIM-Signature" && v.find("d=example.org") != std::string::npos);
  EXPECT_TRUE(signedByAuthmilter);
  EXPECT_NE(report.find("IgnoreAuthenticatedClients: no: OpenDMARC DMARC-evaluated SMTP-authenticated"),
            std::string::npos)
      << report;
}

}  // namespace
