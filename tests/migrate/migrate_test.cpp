// tests/migrate/migrate_test.cpp — the translation library (filter/migrate): Debian's shipped
// opendkim.conf and opendmarc.conf, every key of both man pages, KeyTable + refile: SigningTable,
// single-key signing, host lists, OpenDMARC's defaults written out, and what cannot be translated.
// The output is read back with authmilter's own parsers (config, policy file, signing table).
#include "filter/migrate/migrate.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <set>
#include <sstream>

#include "filter/config/config.h"
#include "policy/policy_file.h"
#include "policy/signing_table.h"
#include "tests/migrate/test_files.h"
#include "tests/support/testfiles/test_files.h"

namespace {

using am::migrate::NoteKind;
using am::testing::TempDir;

struct Migrated {
  am::migrate::Result r;
  std::shared_ptr<const am::config::Config> cfg;
  std::shared_ptr<const am::policy::PolicyFile> policy;
};

Migrated run(const std::string& dkim, const std::string& dmarc) {
  Migrated m;
  m.r = am::migrate::migrate({dkim, dmarc, "/etc/authmilter/authmilter.policy"});
  auto parsed = am::config::parseText(m.r.conf, "out.conf");
  m.cfg = parsed.config;
  std::vector<std::string> errors;
  m.policy = am::policy::parsePolicyText(m.r.policy, "out.policy", errors);
  return m;
}

bool hasNote(const am::migrate::Result& r, NoteKind k, const std::string& key, const std::string& text = "") {
  for (auto& n : r.notes)
    if (n.kind == k && n.key == key && n.text.find(text) != std::string::npos) return true;
  return false;
}

// Every "Key value" line of `file` has a note whose origin is that line.
void expectEveryLineNoted(const am::migrate::Result& r, const std::string& file) {
  std::istringstream in(am::testing::readFile(file));
  std::set<std::string> origins;
  for (auto& n : r.notes) origins.insert(n.origin);
  int lineNo = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineNo;
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    EXPECT_TRUE(origins.count(file + ":" + std::to_string(lineNo)))
        << file << ":" << lineNo << " has no note: " << line;
  }
}

TEST(Migrate, DebianShippedConfigurations) {
  TempDir d;
  std::string err;
  std::string dkimText = am::migrate_test::shippedConffile("opendkim", "/etc/opendkim.conf", &err);
  ASSERT_FALSE(dkimText.empty()) << err;
  std::string dmarcText = am::migrate_test::shippedConffile("opendmarc", "/etc/opendmarc.conf", &err);
  ASSERT_FALSE(dmarcText.empty()) << err;
  auto dkim = d.file("opendkim.conf", dkimText), dmarc = d.file("opendmarc.conf", dmarcText);
  auto m = run(dkim, dmarc);
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  ASSERT_TRUE(m.cfg) << m.r.conf;
  ASSERT_TRUE(m.policy) << m.r.policy;
  EXPECT_EQ(m.cfg->socket, "unix:/run/opendkim/opendkim.sock");
  EXPECT_EQ(m.cfg->canonicalization, "relaxed/simple");
  EXPECT_EQ(m.cfg->oversignHeaders, std::vector<std::string>{"from"});
  EXPECT_EQ(m.cfg->userId, "opendkim");
  EXPECT_EQ(m.cfg->umask, 007u);
  EXPECT_TRUE(m.cfg->syslog);
  EXPECT_EQ(m.cfg->internalHosts, std::vector<std::string>{"127.0.0.1"});
  EXPECT_TRUE(m.cfg->ignoreInternal);  // OpenDMARC's default IgnoreHosts is 127.0.0.1 too
  // OpenDMARC's defaults, not authmilter's:
  EXPECT_FALSE(m.cfg->rejectFailures);
  EXPECT_FALSE(m.cfg->holdQuarantinedMessages);
  EXPECT_FALSE(m.cfg->ignoreAuthenticated);
  EXPECT_EQ(m.cfg->maxSignatures, 3u);
  EXPECT_EQ(m.cfg->dmarcMode, am::config::DmarcMode::Rfc7489);
  EXPECT_TRUE(hasNote(m.r, NoteKind::Dropped, "Socket", "/run/opendmarc/opendmarc.sock"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Dropped, "TrustAnchorFile"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "Socket", "old daemon's directory"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "SPFSelfValidate/SPFIgnoreResults"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "RequiredHeaders"));
  expectEveryLineNoted(m.r, dkim);
  expectEveryLineNoted(m.r, dmarc);
}

