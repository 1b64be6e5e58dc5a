// tests/reports/aggregate_test.cpp — the aggregate report: every XML written here is validated
// with libxml2 against rfc9990.xsd (and rfc7489.xsd for the old format); counts, override
// reasons per format, IPv6 forms, the period and merge rules, the file name, gzip and rua URIs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reports/aggregate.h"
#include "tests/reports/report_check.h"

using namespace am::reports;
using namespace am::reports::test;

namespace {

const int64_t kDay = 1700006400;  // 2023-11-15 00:00:00 UTC

AggregateRow row(const std::string& ip, uint64_t n, int64_t hour = kDay) {
  AggregateRow r;
  r.key.reportDomain = "example.com";
  r.key.hour = hour;
  r.key.sourceIp = ip;
  r.key.headerFrom = "example.com";
  r.key.envelopeFrom = "example.com";
  r.key.envelopeTo = "mx.test";
  r.key.dmarcResult = "pass";
  r.key.disposition = "none";
  r.key.dkimAligned = "pass";
  r.key.spfAligned = "pass";
  r.key.dkim = encodeDkim({{"example.com", "s1", "pass"}});
  r.key.spfDomain = "example.com";
  r.key.spfScope = "mfrom";
  r.key.spfResult = "pass";
  r.count = n;
  return r;
}

PolicyRow policy(int64_t hour, const std::string& p = "reject") {
  PolicyRow r;
  r.reportDomain = "example.com";
  r.hour = hour;
  r.published.p = p;
  r.published.discovery = "treewalk";
  r.published.rua = {"mailto:dmarc@example.com"};
  return r;
}

// A report with every kind of row the recorder makes.
Report varied() {
  std::vector<AggregateRow> rows{row("192.0.2.1", 5)};
  AggregateRow rej = row("2001:db8::7", 2);
  rej.key.dmarcResult = "fail", rej.key.disposition = "reject", rej.key.dkimAligned = "fail", rej.key.spfAligned = "fail";
  rej.key.dkim = encodeDkim({{"evil.example", "x", "fail"}, {"example.com", "s1", "temperror"}});
  rej.key.spfDomain = "evil.example", rej.key.spfResult = "softfail";
  AggregateRow fwd = row("198.51.100.3", 1);
  fwd.key.dmarcResult = "fail", fwd.key.dkimAligned = "fail", fwd.key.spfAligned = "fail";
  fwd.key.overrideReason = "trusted_forwarder";
  fwd.key.dkim.clear();
  AggregateRow sampled = fwd;
  sampled.key.overrideReason = "sampled_out";
  sampled.key.sourceIp = "198.51.100.4";
  AggregateRow helo = row("198.51.100.5", 3);
  helo.key.envelopeFrom.clear();
  helo.key.envelopeTo.clear();
  helo.key.spfScope = "helo";
  helo.key.spfDomain = "mail.example.com";
  helo.key.dkim = encodeDkim({{"example.com", "", "none"}});
  AggregateRow arc = fwd;
  arc.key.overrideReason = "arc";
  arc.key.sourceIp = "<script>&";
  rows.insert(rows.end(), {rej, fwd, sampled, helo, arc});
  auto reps = buildReports(rows, {policy(kDay)}, kDay, kDay + 86400);
  EXPECT_EQ(reps.size(), 1u);
  return reps.empty() ? Report{} : reps[0];
}

Reporter who() { return Reporter{"Example <Ops> & Co", "dmarc-reports@mx.test", "authmilter test"}; }

}  // namespace

TEST(ReportSchema, TheSchemasAndTheValidatorWork) {
  std::ifstream in(schemaDir() + "/rfc9990-sample.xml");
  ASSERT_TRUE(in) << schemaDir();
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(validate(ss.str(), schemaDir() + "/rfc9990.xsd"), "");
  std::string bad = ss.str();
  bad.replace(bad.find("<disposition>pass"), 17, "<disposition>bogus");
  EXPECT_NE(validate(bad, schemaDir() + "/rfc9990.xsd"), "");  // the validator can say no
}

TEST(ReportXml, Rfc9990ReportValidatesAndCountsAdd) {
  Report r = varied();
  std::string xml = reportXml(r, who(), Format::Rfc9990);
  EXPECT_EQ(validate(xml, schemaDir() + "/rfc9990.xsd"), "") << xml;
  EXPECT_NE(xml.find("xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\""), std::string::npos);
  EXPECT_EQ(totalCount(xml), 5u + 2 + 1 + 1 + 3 + 1);
  EXPECT_EQ(r.messages, 13u);
  auto types = texts(xml, "type");
  std::sort(types.begin(), types.end());
  // The ARC override is local policy with "arc" as its comment.
  EXPECT_EQ(types, (std::vector<std::string>{"local_policy", "policy_test_mode", "trusted_forwarder"}));
  EXPECT_EQ(texts(xml, "comment"), std::vector<std::string>{"arc"});
  auto disp = texts(xml, "disposition");
  EXPECT_EQ(std::count(disp.begin(), disp.end(), "pass"), 2);  // passing mail under p=reject
  EXPECT_EQ(std::count(disp.begin(), disp.end(), "reject"), 1);
  EXPECT_EQ(texts(xml, "org_name"), std::vector<std::string>{"Example <Ops> & Co"});
  EXPECT_EQ(texts(xml, "begin"), std::vector<std::string>{std::to_string(kDay)});
  EXPECT_EQ(texts(xml, "end"), std::vector<std::string>{std::to_string(kDay + 86399)});
  EXPECT_EQ(texts(xml, "discovery_method"), std::vector<std::string>{"treewalk"});
}

