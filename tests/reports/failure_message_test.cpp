// tests/reports/failure_message_test.cpp — the DMARC failure report message (reports/failure.h
// failureMessage) read back by an independent MIME parser, Python's `email` package
// (tests/reports/parse_failure_report.py): the multipart/report layout, the RFC 5965/6591/9991
// feedback fields, the original header fields (headers only, and with the body); hostile header
// values and bodies (CRLF, NUL, long lines, invalid UTF-8) that must add neither fields nor parts;
// the size bound and what the text part says was cut.
#include <gtest/gtest.h>
#include <strings.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "reports/failure.h"
#include "tests/reports/failure_fixture.h"

using namespace am::reports;
using namespace am::reports::fixture;
using namespace std::string_literals;
using nlohmann::json;

namespace {

// The report as Python's email package reads it.
json parse(const std::string& message) {
  char path[] = "/tmp/am-ruf-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, message.data(), message.size()), static_cast<ssize_t>(message.size()));
  close(fd);
  std::string cmd = std::string("/usr/bin/python3 ") + AM_FAILURE_PARSE_SCRIPT + " " + path;
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << out;
  }
  unlink(path);
  return json::parse(out);
}

std::vector<std::string> values(const json& fields, const std::string& name) {
  std::vector<std::string> v;
  for (const auto& f : fields)
    if (strcasecmp(f[0].get<std::string>().c_str(), name.c_str()) == 0) v.push_back(f[1].get<std::string>());
  return v;
}
// A folded value made one line again (the folding whitespace stays).
std::string unfold(const std::string& v) {
  std::string out;
  for (char c : v)
    if (c != '\r' && c != '\n') out += c;
  return out;
}
std::string one(const json& fields, const std::string& name) {
  auto v = values(fields, name);
  EXPECT_EQ(v.size(), 1u) << name;
  return v.empty() ? "" : v[0];
}