// Every key the installed man pages document, each with a value of its type: each line gets a
// note (translated, dropped with a reason, differs or error), and nothing is silently lost.
TEST(Migrate, EveryDocumentedKeyGetsANote) {
  TempDir d;
  for (auto [pkg, man] : {std::pair{"opendkim", "opendkim.conf"}, std::pair{"opendmarc", "opendmarc.conf"}}) {
    std::string keys = am::testing::runCommand("zcat /usr/share/man/man5/" + std::string(man) +
                                             ".5.gz | sed -n 's/^\\.I \\([A-Za-z0-9-]*\\) (\\(.*\\))$/\\1 \\2/p'");
    std::istringstream in(keys);
    std::string conf;
    int n = 0;
    for (std::string key, type; in >> key >> type; ++n) {
      std::string t = type.substr(0, 3);
      std::string v = t == "Boo" || t == "boo"   ? "yes"
                      : t == "int"               ? "5"
                      : t == "dat" || t == "dat" ? "127.0.0.1"
                                                 : "x";
      if (key == "Include") continue;
      conf += key + " " + v + "\n";
    }
    ASSERT_GT(n, std::string(pkg) == "opendkim" ? 100 : 35) << "man page of " << man << " not found";
    auto file = d.file(man, conf);
    auto r = am::migrate::migrate(
        {std::string(pkg) == "opendkim" ? file : "", std::string(pkg) == "opendkim" ? "" : file, "/p"});
    expectEveryLineNoted(r, file);
  }
}

TEST(Migrate, KeyTableAndRefileSigningTable) {
  TempDir d;
  chmod(d.file("example.key", "").c_str(), 0600);
  chmod(d.file("other.key", "").c_str(), 0640);
  auto kt = d.file("KeyTable",
                   "# name  domain:selector:key\n"
                   "rsa-example  example.com:r2026:" +
                       d.path +
                       "/example.key\n"
                       "rsa-other    other.example:s1:" +
                       d.path + "/other.key\n");
  auto st = d.file("SigningTable", "*@example.com rsa-example\n*@*.other.example rsa-other\n");
  auto hosts = d.file("TrustedHosts", "127.0.0.1\n::1\n10.1.0.0/16   # office\nrelay.example.com\n!10.1.9.9\n");
  auto dkim = d.file("opendkim.conf",
                     "Mode sv\nSocket inet:8891@localhost\n"
                     "KeyTable file:" +
                         kt + "\nSigningTable refile:" + st +
                         "\n"
                         "InternalHosts refile:" +
                         hosts +
                         "\n"  // OpenDKIM accepts refile: for host sets too
                         "ExternalIgnoreList file:" +
                         hosts + "\nCanonicalization relaxed/relaxed\n");
  auto m = run(dkim, "");
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  ASSERT_TRUE(m.cfg) << m.r.conf;
  EXPECT_EQ(m.cfg->keyTable, kt);
  EXPECT_EQ(m.cfg->signingTable, "refile:" + st);
  EXPECT_EQ(m.cfg->socket, "inet:8891@localhost");
  EXPECT_EQ(m.cfg->internalHosts, (std::vector<std::string>{"127.0.0.1", "::1", "10.1.0.0/16", "relay.example.com"}));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "InternalHosts", "!10.1.9.9"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Translated, "KeyTable", "key rsa-example: d=example.com s=r2026"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Translated, "KeyTable", "key rsa-other: d=other.example s=s1"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Dropped, "ExternalIgnoreList"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "key file", "chmod 600 " + d.path + "/other.key"));
  EXPECT_FALSE(hasNote(m.r, NoteKind::Differs, "key file", "example.key"));
  EXPECT_FALSE(m.cfg->rejectFailures);  // no OpenDMARC: nothing was enforced
  // authmilter reads the migrated tables the way OpenDKIM did.
  am::policy::SigningTable t;
  std::vector<std::string> errors;
  ASSERT_TRUE(am::policy::loadOpenDkimTables(m.cfg->keyTable, m.cfg->signingTable, t, errors)) << errors[0];
  auto keys = t.lookup("alice@example.com");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]->selector, "r2026");
  ASSERT_EQ(t.lookup("bob@mail.other.example").size(), 1u);
  EXPECT_TRUE(t.lookup("bob@other.example").empty());
}

