// tests/reports/report_command_test.cpp — `authmilter report` as the real binary over a SQLite
// store filled through the Store interface: --dry-run --out DIR writes one gzip report per
// domain under its RFC file name, each validating against the schema of its format, with the
// counts that were stored; usage and configuration errors; ReportCommand checked at load and used
// instead of the relay; the default file of "ReportStore sqlite".
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "reports/store.h"
#include "tests/reports/report_check.h"

using namespace am::reports;
using namespace am::reports::test;

namespace {

const int64_t kDay = 1700006400;

struct ReportCommand : ::testing::Test {
  std::string dir;
  void SetUp() override {
    char tmpl[] = "/tmp/am-report-cmd-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  void writeConfig(const std::string& extra) {
    std::ofstream(dir + "/am.conf") << "Syslog no\nAuthservID mx.test\nReportStore sqlite:" << dir << "/r.db\n"
                                    << "ReportingOrganization Test Org\nReportingEmail reports@mx.test\n"
                                    << extra;
  }
  void fill() {
    std::string err;
    auto s = openStore("sqlite:" + dir + "/r.db", &err);
    ASSERT_TRUE(s) << err;
    std::vector<Record> batch;
    for (int i = 0; i < 7; ++i) {
      Record r;
      r.time = kDay + 600 * i;
      r.reportDomain = i < 5 ? "example.com" : "other.example";
      r.sourceIp = i % 2 ? "192.0.2.1" : "2001:db8::1";
      r.headerFrom = r.envelopeFrom = r.reportDomain;
      r.envelopeTo = "mx.test";
      r.published.p = "reject";
      r.published.discovery = "treewalk";
      r.published.rua = {"mailto:d@" + r.reportDomain};
      r.dmarcResult = "pass";
      r.disposition = "none";
      r.dkimAligned = r.spfAligned = "pass";
      r.spfDomain = r.reportDomain;
      r.spfResult = "pass";
      batch.push_back(r);
    }
    Record outside = batch[0];
    outside.time = kDay + 86400;  // the next day: not in this report
    batch.push_back(outside);
    ASSERT_EQ(s->add(batch), "");
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  int run(const std::string& args, std::string* out = nullptr) {
    std::string cmd = std::string(AM_AUTHMILTER_BIN) + " report -c " + dir + "/am.conf " + args + " >" + dir +
                      "/stdout 2>" + dir + "/stderr";
    int rc = std::system(cmd.c_str());
    if (out) *out = read(dir + "/stdout") + read(dir + "/stderr");
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
};

}  // namespace

TEST_F(ReportCommand, DryRunWritesOneValidReportPerDomain) {
  writeConfig("");
  fill();
  std::string out;
  ASSERT_EQ(run("--begin " + std::to_string(kDay) + " --end " + std::to_string(kDay + 86400) + " --dry-run --out " +
                    dir + "/out",
                &out),
            0)
      << out;
  std::string end = std::to_string(kDay + 86399), first = std::to_string(kDay / 3600);
  std::map<std::string, unsigned long long> want{
      {"mx.test!example.com!" + std::to_string(kDay) + "!" + end + "!" + first + ".xml.gz", 5},
      {"mx.test!other.example!" + std::to_string(kDay) + "!" + end + "!" + first + ".xml.gz", 2}};
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/out")) {
    ++files;
    std::string name = e.path().filename();
    ASSERT_TRUE(want.count(name)) << name;
    bool ok = false;
    std::string xml = gunzip(read(e.path()), &ok);
    ASSERT_TRUE(ok) << name;
    EXPECT_EQ(validate(xml, schemaDir() + "/rfc9990.xsd"), "") << xml;
    EXPECT_EQ(totalCount(xml), want[name]) << name;
    EXPECT_EQ(texts(xml, "org_name"), std::vector<std::string>{"Test Org"});
  }
  EXPECT_EQ(files, 2u);
  EXPECT_NE(out.find("example.com: 5 messages"), std::string::npos) << out;
  EXPECT_NE(out.find("mailto:d@other.example"), std::string::npos) << out;
}

TEST_F(ReportCommand, TheRfc7489FormatIsSelectable) {
  writeConfig("ReportFormat rfc7489\n");
  fill();
  ASSERT_EQ(run("--begin " + std::to_string(kDay) + " --end " + std::to_string(kDay + 86400) + " --dry-run --out " +
                dir + "/out"),
            0);
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/out")) {
    ++files;
    std::string xml = gunzip(read(e.path()));
    EXPECT_EQ(validate(xml, schemaDir() + "/rfc7489.xsd"), "") << xml;
  }
  EXPECT_EQ(files, 2u);
}

