// tests/e2e/failure_reports_e2e_test.cpp — DMARC failure reports end to end: the real authmilter
// binary with FailureReports on, a real nsd publishing ruf records (the same domain; another
// domain with the authorization record; another without it; fo=1 next to the default fo=0),
// messages through the project's milter client, and the reports arriving at a local SMTP server
// started by the test (tests/support/smtpsink) through ReportSMTPRelay. Each report is parsed
// (multipart/report, its message/feedback-report fields) and checked against the message it is
// about; the unauthorized destination gets nothing; the hourly rate limit holds (and is logged);
// FailureReportsBcc gets its copies; with FailureReports off nothing is sent. Every wait is bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "tests/e2e/e2e_fixture.h"

using namespace am::e2e;
namespace fs = std::filesystem;
using A = am::milter_client::Result::Action;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Header fields of a block ("Name: value" lines, folded lines joined), names lowercased.
std::multimap<std::string, std::string> fields(const std::string& block) {
  std::multimap<std::string, std::string> out;
  std::string name, value;
  auto flush = [&] {
    if (!name.empty()) out.emplace(lower(name), value);
    name.clear();
  };
  size_t p = 0;
  while (p < block.size()) {
    size_t e = block.find("\r\n", p);
    if (e == std::string::npos) e = block.size();
    std::string line = block.substr(p, e - p);
    p = e + 2;
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      value += " " + line.substr(line.find_first_not_of(" \t"));
      continue;
    }
    flush();
    auto c = line.find(':');
    if (c == std::string::npos) continue;
    name = line.substr(0, c);
    value = line.substr(std::min(line.size(), line.find_first_not_of(' ', c + 1)));
  }
  flush();
  return out;
}

std::string one(const std::multimap<std::string, std::string>& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? "" : it->second;
}

struct Report {
  std::string mailFrom, rcpt, raw;
  std::multimap<std::string, std::string> top, feedback;
  std::string thirdType, third;  // the third part's Content-Type and its content
};

// Splits a multipart/report into its top fields and the feedback and original-message parts.
Report parse(const std::string& env, const std::string& msg) {
  Report r;
  r.raw = msg;
  r.mailFrom = env.substr(5, env.find('\n') - 5);
  auto rc = env.find("RCPT ");
  r.rcpt = rc == std::string::npos ? "" : env.substr(rc + 5, env.find('\n', rc) - rc - 5);
  auto headEnd = msg.find("\r\n\r\n");
  r.top = fields(msg.substr(0, headEnd + 2));
  std::string ct = one(r.top, "content-type");
  auto b = ct.find("boundary=\"");
  if (b == std::string::npos) return r;
  std::string boundary = ct.substr(b + 10, ct.find('"', b + 10) - b - 10);
  std::vector<std::string> parts;
  size_t p = msg.find("--" + boundary + "\r\n");
  while (p != std::string::npos) {
    size_t start = p + boundary.size() + 4;
    size_t next = msg.find("\r\n--" + boundary, start);
    if (next == std::string::npos) break;
    parts.push_back(msg.substr(start, next - start));
    p = msg.find("--" + boundary + "\r\n", next + 2);
  }
  for (auto& part : parts) {
    auto sep = part.find("\r\n\r\n");
    auto ph = fields(part.substr(0, sep + 2));
    std::string content = sep == std::string::npos ? "" : part.substr(sep + 4);
    std::string type = lower(one(ph, "content-type"));
    if (type.rfind("message/feedback-report", 0) == 0) r.feedback = fields(content);
    else if (type.rfind("text/plain", 0) != 0) r.thirdType = type, r.third = content;
  }
  return r;
}

class FailureReportsE2E : public ::testing::Test {
 protected:
  Env env;
  std::string work;
  std::unique_ptr<am::milter_process::Process> sink;
  uint16_t sinkPort = 0;

  void SetUp() override {
    char tmpl[] = "/tmp/am-ruf-e2e-XXXXXX";
    work = mkdtemp(tmpl);
    fs::create_directory(work + "/mail");
    std::string err;
    sink = am::milter_process::Process::start("/usr/bin/python3", {AM_SMTP_SINK, "--dir", work + "/mail"}, &err);
    ASSERT_TRUE(sink) << err;
    ASSERT_TRUE(waitForOutput(*sink, "listening ")) << sink->output();
    std::string out = sink->output();
    sinkPort = static_cast<uint16_t>(std::stoi(out.substr(out.find("listening ") + 10)));
  }
  void TearDown() override {
    env.stop();
    if (sink) sink->stop(std::chrono::seconds(5));
    fs::remove_all(work);
  }