TEST(Migrate, SingleKeyModeBecomesPolicyLines) {
  TempDir d;
  auto key = d.file("mail.private", "");
  chmod(key.c_str(), 0600);
  auto dkim = d.file("opendkim.conf", "Domain example.com, example.net\nSelector mail\nKeyFile " + key +
                                          "\nSubDomains yes\nSocket local:/run/opendkim/opendkim.sock\n");
  auto m = run(dkim, "");
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  ASSERT_TRUE(m.policy) << m.r.policy;
  EXPECT_EQ(m.cfg->canonicalization, "simple/simple");  // OpenDKIM's default written out
  auto keys = m.policy->signing.lookup("a@example.net");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]->domain, "example.net");
  EXPECT_EQ(keys[0]->selector, "mail");
  EXPECT_EQ(keys[0]->keyPath, key);
  ASSERT_EQ(m.policy->signing.lookup("a@lists.example.com").size(), 1u);  // SubDomains
  EXPECT_TRUE(m.policy->signing.lookup("a@example.org").empty());
  // A key file that is missing is an error now, not at authmilter's first start.
  auto missing = run(d.file("missing.conf", "Domain example.com\nSelector s\nKeyFile " + d.path + "/none.key\n"), "");
  EXPECT_TRUE(hasNote(missing.r, NoteKind::Error, "key file", d.path + "/none.key"));
}

TEST(Migrate, ModeVerifyOnlyWritesNoKeys) {
  TempDir d;
  auto dkim = d.file("opendkim.conf", "Mode v\nDomain example.com\nSelector s\nKeyFile /k\n");
  auto m = run(dkim, "");
  ASSERT_TRUE(m.r.ok());
  EXPECT_TRUE(m.policy->signing.keys.empty());
  EXPECT_TRUE(hasNote(m.r, NoteKind::Dropped, "KeyFile", "Mode has no s"));
}