// What every report must be: CRLF lines of at most 998 octets, no NUL, valid UTF-8.
void expectWellFormedLines(const std::string& m) {
  size_t lineLen = 0;
  for (size_t i = 0; i < m.size(); ++i) {
    ASSERT_NE(m[i], '\0') << "NUL at " << i;
    if (m[i] == '\r') {
      ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at " << i;
      lineLen = 0;
      ++i;
      continue;
    }
    ASSERT_NE(m[i], '\n') << "bare LF at " << i;
    ASSERT_LE(++lineLen, 998u) << "long line at " << i;
  }
  for (size_t i = 0; i < m.size();) {
    uint32_t cp;
    if (static_cast<unsigned char>(m[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = am::utf8::sequence(m, i, cp);
    ASSERT_GT(len, 0u) << "invalid UTF-8 at " << i;
    i += len;
  }
}


// --- failureMessage ------------------------------------------------------------------------

TEST(FailureMessage, HeadersOnlyReadsBackAsFeedbackReport) {
  FailureInput in = input();
  std::string m = failureMessage(in, settings(), "ruf@example.com", kNow);
  expectWellFormedLines(m);
  json j = parse(m);
  EXPECT_EQ(j["content_type"], "multipart/report");
  EXPECT_EQ(j["report_type"], "feedback-report");
  EXPECT_TRUE(j["defects"].empty()) << j["defects"].dump();
  EXPECT_EQ(one(j["top"], "From"), "dmarc-noreply@receiver.test");
  EXPECT_EQ(one(j["top"], "To"), "ruf@example.com");
  EXPECT_NE(one(j["top"], "Subject").find("example.com"), std::string::npos);
  EXPECT_EQ(one(j["top"], "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_NE(one(j["top"], "Message-ID").find("@mx.receiver.test>"), std::string::npos);
  EXPECT_EQ(one(j["top"], "MIME-Version"), "1.0");
  ASSERT_EQ(j["parts"].size(), 3u);
  EXPECT_EQ(j["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(j["parts"][1]["content_type"], "message/feedback-report");
  EXPECT_EQ(j["parts"][2]["content_type"], "text/rfc822-headers");

  const json& f = j["parts"][1]["fields"];
  EXPECT_EQ(one(f, "Feedback-Type"), "auth-failure");
  EXPECT_EQ(one(f, "User-Agent"), "authmilter/1.0");
  EXPECT_EQ(one(f, "Version"), "1");
  EXPECT_EQ(one(f, "Auth-Failure"), "dmarc");
  EXPECT_EQ(one(f, "Original-Mail-From"), "<alice@bounce.example.com>");  // the report domain's: kept
  EXPECT_EQ(values(f, "Original-Rcpt-To"),
            (std::vector<std::string>{"<redacted@receiver.test>", "<redacted@receiver.test>"}));
  EXPECT_EQ(one(f, "Arrival-Date"), "Tue, 14 Nov 2023 22:13:15 +0000");
  EXPECT_EQ(one(f, "Reporting-MTA"), "dns; mx.receiver.test");
  EXPECT_EQ(one(f, "Source-IP"), "192.0.2.7");
  EXPECT_EQ(one(f, "Reported-Domain"), "example.com");
  EXPECT_EQ(one(f, "Identity-Alignment"), "dkim, spf");  // RFC 9991: the mechanisms that failed
  EXPECT_TRUE(values(f, "SPF-DNS").empty()) << "no record given";
  EXPECT_EQ(one(f, "Delivery-Result"), "reject");
  EXPECT_EQ(one(f, "DKIM-Domain"), "example.com");
  EXPECT_EQ(one(f, "DKIM-Identity"), "@example.com");
  EXPECT_EQ(one(f, "DKIM-Selector"), "s1");
  const std::string ar = unfold(one(f, "Authentication-Results"));
  EXPECT_NE(ar.find("dmarc=fail header.from=example.com"), std::string::npos) << ar;
  EXPECT_NE(ar.find("smtp.mailfrom=alice@bounce.example.com"), std::string::npos) << ar;

  const json& h = j["parts"][2]["fields"];
  EXPECT_TRUE(j["parts"][2]["defects"].empty());
  ASSERT_EQ(h.size(), in.headers.size());
  EXPECT_EQ(one(h, "From"), "Alice <alice@example.com>");
  EXPECT_EQ(one(h, "To"), "Bob <redacted@receiver.test>, redacted@receiver.test");
  EXPECT_EQ(one(h, "Cc"), "redacted@elsewhere.test");
  EXPECT_EQ(one(h, "Message-ID"), "<abc.123@mail.example.com>");
  EXPECT_NE(unfold(one(h, "Received")).find("for <redacted@receiver.test>"), std::string::npos);
  EXPECT_EQ(m.find("bob@"), std::string::npos);
  EXPECT_EQ(m.find("carol@"), std::string::npos);
  EXPECT_EQ(m.find("Hello Bob"), std::string::npos) << "no body unless asked for";
  const std::string text = j["parts"][0]["text"];
  EXPECT_NE(text.find("192.0.2.7"), std::string::npos);
  EXPECT_NE(text.find("header fields"), std::string::npos);
}

TEST(FailureMessage, WithBodyIsMessageRfc822) {
  FailureInput in = input();
  FailureSettings s = settings();
  s.includeBody = true;
  // An fo=1 report: DKIM gave an aligned pass, SPF did not; the SPF record is known.
  in.record.dkimAligned = "pass";
  in.record.dmarcResult = "pass";
  in.record.dkim = {{"other.test", "x", "fail"}, {"example.com", "s2", "pass"}, {"mail.example.com", "s3", "fail"}};
  in.spfRecord = "v=spf1 ip4:198.51.100.0/24 -all";
  in.deliveryResult = "quarantine";
  std::string m = failureMessage(in, s, "ruf@example.com", kNow);
  expectWellFormedLines(m);
  json j = parse(m);
  EXPECT_TRUE(j["defects"].empty()) << j["defects"].dump();
  ASSERT_EQ(j["parts"].size(), 3u);
  EXPECT_EQ(j["parts"][2]["content_type"], "message/rfc822");
  const json& inner = j["parts"][2]["fields"];
  EXPECT_EQ(inner.size(), in.headers.size());
  EXPECT_EQ(one(inner, "Subject"), "Quarterly figures");
  EXPECT_EQ(j["parts"][2]["body"], "Hello Bob,\r\nwrite to redacted@receiver.test or alice@example.com.\r\n");
  const json& f = j["parts"][1]["fields"];
  EXPECT_EQ(one(f, "Identity-Alignment"), "spf");
  EXPECT_EQ(one(f, "Delivery-Result"), "spam");
  EXPECT_EQ(one(f, "SPF-DNS"), "txt : bounce.example.com : v=spf1 ip4:198.51.100.0/24 -all");
  // The DKIM fields name the failed signature of an aligned domain.
  EXPECT_EQ(one(f, "DKIM-Domain"), "mail.example.com");
  EXPECT_EQ(one(f, "DKIM-Selector"), "s3");
  EXPECT_EQ(std::string(j["parts"][0]["text"]).find("cut"), std::string::npos);
  // A body the caller already shortened is said to be cut.
  in.bodyTruncated = true;
  j = parse(failureMessage(in, s, "ruf@example.com", kNow));
  EXPECT_NE(std::string(j["parts"][0]["text"]).find("The body was cut"), std::string::npos);
}

TEST(FailureMessage, HostileHeaderValuesAddNoFieldsNorParts) {
  FailureInput in = input();
  const std::string longWord(5000, 'A');
  std::string longWords;
  for (int i = 0; i < 800; ++i) longWords += "word" + std::to_string(i) + " ";
  in.headers = {
      {"Subject", "hello\r\nInjected: yes"},
      {"X-A", "a\nX-Injected-LF: 1"},
      {"X-B", "b\rX-Injected-CR: 1"},
      {"X-C", "c\r\n\r\n--=_am_ruf_0000000000000000\r\nContent-Type: text/plain\r\n\r\nfake part"},
      {"X-D", "nul\0Injected-Nul: 1"s},
      {"X-E", longWord},
      {"X-F", longWords},
      {"X-G", "bad \xff\xfe utf8 \xc3\x28 and good \xc3\xa9"},
      {"Bad Name\r\nInjected-Name", "v"},
      {"", "no name"},
      {"From", "Alice <alice@example.com>"},
  };
  in.body = "line\nbare lf\rbare cr\0nul\r\n--=_am_ruf_0000000000000000--\r\n"s + std::string(3000, 'x') + "\r\n";
  const std::vector<std::string> names = {"Subject", "X-A", "X-B", "X-C", "X-D", "X-E", "X-F", "X-G",
                                          "Bad-Name--Injected-Name", "X-Unnamed", "From"};
  for (bool body : {false, true}) {
    FailureSettings s = settings();
    s.includeBody = body;
    std::string m = failureMessage(in, s, "ruf@example.com", kNow);
    expectWellFormedLines(m);
    json j = parse(m);
    ASSERT_EQ(j["parts"].size(), 3u) << m;
    const json& h = j["parts"][2]["fields"];
    std::vector<std::string> got;
    for (const auto& f : h) got.push_back(f[0]);
    EXPECT_EQ(got, names);
    EXPECT_EQ(one(h, "Subject"), "hello Injected: yes");
    EXPECT_EQ(one(h, "X-G"), "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD( and good \xc3\xa9");
    // The long value comes back whole once unfolded (the folding points are spaces).
    std::string unfolded = unfold(one(h, "X-F"));
    while (!unfolded.empty() && unfolded.back() == ' ') unfolded.pop_back();
    EXPECT_EQ(unfolded, longWords.substr(0, longWords.size() - 1));
    if (body) {
      EXPECT_EQ(j["parts"][2]["content_type"], "message/rfc822");
      std::string b = j["parts"][2]["body"];
      EXPECT_EQ(b.substr(0, 58), "line\r\nbare lf\r\nbare crnul\r\n--=_am_ruf_0000000000000000--\r\n");
    }
  }
}

TEST(FailureMessage, BoundedByMaxBytes) {
  FailureInput in = input();
  for (int i = 0; i < 300; ++i) in.headers.push_back({"X-Filler-" + std::to_string(i), std::string(900, 'f')});
  in.headers.push_back({"Subject", "the key fields stay"});
  in.body.clear();
  for (int i = 0; i < 20000; ++i) in.body += "body line " + std::to_string(i) + "\r\n";
  for (bool body : {true, false}) {
    FailureSettings s = settings();
    s.includeBody = body;
    s.maxBytes = 65536;
    std::string m = failureMessage(in, s, "ruf@example.com", kNow);
    ASSERT_FALSE(m.empty());
    EXPECT_LE(m.size(), s.maxBytes);
    expectWellFormedLines(m);
    json j = parse(m);
    ASSERT_EQ(j["parts"].size(), 3u);
    const std::string text = j["parts"][0]["text"];
    EXPECT_NE(text.find("header fields were left out"), std::string::npos) << text;
    EXPECT_EQ(values(j["parts"][2]["fields"], "Subject").size(), 2u);
    EXPECT_EQ(one(j["parts"][2]["fields"], "From"), "Alice <alice@example.com>");
    if (body) {
      EXPECT_NE(text.find("The body was cut"), std::string::npos) << text;
    }
  }
  // Headers that fit: the body is what gets cut, at a line end.
  in = input();
  in.body.clear();
  for (int i = 0; i < 20000; ++i) in.body += "body line " + std::to_string(i) + "\r\n";
  FailureSettings s = settings();
  s.includeBody = true;
  s.maxBytes = 16384;
  std::string m = failureMessage(in, s, "ruf@example.com", kNow);
  EXPECT_LE(m.size(), s.maxBytes);
  json j = parse(m);
  EXPECT_EQ(j["parts"][2]["fields"].size(), in.headers.size());
  std::string b = j["parts"][2]["body"];
  EXPECT_GT(b.size(), 4000u);
  EXPECT_EQ(b.substr(0, 13), "body line 0\r\n");
  EXPECT_EQ(b.substr(b.size() - 2), "\r\n");
  EXPECT_NE(std::string(j["parts"][0]["text"]).find("The body was cut"), std::string::npos);
  // Every bound is kept, down to the one under which no report fits at all.
  for (size_t max = 1000; max <= 40000; max += 1500) {
    s.maxBytes = max;
    m = failureMessage(in, s, "ruf@example.com", kNow);
    EXPECT_LE(m.size(), max);
    if (max >= 4000) {
      EXPECT_FALSE(m.empty()) << max;
    }
  }
  for (bool body : {false, true}) {
    s.includeBody = body;
    for (size_t max = 1500; max <= 6000; max += 37) {
      s.maxBytes = max;
      EXPECT_LE(failureMessage(in, s, "ruf@example.com", kNow).size(), max) << max << " body " << body;
    }
  }
  s.maxBytes = 500;
  EXPECT_EQ(failureMessage(in, s, "ruf@example.com", kNow), "");
}

TEST(FailureMessage, ManyRecipientsAreCapped) {
  FailureInput in = input();
  in.rcpts.clear();
  for (int i = 0; i < 500; ++i) in.rcpts.push_back("user" + std::to_string(i) + "@receiver.test");
  std::string m = failureMessage(in, settings(), "ruf@example.com", kNow);
  json j = parse(m);
  EXPECT_EQ(values(j["parts"][1]["fields"], "Original-Rcpt-To").size(), 20u);
  EXPECT_NE(std::string(j["parts"][0]["text"]).find("480 more recipients"), std::string::npos);
}


}  // namespace
