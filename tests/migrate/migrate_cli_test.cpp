// tests/migrate/migrate_cli_test.cpp — `authmilter migrate` as an admin runs it (the real binary):
// on Debian's shipped opendkim.conf + opendmarc.conf, and on a signing set-up with a KeyTable and
// a refile: SigningTable over real keys; each output passes `authmilter --check-config`. Also:
// nothing is written when the migration has errors, and existing files are kept without --force.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/migrate/test_files.h"
#include "tests/support/testfiles/test_files.h"

namespace {

using am::testing::TempDir;
const std::string kBin = AM_AUTHMILTER_BIN;

std::string migrate(const std::string& args, int* status) {
  return am::testing::runCommand(kBin + " migrate " + args + " 2>&1", status);
}

std::string checkConfig(const std::string& conf, int* status) {
  return am::testing::runCommand(kBin + " --check-config -c '" + conf + "' 2>&1", status);
}

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

TEST(MigrateCli, DebianShippedConfigurationsPassCheckConfig) {
  TempDir d;
  std::string err;
  auto dkim = am::migrate_test::shippedConffile("opendkim", "/etc/opendkim.conf", &err);
  ASSERT_FALSE(dkim.empty()) << err;
  auto dmarc = am::migrate_test::shippedConffile("opendmarc", "/etc/opendmarc.conf", &err);
  ASSERT_FALSE(dmarc.empty()) << err;
  int st = -1;
  std::string out = migrate("--opendkim " + d.file("opendkim.conf", dkim) + " --opendmarc " +
                                d.file("opendmarc.conf", dmarc) + " --out " + d.path + "/out",
                            &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("Translated:"), std::string::npos) << out;
  EXPECT_NE(out.find("Behaviour that differs"), std::string::npos) << out;
  EXPECT_EQ(am::testing::readFile(d.path + "/out/migration-report.txt").substr(0, 11), "Translated:");
  std::string check = checkConfig(d.path + "/out/authmilter.conf", &st);
  EXPECT_EQ(st, 0) << check << am::testing::readFile(d.path + "/out/authmilter.conf");
  EXPECT_NE(check.find("configuration OK"), std::string::npos) << check;
}

TEST(MigrateCli, KeyTableAndRefileSigningTablePassCheckConfig) {
  TempDir d;
  int st = -1;
  mkdir((d.path + "/keys").c_str(), 0700);
  for (auto [sel, alg] : {std::pair{"r2026", "rsa"}, std::pair{"e2026", "ed25519"}}) {
    am::testing::runCommand(kBin + " keygen -d example.com -s " + sel + " -a " + alg + " -D " + d.path + "/keys 2>&1",
                          &st);
    ASSERT_EQ(st, 0);
  }
  std::string keys = am::testing::runCommand("ls " + d.path + "/keys/*.key");
  ASSERT_NE(keys.find("r2026"), std::string::npos) << keys;
  auto kt = d.file("KeyTable", "rsa example.com:r2026:" + d.path +
                                   "/keys/example.com.r2026.key\n"
                                   "ed example.com:e2026:" +
                                   d.path + "/keys/example.com.e2026.key\n");
  auto sigt = d.file("SigningTable", "*@example.com rsa\n*@example.com ed\n");
  auto hosts = d.file("TrustedHosts", "127.0.0.1\n10.0.0.0/8\n");
  auto dkim = d.file("opendkim.conf", "Syslog yes\nMode sv\nSocket local:" + d.path +
                                          "/opendkim.sock\n"
                                          "KeyTable refile:" +
                                          kt + "\nSigningTable refile:" + sigt +
                                          "\nMultipleSignatures yes\n"
                                          "InternalHosts " +
                                          hosts + "\nExternalIgnoreList " + hosts +
                                          "\n"
                                          "Canonicalization relaxed/simple\nOversignHeaders From\nUserID root\n");
  auto dmarc = d.file("opendmarc.conf", "Socket local:" + d.path +
                                            "/opendmarc.sock\nRejectFailures true\n"
                                            "IgnoreHosts " +
                                            hosts +
                                            "\nAuthservID mx.example.com\n"
                                            "TrustedAuthservIDs mx.example.com\nSPFSelfValidate true\n");
  std::string out = migrate("--opendkim " + dkim + " --opendmarc " + dmarc + " --out " + d.path + "/out", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("key rsa: d=example.com s=r2026"), std::string::npos) << out;
  EXPECT_NE(out.find("key ed: d=example.com s=e2026"), std::string::npos) << out;
  std::string conf = am::testing::readFile(d.path + "/out/authmilter.conf");
  EXPECT_NE(conf.find("\nSigningTable refile:" + sigt + "\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("\nIgnoreInternalHosts yes\n"), std::string::npos) << conf;
  std::string check = checkConfig(d.path + "/out/authmilter.conf", &st);
  EXPECT_EQ(st, 0) << check << conf;
  EXPECT_NE(check.find("configuration OK"), std::string::npos) << check;
}

TEST(MigrateCli, ErrorsWriteNothing) {
  TempDir d;
  int st = -1;
  auto dkim = d.file("opendkim.conf", "KeyTable db:/var/db/keys.db\nSigningTable refile:/nonexistent\n");
  std::string out = migrate("--opendkim " + dkim + " --out " + d.path + "/out", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("Errors"), std::string::npos) << out;
  EXPECT_FALSE(exists(d.path + "/out/authmilter.conf"));
  EXPECT_FALSE(exists(d.path + "/out/authmilter.policy"));
}

TEST(MigrateCli, KeepsExistingFilesUnlessForced) {
  TempDir d;
  int st = -1;
  auto dmarc = d.file("opendmarc.conf", "RejectFailures true\n");
  std::string args = "--opendmarc " + dmarc + " --out " + d.path;
  ASSERT_EQ((migrate(args, &st), st), 0);
  d.file("authmilter.conf", "# edited by hand\n");
  std::string out = migrate(args, &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("--force"), std::string::npos) << out;
  EXPECT_EQ(am::testing::readFile(d.path + "/authmilter.conf"), "# edited by hand\n");
  migrate(args + " --force", &st);
  EXPECT_EQ(st, 0);
  EXPECT_NE(am::testing::readFile(d.path + "/authmilter.conf").find("RejectFailures yes"), std::string::npos);
}

TEST(MigrateCli, NeedsAtLeastOneInput) {
  int st = -1;
  std::string out = migrate("--out /tmp", &st);
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("usage:"), std::string::npos);
}

}  // namespace