TEST(Migrate, OpenDmarcSwitchesAndLists) {
  TempDir d;
  auto ignore = d.file("ignore.hosts", "127.0.0.1\n192.0.2.0/24\n");
  auto dkim = d.file("opendkim.conf", "AuthservID mx.example.org\nInternalHosts 127.0.0.1, 198.51.100.7\n");
  auto dmarc = d.file("opendmarc.conf",
                      "AuthservID mx.example.org\nTrustedAuthservIDs mx.example.org, relay.example.org\n"
                      "RejectFailures true\nHoldQuarantinedMessages Yes\nIgnoreAuthenticatedClients 1\n"
                      "IgnoreHosts " +
                          ignore +
                          "\nRequiredHeaders true\nIgnoreMailFrom partner.example\n"
                          "SPFSelfValidate true\nSPFIgnoreResults true\nHistoryFile /run/opendmarc/opendmarc.dat\n"
                          "FailureReports false\nSocket inet:8893\n");
  auto m = run(dkim, dmarc);
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  ASSERT_TRUE(m.cfg && m.policy) << m.r.conf << m.r.policy;
  EXPECT_EQ(m.cfg->authservId, "mx.example.org");
  EXPECT_EQ(m.cfg->trustedAuthservIds, std::vector<std::string>{"relay.example.org"});
  EXPECT_TRUE(m.cfg->rejectFailures);
  EXPECT_TRUE(m.cfg->holdQuarantinedMessages);
  EXPECT_TRUE(m.cfg->ignoreAuthenticated);
  // 198.51.100.7 is internal but not in IgnoreHosts: OpenDMARC enforced DMARC on it.
  EXPECT_FALSE(m.cfg->ignoreInternal);
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "IgnoreHosts", "IgnoreInternalHosts no"));
  ASSERT_EQ(m.policy->allowClients.size(), 2u);  // 127.0.0.1 and 192.0.2.0/24
  ASSERT_EQ(m.policy->allowFrom.size(), 1u);
  EXPECT_EQ(m.policy->allowFrom[0].domain, "partner.example");
  EXPECT_TRUE(hasNote(m.r, NoteKind::Translated, "RequiredHeaders", "from any reject"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Translated, "SPFSelfValidate/SPFIgnoreResults"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "HistoryFile", "authmilter report"));
  EXPECT_EQ(m.cfg->reportStore, "sqlite:/var/lib/authmilter/reports.db");
  EXPECT_FALSE(m.cfg->failureReports);
  EXPECT_EQ(m.cfg->socket, "inet:8893@127.0.0.1");  // OpenDKIM named none
  expectEveryLineNoted(m.r, dkim);
  expectEveryLineNoted(m.r, dmarc);
}

// OpenDMARC's failure-report keys mean the same here and are carried over; without ReportCommand the
// reports go to the relay instead of sendmail, which the report says.
TEST(Migrate, FailureReportKeysAreCarriedOver) {
  TempDir d;
  auto dmarc = d.file("opendmarc.conf",
                      "Socket inet:8893\nAuthservID mx.example.org\nFailureReports true\n"
                      "FailureReportsSentBy dmarc-failures@example.org\nFailureReportsBcc copy@example.org\n"
                      "FailureReportsOnNone true\nRecordAllMessages true\n");
  auto m = run("", dmarc);
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  ASSERT_TRUE(m.cfg) << m.r.conf;
  EXPECT_TRUE(m.cfg->failureReports);
  EXPECT_EQ(m.cfg->failureReportsSentBy, "dmarc-failures@example.org");
  EXPECT_EQ(m.cfg->failureReportsBcc, std::vector<std::string>{"copy@example.org"});
  EXPECT_TRUE(m.cfg->failureReportsOnNone);
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "FailureReports", "ReportSMTPRelay"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Dropped, "RecordAllMessages", "nobody to report to"));
  expectEveryLineNoted(m.r, dmarc);
}

// A ReportCommand given to OpenDMARC stays the way reports leave, with the note on the systemd unit.
TEST(Migrate, ReportCommandIsKept) {
  TempDir d;
  auto cmd = d.file("sendmail", "#!/bin/sh\nexit 0\n");
  ASSERT_EQ(::chmod(cmd.c_str(), 0755), 0);
  auto dmarc = d.file("opendmarc.conf", "Socket inet:8893\nAuthservID mx.example.org\nFailureReports yes\n"
                                        "ReportCommand " + cmd + " -t\n");
  auto m = run("", dmarc);
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  ASSERT_TRUE(m.cfg) << m.r.conf;
  EXPECT_EQ(m.cfg->reportCommand, cmd + " -t");
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "FailureReports", "NoNewPrivileges"));
  expectEveryLineNoted(m.r, dmarc);
}