TEST_F(ReportCommand, TheDefaultPeriodIsThePreviousUtcDay) {
  writeConfig("");
  fill();  // 2023: nothing in yesterday's report
  ASSERT_EQ(run("--dry-run --out " + dir + "/out"), 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/out"));
}

TEST_F(ReportCommand, UsageAndConfigurationErrors) {
  writeConfig("");
  std::string out;
  EXPECT_EQ(run("--begin 100 --end 3600 --dry-run --out " + dir + "/o"), 2);  // not on an hour
  EXPECT_EQ(run("--begin 3600 --dry-run --out " + dir + "/o"), 2);
  EXPECT_EQ(run("--period week --dry-run --out " + dir + "/o"), 2);
  EXPECT_EQ(run("--dry-run"), 2);
  std::ofstream(dir + "/am.conf") << "Syslog no\n\nReportFormat rfc1234\n";
  EXPECT_EQ(run("--dry-run --out " + dir + "/o", &out), 1);
  EXPECT_NE(out.find(dir + "/am.conf:3: ReportFormat"), std::string::npos) << out;
  std::ofstream(dir + "/am.conf") << "Syslog no\n";
  EXPECT_EQ(run("--dry-run --out " + dir + "/o", &out), 1);
  EXPECT_NE(out.find("ReportStore is not set"), std::string::npos) << out;
}

// ReportCommand: the program is checked when the file is loaded (FILE:LINE), and `authmilter report`
// hands every report to it instead of ReportSMTPRelay (nothing listens there).
TEST_F(ReportCommand, ReportCommandIsCheckedAtLoadAndCarriesTheReports) {
  std::string out;
  std::ofstream(dir + "/plain") << "#!/bin/sh\n";  // not executable
  for (const std::string& bad : std::vector<std::string>{"sendmail -t", dir + "/missing -t", dir + "/plain -t", dir + " -t"}) {
    writeConfig("\nReportCommand " + bad + "\n");
    EXPECT_EQ(run("--dry-run --out " + dir + "/o", &out), 1) << bad;
    EXPECT_NE(out.find(dir + "/am.conf:7: ReportCommand: "), std::string::npos) << bad << "\n" << out;
  }
  std::string save = dir + "/save.sh";
  std::ofstream(save) << "#!/bin/sh\nn=$(ls \"$1\" | wc -l)\ncat > \"$1/msg.$n\"\n";
  std::filesystem::permissions(save, std::filesystem::perms::owner_all);
  std::filesystem::create_directory(dir + "/box");
  writeConfig("Nameservers 127.0.0.1:1\nReportSMTPRelay 127.0.0.1:1\nReportCommand " + save + " " + dir + "/box\n");
  fill();
  EXPECT_EQ(run("--begin " + std::to_string(kDay) + " --end " + std::to_string(kDay + 86400), &out), 0) << out;
  EXPECT_NE(out.find("reports 2 sent 2 refused 0 failed 0"), std::string::npos) << out;
  std::map<std::string, uint64_t> counts;
  for (auto& e : std::filesystem::directory_iterator(dir + "/box")) {
    std::string m = read(e.path());
    auto to = m.find("\nTo: <");
    ASSERT_NE(to, std::string::npos) << m.substr(0, 400);
    counts[m.substr(to + 6, m.find('>', to) - to - 6)]++;
  }
  EXPECT_EQ(counts, (std::map<std::string, uint64_t>{{"d@example.com", 1}, {"d@other.example", 1}})) << out;
}

// "ReportStore sqlite" (or "sqlite:") without a path is the packaged default file.
TEST(ReportStoreValue, SqliteWithoutAPathIsTheDefaultFile) {
  std::string why;
  for (const char* v : {"sqlite", "sqlite:"}) {
    EXPECT_TRUE(validStoreUri(v, &why)) << v << ": " << why;
    EXPECT_EQ(sqliteStorePath(v), "/var/lib/authmilter/reports.db") << v;
  }
  EXPECT_EQ(sqliteStorePath("sqlite:/srv/dmarc/r.db"), "/srv/dmarc/r.db");
  EXPECT_EQ(sqliteStorePath("postgresql://u@h/db"), "");
  EXPECT_FALSE(validStoreUri("sqlite:reports.db", &why));  // relative
  EXPECT_FALSE(validStoreUri("sqlite3", &why));
  EXPECT_FALSE(validStoreUri("sqlitex:/a.db", &why));
}
