// tests/reports/deliver_test.cpp — one `authmilter report` run (runReports) over a real SQLite
// store, the in-memory resolver and a scripted relay: same-domain destinations sent once and never
// twice, external destinations only with their authorization record, a temporary failure (DNS or
// relay) retried by the next run, !size refusals, the message layout with a report that
// validates, and retention after sending.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "reports/deliver.h"
#include "tests/reports/report_check.h"
#include "tests/support/memorydns/memory_resolver.h"

using namespace am;
using namespace am::reports;

namespace {

const int64_t kDay = 1700006400;

struct Sent {
  std::string to, message;
};

struct DeliverTest : ::testing::Test {
  std::string dir;
  std::unique_ptr<Store> store;
  InMemoryResolver dns;
  std::vector<Sent> sent;
  std::vector<std::string> log;
  SmtpResult next{true, false, "250 ok"};  // what the scripted relay answers
  RunOptions o;

  void SetUp() override {
    char tmpl[] = "/tmp/am-deliver-XXXXXX";
    dir = mkdtemp(tmpl);
    std::string err;
    store = openStore("sqlite:" + dir + "/r.db", &err);
    ASSERT_TRUE(store) << err;
    o.who = {"Test Org", "reports@mx.test", "authmilter test"};
    o.now = kDay + 86400 + 600;
    o.send = [this](const std::string& to, const std::string& m) {
      if (next.accepted) sent.push_back({to, m});
      return next;
    };
    o.log = [this](const std::string& l) { log.push_back(l); };
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  void add(const std::string& domain, std::vector<std::string> rua, int n = 1, int64_t t = kDay + 100) {
    std::vector<Record> b;
    for (int i = 0; i < n; ++i) {
      Record r;
      r.time = t;
      r.reportDomain = r.headerFrom = r.envelopeFrom = r.spfDomain = domain;
      r.sourceIp = "192.0.2.1";
      r.published.p = "reject";
      r.published.rua = rua;
      r.dmarcResult = "pass", r.disposition = "none", r.dkimAligned = "pass", r.spfAligned = "pass", r.spfResult = "pass";
      b.push_back(r);
    }
    ASSERT_EQ(store->add(b), "");
  }
  RunSummary run(int64_t begin = kDay, int64_t end = kDay + 86400) {
    RunSummary s;
    EXPECT_EQ(runReports(*store, dns, begin, end, o, s), "");
    return s;
  }
  std::string status(const std::string& dest) {
    std::vector<Delivery> ds;
    store->deliveries(ds);
    for (auto& d : ds)
      if (d.destination == dest) return d.status;
    return "";
  }
};

// The gzip attachment of a report message, decoded.
std::string attachment(const std::string& msg) {
  auto p = msg.find("Content-Transfer-Encoding: base64\r\n\r\n");
  if (p == std::string::npos) return "";
  p += 37;
  std::string b64 = msg.substr(p, msg.find("\r\n--", p) - p);
  return test::decodeBase64(b64);
}

}  // namespace

TEST_F(DeliverTest, SameDomainDestinationIsSentOnceWithTheRfcLayout) {
  add("example.com", {"mailto:dmarc@example.com"}, 3);
  add("sub.example.com", {"mailto:dmarc@example.com"}, 2);  // a parent domain needs no authorization
  auto s = run();
  EXPECT_EQ(s.sent, 2u);
  ASSERT_EQ(sent.size(), 2u);
  const std::string& m = sent[0].message;
  EXPECT_EQ(sent[0].to, "dmarc@example.com");
  EXPECT_NE(m.find("\r\nSubject: Report Domain: example.com Submitter: mx.test Report-ID: <example.com." +
                   std::to_string(kDay) + "." + std::to_string(kDay + 86400) + ">\r\n"),
            std::string::npos) << m;
  EXPECT_NE(m.find("From: \"Test Org\" <reports@mx.test>\r\n"), std::string::npos);
  EXPECT_NE(m.find("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="), std::string::npos);
  EXPECT_NE(m.find("Content-Type: application/gzip; name=\"mx.test!example.com!"), std::string::npos);
  EXPECT_NE(m.find("Content-Disposition: attachment; filename=\"mx.test!example.com!"), std::string::npos);
  bool ok = false;
  std::string xml = test::gunzip(attachment(m), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(test::validate(xml, test::schemaDir() + "/rfc9990.xsd"), "") << xml;
  EXPECT_EQ(test::totalCount(xml), 3u);
  EXPECT_EQ(status("mailto:dmarc@example.com"), "sent");
  // Run again: nothing is sent twice.
  s = run();
  EXPECT_EQ(s.sent, 0u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(sent.size(), 2u);
}

TEST_F(DeliverTest, AnExternalDestinationNeedsItsAuthorizationRecord) {
  add("example.com", {"mailto:ok@reports.example.net", "mailto:no@other.example"});
  dns.addTxt("example.com._report._dmarc.reports.example.net", "v=DMARC1");
  dns.addTxt("example.com._report._dmarc.other.example", "v=spf1 -all");  // not an authorization
  auto s = run();
  EXPECT_EQ(s.sent, 1u);
  EXPECT_EQ(s.refused, 1u);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "ok@reports.example.net");
  EXPECT_EQ(status("mailto:no@other.example"), "refused");
  s = run();  // refused is final: not tried again
  EXPECT_EQ(sent.size(), 1u);
  EXPECT_EQ(s.refused, 0u);
}

TEST_F(DeliverTest, TemporaryFailuresAreRetriedByTheNextRunOnly) {
  add("example.com", {"mailto:d@example.com"});
  add("example.org", {"mailto:d@reports.example.net"});
  dns.setStatus("example.org._report._dmarc.reports.example.net", RrType::TXT, DnsStatus::TempFail);
  next = {false, false, "451 4.3.0 try again later"};
  auto s = run();
  EXPECT_EQ(s.failed, 2u);
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ(status("mailto:d@example.com"), "failed");
  EXPECT_EQ(status("mailto:d@reports.example.net"), "failed");
  // The next day's run: both periods' failures are tried again, now with success.
  next = {true, false, "250 ok"};
  dns.clear();
  dns.addTxt("example.org._report._dmarc.reports.example.net", "v=DMARC1;");
  s = run(kDay + 86400, kDay + 2 * 86400);
  EXPECT_EQ(s.sent, 2u);
  EXPECT_EQ(sent.size(), 2u);
  EXPECT_EQ(status("mailto:d@example.com"), "sent");
  s = run(kDay + 86400, kDay + 2 * 86400);
  EXPECT_EQ(sent.size(), 2u);  // never twice
}

TEST_F(DeliverTest, ASizeLimitBelowTheMessageRefusesThatDestination) {
  add("example.com", {"mailto:small@example.com!1k", "mailto:big@example.com!10m"});
  auto s = run();
  EXPECT_EQ(s.refused, 1u);
  EXPECT_EQ(s.sent, 1u);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "big@example.com");
  EXPECT_EQ(status("mailto:small@example.com!1k"), "refused");
}

TEST_F(DeliverTest, RetentionDeletesOnlyWhatWasReportedAndNothingStillToRetry) {
  o.retentionDays = 1;
  o.now = kDay + 3 * 86400;
  add("example.com", {"mailto:d@example.com"});
  add("example.org", {"mailto:d@example.org"});
  next = {false, false, "451 later"};
  run();  // both failed: nothing may go
  std::vector<AggregateRow> rows;
  ASSERT_EQ(store->rows(0, kDay + 10 * 86400, rows), "");
  EXPECT_EQ(rows.size(), 2u);
  next = {true, false, "250 ok"};
  run();
  rows.clear();
  ASSERT_EQ(store->rows(0, kDay + 10 * 86400, rows), "");
  EXPECT_TRUE(rows.empty());
}

TEST(SameReportDomain, SubdomainsEitherWay) {
  EXPECT_TRUE(sameReportDomain("example.com", "Example.COM"));
  EXPECT_TRUE(sameReportDomain("a.example.com", "example.com"));
  EXPECT_TRUE(sameReportDomain("example.com", "reports.example.com"));
  EXPECT_FALSE(sameReportDomain("example.com", "badexample.com"));
  EXPECT_FALSE(sameReportDomain("example.com", "example.net"));
}