TEST(ReportXml, Rfc7489ReportValidatesAgainstAppendixC) {
  Report r = varied();
  r.rows.pop_back();  // the appendix C schema wants an IP address in source_ip
  std::string xml = reportXml(r, who(), Format::Rfc7489);
  EXPECT_EQ(validate(xml, schemaDir() + "/rfc7489.xsd"), "") << xml;
  EXPECT_EQ(xml.find("xmlns="), std::string::npos);
  auto ips = texts(xml, "source_ip");
  EXPECT_NE(std::find(ips.begin(), ips.end(), "2001:0db8:0000:0000:0000:0000:0000:0007"), ips.end());
  auto types = texts(xml, "type");
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"sampled_out", "trusted_forwarder"}));
  EXPECT_EQ(totalCount(xml), 12u);
  EXPECT_EQ(texts(xml, "pct"), std::vector<std::string>{"100"});
}

TEST(ReportXml, APolicyWithoutPStillValidates) {
  auto reps = buildReports({row("192.0.2.1", 1)}, {policy(kDay, "")}, kDay, kDay + 86400);
  ASSERT_EQ(reps.size(), 1u);
  for (auto f : {Format::Rfc9990, Format::Rfc7489}) {
    std::string xml = reportXml(reps[0], who(), f);
    EXPECT_EQ(validate(xml, schemaDir() + (f == Format::Rfc9990 ? "/rfc9990.xsd" : "/rfc7489.xsd")), "") << xml;
  }
}

TEST(BuildReports, OneReportPerDomainRowsOfThePeriodMergedAcrossHoursLatestPolicy) {
  AggregateRow other = row("192.0.2.1", 4);
  other.key.reportDomain = "other.example";
  PolicyRow otherPol = policy(kDay);
  otherPol.reportDomain = "other.example";
  auto reps = buildReports({row("192.0.2.1", 1), row("192.0.2.1", 2, kDay + 3600), row("192.0.2.1", 7, kDay - 3600),
                            row("192.0.2.1", 8, kDay + 86400), other},
                           {policy(kDay, "none"), policy(kDay + 7200, "quarantine"), policy(kDay + 86400, "reject"), otherPol},
                           kDay, kDay + 86400);
  ASSERT_EQ(reps.size(), 2u);
  EXPECT_EQ(reps[0].domain, "example.com");
  ASSERT_EQ(reps[0].rows.size(), 1u);
  EXPECT_EQ(reps[0].rows[0].count, 3u);
  EXPECT_EQ(reps[0].messages, 3u);
  EXPECT_EQ(reps[0].published.p, "quarantine");
  EXPECT_EQ(reps[1].domain, "other.example");
  EXPECT_EQ(reps[1].messages, 4u);
  EXPECT_NE(reps[0].reportId, reps[1].reportId);
}

TEST(ReportFile, NameAndGzip) {
  Report r = varied();
  EXPECT_EQ(reportFileName(r, who()), "mx.test!example.com!" + std::to_string(kDay) + "!" + std::to_string(kDay + 86399) +
                                          "!" + std::to_string(kDay / 3600) + ".xml.gz");
  std::string xml = reportXml(r, who(), Format::Rfc9990);
  auto gz = gzip(xml);
  ASSERT_TRUE(gz);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  bool ok = false;
  EXPECT_EQ(gunzip(*gz, &ok), xml);
  EXPECT_TRUE(ok);
  EXPECT_LT(gz->size(), xml.size());
}

TEST(Rua, MailtoWithSizeLimitsAndPercentEncoding) {
  auto d = parseRua("mailto:dmarc@Example.COM");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address, "dmarc@Example.COM");
  EXPECT_EQ(d->domain(), "example.com");
  EXPECT_EQ(d->maxBytes, 0u);
  EXPECT_EQ(parseRua("mailto:a@b.example!10m")->maxBytes, 10u << 20);
  EXPECT_EQ(parseRua("MAILTO:a@b.example!50k")->maxBytes, 50u << 10);
  EXPECT_EQ(parseRua("mailto:a@b.example!1000")->maxBytes, 1000u);
  EXPECT_EQ(parseRua("mailto:dmarc%2Breports@b.example")->address, "dmarc+reports@b.example");
  EXPECT_FALSE(parseRua("https://example.com/report"));
  EXPECT_FALSE(parseRua("mailto:nobody"));
  EXPECT_FALSE(parseRua("mailto:a@b.example!10x"));
  EXPECT_FALSE(parseRua("mailto:a@b.example!"));
  EXPECT_FALSE(parseRua("mailto:a@b.example\r\nBcc: x@y"));
}