TEST(Migrate, OpenDmarcAloneTakesItsIgnoreHostsAsInternal) {
  TempDir d;
  auto dmarc = d.file("opendmarc.conf", "Socket inet:8893\nAuthservID HOSTNAME\n");
  auto m = run("", dmarc);
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  EXPECT_EQ(m.cfg->socket, "inet:8893@127.0.0.1");
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "Socket", "every interface"));
  EXPECT_EQ(m.cfg->internalHosts, std::vector<std::string>{"127.0.0.1"});
  EXPECT_TRUE(m.cfg->ignoreInternal);
  EXPECT_EQ(m.cfg->lines.count("AuthservID"), 0u);  // HOSTNAME is authmilter's default
  EXPECT_TRUE(hasNote(m.r, NoteKind::Differs, "(OpenDKIM)", "verifies DKIM itself"));
}

TEST(Migrate, WhatCannotBeReadIsAnError) {
  TempDir d;
  auto dkim = d.file("opendkim.conf",
                     "KeyTable dsn:mysql://u:p@db/opendkim/table=keys\nSigningTable refile:/nonexistent/st\n"
                     "InternalHosts ldap://ldap.example/dc=example\n");
  auto m = run(dkim, "");
  EXPECT_FALSE(m.r.ok());
  EXPECT_TRUE(hasNote(m.r, NoteKind::Error, "KeyTable", "only file: and refile:"));
  auto missing = am::migrate::migrate({d.path + "/nope.conf", "", "/p"});
  EXPECT_FALSE(missing.ok());
}

TEST(Migrate, TableErrorsAreReportedWithTheirLine) {
  TempDir d;
  auto kt = d.file("KeyTable", "k1 example.com:s1:/keys/k1\nk2 example.com:s2:inline-key-data\n");
  auto st = d.file("SigningTable", "example.com k1\nexample.org missing\n");
  auto m = run(d.file("opendkim.conf", "KeyTable " + kt + "\nSigningTable " + st + "\n"), "");
  EXPECT_FALSE(m.r.ok());
  EXPECT_TRUE(hasNote(m.r, NoteKind::Error, "KeyTable/SigningTable", kt + ":2:"));
  EXPECT_TRUE(hasNote(m.r, NoteKind::Error, "KeyTable/SigningTable", st + ":2:"));
}

TEST(Migrate, ReportGroupsNotesByKind) {
  TempDir d;
  auto m = run(d.file("opendkim.conf", "Syslog yes\nSyslogSuccess yes\nOn-BadSignature reject\n"), "");
  std::string report = am::migrate::formatReport(m.r);
  auto t = report.find("Translated:"), dr = report.find("Dropped"), df = report.find("Behaviour that differs");
  ASSERT_NE(t, std::string::npos);
  ASSERT_NE(dr, std::string::npos);
  ASSERT_NE(df, std::string::npos);
  EXPECT_LT(t, dr);
  EXPECT_LT(dr, df);
  EXPECT_NE(report.find("On-BadSignature: reject is not applied"), std::string::npos) << report;
}

}  // namespace

namespace {

// As both daemons read their files: Include in place, the last of a repeated key wins, booleans by
// their first character.
TEST(Migrate, IncludeRepeatsAndBooleansAsTheOldDaemonsReadThem) {
  TempDir d;
  auto inc = d.file("local.conf", "RejectFailures Yes\n");
  auto dmarc = d.file("opendmarc.conf", "RejectFailures false\nInclude " + inc +
                                            "\nHoldQuarantinedMessages 1\n"
                                            "IgnoreAuthenticatedClients nope\n");
  auto m = run("", dmarc);
  ASSERT_TRUE(m.r.ok()) << am::migrate::formatReport(m.r);
  EXPECT_TRUE(m.cfg->rejectFailures);
  EXPECT_TRUE(m.cfg->holdQuarantinedMessages);
  EXPECT_FALSE(m.cfg->ignoreAuthenticated);
  expectEveryLineNoted(m.r, inc);
  expectEveryLineNoted(m.r, dmarc);
  EXPECT_TRUE(hasNote(m.r, NoteKind::Dropped, "RejectFailures", "repeated"));
  auto missing = am::migrate::migrate({"", d.file("bad.conf", "Include " + d.path + "/none.conf\n"), "/p"});
  EXPECT_FALSE(missing.ok());
}

}  // namespace
