// tests/e2e/reports_e2e_fixture.h — what the DMARC report end-to-end tests share
// (reports_e2e_test.cpp, reports_command_e2e_test.cpp): the ReportsE2E fixture — a work directory
// with the SQLite store and the SMTP sink's mailbox, the sink (tests/support/smtpsink) and the real
// authmilter started with rua records in nsd, the messages of the main scenario and the checks of
// its three reports — and helpers that unpack a delivered report and cut it into records.
// Everything started here is stopped here, by PID. One fixture per test; not thread-safe.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "reports/store.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reports/report_check.h"

namespace am::e2e {

namespace fs = std::filesystem;

inline std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The XML report carried by a delivered message ("" when there is none).
inline std::string reportOf(const std::string& msg) {
  auto p = msg.find("Content-Type: application/gzip");
  if (p == std::string::npos) return "";
  p = msg.find("\r\n\r\n", p);
  if (p == std::string::npos) return "";
  p += 4;
  return am::reports::test::gunzip(am::reports::test::decodeBase64(msg.substr(p, msg.find("\r\n--", p) - p)));
}

struct Delivered {
  std::string rcpt, subject, xml, raw;
};

// The <record> elements of a report, each as its own XML text.
inline std::vector<std::string> records(const std::string& xml) {
  std::vector<std::string> out;
  for (size_t b = xml.find("<record>"); b != std::string::npos; b = xml.find("<record>", b + 1))
    out.push_back(xml.substr(b, xml.find("</record>", b) + 9 - b));
  return out;
}
// The part of `xml` from <name> to </name> (the first one).
inline std::string element(const std::string& xml, const std::string& name) {
  auto b = xml.find("<" + name + ">");
  if (b == std::string::npos) return "";
  return xml.substr(b, xml.find("</" + name + ">", b) + name.size() + 3 - b);
}

class ReportsE2E : public ::testing::Test {
 protected:
  Env env;
  std::string work;  // the store and the sink's mailbox
  std::unique_ptr<am::milter_process::Process> sink;
  uint16_t sinkPort = 0;

  void SetUp() override {
    char tmpl[] = "/tmp/am-reports-e2e-XXXXXX";
    work = mkdtemp(tmpl);
    fs::create_directory(work + "/mail");
  }
  void TearDown() override {
    if (sink) sink->stop(std::chrono::seconds(5));
    env.stop();
    fs::remove_all(work);
  }

  void startSink(const std::vector<std::string>& extra = {}) {
    if (sink) sink->stop(std::chrono::seconds(5));
    std::string err;
    std::vector<std::string> args{AM_SMTP_SINK, "--dir", work + "/mail"};
    args.insert(args.end(), extra.begin(), extra.end());
    sink = am::milter_process::Process::start("/usr/bin/python3", args, &err);
    ASSERT_TRUE(sink) << err;
    ASSERT_TRUE(waitForOutput(*sink, "listening ")) << sink->output();
    std::string out = sink->output();
    sinkPort = static_cast<uint16_t>(std::stoi(out.substr(out.find("listening ") + 10)));
  }

  void startMilter() { startMilter(env, "sqlite:" + work + "/reports.db"); }
  void startMilter(Env& e, const std::string& store, const std::string& extra = "") {
    e.extraRecords +=
        "same IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "_dmarc.same IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@same.e2e.test\"\n"
        "_dmarc.ext IN TXT \"v=DMARC1; p=quarantine; rua=mailto:agg@reports.e2e.test\"\n"
        "ext.e2e.test._report._dmarc.reports IN TXT \"v=DMARC1\"\n"
        "_dmarc.noauth IN TXT \"v=DMARC1; p=reject; rua=mailto:agg@unauth.e2e.test\"\n"
        "_dmarc.testing IN TXT \"v=DMARC1; p=reject; t=y; rua=mailto:dmarc@testing.e2e.test\"\n";
    std::string err = e.start("ReportStore " + store + "\nReportingOrganization E2E Org\n"
                                "ReportingEmail reports@mx.e2e.test\nReportSMTPRelay 127.0.0.1:" +
                                std::to_string(sinkPort) + "\n" + extra);
    ASSERT_EQ(err, "");
  }