  void startMilter(const std::string& extra) {
    env.extraRecords =
        "same IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "_dmarc.same IN TXT \"v=DMARC1; p=reject; ruf=mailto:ruf@same.e2e.test\"\n"
        "_dmarc.ext IN TXT \"v=DMARC1; p=quarantine; ruf=mailto:ruf@reports.e2e.test\"\n"
        "ext.e2e.test._report._dmarc.reports IN TXT \"v=DMARC1\"\n"
        "_dmarc.noauth IN TXT \"v=DMARC1; p=reject; ruf=mailto:ruf@unauth.e2e.test\"\n"
        "fo1 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "_dmarc.fo1 IN TXT \"v=DMARC1; p=reject; fo=1; ruf=mailto:ruf@fo1.e2e.test\"\n";
    std::string err = env.start("ReportingEmail reports@mx.e2e.test\nReportSMTPRelay 127.0.0.1:" +
                                std::to_string(sinkPort) + "\n" + extra);
    ASSERT_EQ(err, "");
  }

  void expect(const am::milter_client::Message& m, A want) {
    auto r = send(env.socket, m);
    EXPECT_TRUE(r.ok()) << r.replyText << env.milter->output();
    EXPECT_EQ(r.action, want) << r.replyText;
  }

  // Polls (bounded) until the sink holds `n` messages; returns them (fewer when the bound passed).
  std::vector<Report> waitForReports(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      std::vector<fs::path> emls;
      for (auto& e : fs::directory_iterator(work + "/mail"))
        if (e.path().extension() == ".eml") emls.push_back(e.path());
      if (emls.size() >= n || std::chrono::steady_clock::now() > deadline) {
        std::sort(emls.begin(), emls.end());
        std::vector<Report> out;
        for (auto& p : emls) out.push_back(parse(readFile(fs::path(p).replace_extension(".env")), readFile(p)));
        return out;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  size_t stored() {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(work + "/mail")) n += e.path().extension() == ".eml";
    return n;
  }
};

TEST_F(FailureReportsE2E, ReportsGoToAuthorizedDestinationsWithTheRightFields) {
  startMilter("FailureReports yes\nFailureReportsSentBy failures@mx.e2e.test\n");
  expect(message("x@same.e2e.test", "a@same.e2e.test"), A::Accept);                   // pass: fo=0, nothing
  expect(message("x@same.e2e.test", "a@same.e2e.test", "198.51.100.9"), A::ReplyCode);  // fail: reject
  expect(message("x@ext.e2e.test", "a@ext.e2e.test", "198.51.100.9"), A::Accept);      // quarantined
  expect(message("x@noauth.e2e.test", "a@noauth.e2e.test", "198.51.100.9"), A::ReplyCode);
  expect(message("x@fo1.e2e.test", "a@fo1.e2e.test"), A::Accept);  // DMARC pass by SPF, no DKIM: fo=1 asks

  // The sender handles jobs in order: once the last one is logged, every earlier one is done.
  ASSERT_TRUE(waitForOutput(*env.milter, "domain=fo1.e2e.test to=ruf@fo1.e2e.test sent")) << env.milter->output();
  std::string log = env.milter->output();
  EXPECT_NE(log.find("domain=noauth.e2e.test uri=mailto:ruf@unauth.e2e.test refused: not authorized by "
                     "noauth.e2e.test._report._dmarc.unauth.e2e.test"),
            std::string::npos)
      << log;
  auto reports = waitForReports(3);
  ASSERT_EQ(reports.size(), 3u) << log;
  std::map<std::string, Report> byRcpt;
  for (auto& r : reports) byRcpt[r.rcpt] = r;
  ASSERT_EQ(byRcpt.size(), 3u);
  EXPECT_FALSE(byRcpt.count("<ruf@unauth.e2e.test>"));  // not authorized: nothing

  const Report& same = byRcpt["<ruf@same.e2e.test>"];
  EXPECT_EQ(same.mailFrom, "<failures@mx.e2e.test>");
  EXPECT_EQ(one(same.top, "from"), "failures@mx.e2e.test");
  EXPECT_EQ(one(same.top, "to"), "ruf@same.e2e.test");
  EXPECT_NE(lower(one(same.top, "content-type")).find("multipart/report; report-type=feedback-report"), std::string::npos);
  EXPECT_EQ(one(same.feedback, "feedback-type"), "auth-failure");
  EXPECT_EQ(one(same.feedback, "auth-failure"), "dmarc");
  EXPECT_EQ(one(same.feedback, "reported-domain"), "same.e2e.test");
  EXPECT_EQ(one(same.feedback, "source-ip"), "198.51.100.9");
  EXPECT_EQ(one(same.feedback, "delivery-result"), "reject");
  EXPECT_EQ(one(same.feedback, "original-mail-from"), "<x@same.e2e.test>");
  // RFC 9991: the mechanisms that failed to authenticate an aligned identity (here neither did).
  EXPECT_EQ(one(same.feedback, "identity-alignment"), "dkim, spf");
  EXPECT_NE(one(same.feedback, "authentication-results").find("dmarc=fail"), std::string::npos);
  EXPECT_EQ(one(same.feedback, "reporting-mta"), "dns; mx.e2e.test");
  EXPECT_EQ(same.thirdType, "text/rfc822-headers");  // FailureReportsContent headers (default)
  EXPECT_EQ(one(fields(same.third), "subject"), "end to end");
  EXPECT_EQ(same.raw.find("this is a test"), std::string::npos);  // no body
  EXPECT_EQ(same.raw.find("user@mx.e2e.test"), std::string::npos);  // our user's address is redacted

  const Report& ext = byRcpt["<ruf@reports.e2e.test>"];  // authorized by its _report._dmarc record
  EXPECT_EQ(one(ext.feedback, "reported-domain"), "ext.e2e.test");
  EXPECT_EQ(one(ext.feedback, "delivery-result"), "policy");

  const Report& fo1 = byRcpt["<ruf@fo1.e2e.test>"];
  EXPECT_EQ(one(fo1.feedback, "reported-domain"), "fo1.e2e.test");
  EXPECT_EQ(one(fo1.feedback, "delivery-result"), "delivered");
  EXPECT_EQ(one(fo1.feedback, "identity-alignment"), "dkim");  // SPF aligned; no DKIM signature
  EXPECT_EQ(log.find("domain=same.e2e.test to=ruf@same.e2e.test sent"),
            log.rfind("domain=same.e2e.test to=ruf@same.e2e.test sent"));  // the passing message: none
}

TEST_F(FailureReportsE2E, RateLimitHoldsAndBccGetsCopiesWithTheBody) {
  startMilter("FailureReports yes\nFailureReportsRateLimit 2\nFailureReportsBcc copy@ops.e2e.test\n"
              "FailureReportsContent body\n");
  for (int i = 0; i < 4; ++i) expect(message("x@same.e2e.test", "a@same.e2e.test", "198.51.100.9"), A::ReplyCode);
  // Two reports, each to ruf@same.e2e.test and to the bcc address; the other two messages are
  // dropped at offer time (before the milter answered), so nothing else can follow.
  auto reports = waitForReports(4);
  ASSERT_EQ(reports.size(), 4u) << env.milter->output();
  ASSERT_TRUE(waitForOutput(*env.milter, "2 over the hourly rate limit of their domain")) << env.milter->output();
  ASSERT_TRUE(waitForOutput(*env.milter, "failure report qid=E2EQID domain=same.e2e.test to=copy@ops.e2e.test (bcc) sent"));
  std::map<std::string, int> rcpts;
  for (auto& r : reports) {
    ++rcpts[r.rcpt];
    EXPECT_EQ(r.mailFrom, "<reports@mx.e2e.test>");  // FailureReportsSentBy unset: ReportingEmail
    EXPECT_EQ(r.thirdType, "message/rfc822");
    EXPECT_NE(r.third.find("this is a test."), std::string::npos) << r.raw;
  }
  EXPECT_EQ(rcpts["<ruf@same.e2e.test>"], 2);
  EXPECT_EQ(rcpts["<copy@ops.e2e.test>"], 2);
  env.stop();  // the milter is gone: whatever it had queued was sent or dropped
  EXPECT_EQ(stored(), 4u);
}

TEST_F(FailureReportsE2E, OffSendsNothing) {
  startMilter("");  // FailureReports no (the default)
  expect(message("x@same.e2e.test", "a@same.e2e.test", "198.51.100.9"), A::ReplyCode);
  expect(message("x@ext.e2e.test", "a@ext.e2e.test", "198.51.100.9"), A::Accept);
  std::string log = env.milter->output();
  env.stop();  // a running reporter would send its queue before the exit (bounded)
  EXPECT_EQ(log.find("failure report"), std::string::npos) << log;
  EXPECT_EQ(stored(), 0u);
}

}  // namespace