  void sendMessages() {
    auto expect = [&](const am::milter_client::Message& m, am::milter_client::Result::Action want, bool quarantined) {
      auto r = send(env.socket, m);
      EXPECT_TRUE(r.ok()) << r.replyText << env.milter->output();
      EXPECT_EQ(r.action, want) << r.replyText;
      EXPECT_EQ(r.quarantined, quarantined);
    };
    using A = am::milter_client::Result::Action;
    expect(message("x@same.e2e.test", "a@same.e2e.test"), A::Accept, false);  // pass
    expect(message("x@same.e2e.test", "b@same.e2e.test"), A::Accept, false);
    expect(message("x@same.e2e.test", "a@same.e2e.test", "198.51.100.9"), A::ReplyCode, false);  // reject
    expect(message("x@ext.e2e.test", "a@ext.e2e.test"), A::Accept, true);                        // quarantine
    expect(message("x@noauth.e2e.test", "a@noauth.e2e.test"), A::ReplyCode, false);
    // t=y (RFC 9989): p=reject is carried out as quarantine, reported as policy_test_mode.
    expect(message("x@testing.e2e.test", "a@testing.e2e.test"), A::Accept, true);
  }

  // Polls (bounded) until the store holds `n` messages in all.
  bool waitForStored(uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      std::string err;
      uint64_t total = 0;
      if (auto s = am::reports::openStore("sqlite:" + work + "/reports.db", &err)) {
        std::vector<am::reports::AggregateRow> rows;
        s->rows(0, INT64_MAX, rows);
        for (auto& r : rows) total += r.count;
      }
      if (total == n) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  int report(std::string* out) {
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    int64_t begin = now - now % 3600 - 3600;  // the previous hour and this one (the messages are in this one)
    int st = -1;
    *out = runCommand(std::string(AM_AUTHMILTER_BIN) + " report -c " + env.configPath + " --begin " +
                          std::to_string(begin) + " --end " + std::to_string(begin + 7200) + " 2>&1",
                      &st);
    return st;
  }

  std::vector<Delivered> delivered() {
    std::vector<Delivered> out;
    for (auto& e : fs::directory_iterator(work + "/mail")) {
      if (e.path().extension() != ".eml") continue;
      Delivered d;
      std::string env = readFile(fs::path(e.path()).replace_extension(".env"));
      d.rcpt = env.substr(env.find("RCPT ") + 5);
      d.rcpt = d.rcpt.substr(0, d.rcpt.find('\n'));
      std::string msg = readFile(e.path());
      auto s = msg.find("Subject: ");
      d.subject = msg.substr(s + 9, msg.find("\r\n", s) - s - 9);
      d.xml = reportOf(msg);
      d.raw = msg;
      out.push_back(d);
    }
    return out;
  }

  // What sendMessages() must have produced, as delivered to the sink: three reports, each valid
  // with the counts sent, nothing for the unauthorized destination.
  void checkDelivered(const std::string& out) {
    std::map<std::string, Delivered> byRcpt;
    for (auto& d : delivered()) byRcpt[d.rcpt] = d;
    ASSERT_EQ(byRcpt.size(), 3u) << out;
    const std::map<std::string, std::pair<std::string, unsigned long long>> want{
        {"<dmarc@same.e2e.test>", {"same.e2e.test", 3}},
        {"<agg@reports.e2e.test>", {"ext.e2e.test", 1}},
        {"<dmarc@testing.e2e.test>", {"testing.e2e.test", 1}}};
    for (auto& [rcpt, w] : want) {
      ASSERT_TRUE(byRcpt.count(rcpt)) << rcpt << "\n" << out;
      const Delivered& d = byRcpt[rcpt];
      EXPECT_EQ(d.subject.rfind("Report Domain: " + w.first + " Submitter: mx.e2e.test Report-ID: <", 0), 0u) << d.subject;
      EXPECT_EQ(am::reports::test::validate(d.xml, am::reports::test::schemaDir() + "/rfc9990.xsd"), "") << d.xml;
      EXPECT_EQ(am::reports::test::totalCount(d.xml), w.second) << d.xml;
    }
    EXPECT_FALSE(byRcpt.count("<agg@unauth.e2e.test>"));
    auto disp = am::reports::test::texts(byRcpt["<dmarc@same.e2e.test>"].xml, "disposition");
    EXPECT_EQ(std::count(disp.begin(), disp.end(), "reject"), 1);
    EXPECT_EQ(std::count(disp.begin(), disp.end(), "pass"), 1);  // one record of two messages
    EXPECT_EQ(am::reports::test::texts(byRcpt["<agg@reports.e2e.test>"].xml, "disposition"),
              std::vector<std::string>{"quarantine"});
    EXPECT_EQ(am::reports::test::texts(byRcpt["<dmarc@testing.e2e.test>"].xml, "type"),
              std::vector<std::string>{"policy_test_mode"});
    EXPECT_EQ(am::reports::test::texts(byRcpt["<dmarc@testing.e2e.test>"].xml, "disposition"),
              std::vector<std::string>{"quarantine"});
  }
};

}  // namespace am::e2e
