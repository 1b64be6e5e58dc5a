// tests/core/session_test.cpp — the pure C++ core driven without libmilter: Session in, Verdict out.
// DNS comes from the in-memory resolver; time from a fixed clock.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "filter/authres/authres.h"
#include "filter/core/session.h"
#include "tests/core/core_fixture.h"

using namespace am;
using namespace am::core;

namespace {

struct Header {
  std::string name, value;
};

struct Fixture : am::core::test::CoreFixture {
  void start(const std::string& extraConfig = "", const std::string& policy = "") {
    std::ofstream(dir + "/policy") << policy;
    std::string text = "AuthservID mx.test\nSyslog no\nInternalHosts 10.0.0.0/8\nPolicyFile " + dir + "/policy\n" + extraConfig;
    startEngine(config::parseText(text, "test.conf"));
  }

  // Drives one message through a new session; returns the end-of-message verdict.
  Verdict run(const std::string& client, const std::string& helo, const std::string& mailFrom,
              const std::vector<Header>& headers, const std::string& body, const std::string& authUser = "",
              std::string* logLine = nullptr) {
    Session s(*engine);
    if (!authUser.empty()) s.setMacro("{auth_authen}", authUser);
    s.setMacro("i", "QID1");
    EXPECT_EQ(s.connect("client.test", IpAddress::parse(client)).action, Action::Continue);
    s.helo(helo);
    s.mailFrom("<" + mailFrom + ">");
    s.rcpt("<rcpt@mx.test>");
    for (auto& h : headers) s.header(h.name, " " + h.value);
    s.endOfHeaders();
    s.body(body);
    Verdict v = s.endOfMessage();
    if (logLine) *logLine = s.lastLogLine();
    return v;
  }
};

const HeaderEdit* findInsert(const Verdict& v, const std::string& name) {
  for (auto& e : v.edits)
    if (e.kind == HeaderEdit::Kind::Insert && e.name == name) return &e;
  return nullptr;
}

std::vector<Header> basicHeaders(const std::string& from) {
  return {{"From", from}, {"To", "rcpt@mx.test"}, {"Subject", "hello"}, {"Date", "Tue, 14 Nov 2023 22:13:20 +0000"},
          {"Message-ID", "<1@test>"}};
}

}  // namespace

TEST_F(Fixture, AddsAuthenticationResultsAtTopWithOurId) {
  start();
  dns->addTxt("example.org", "v=spf1 ip4:192.0.2.0/24 -all");
  auto v = run("192.0.2.5", "mail.example.org", "alice@example.org", basicHeaders("alice@example.org"), "hi\r\n");
  EXPECT_EQ(v.action, Action::Accept);
  auto* ar = findInsert(v, "Authentication-Results");
  ASSERT_TRUE(ar);
  EXPECT_EQ(ar->index, 0);
  auto parsed = authres::parse(ar->value, nullptr);
  ASSERT_TRUE(parsed) << ar->value;
  EXPECT_EQ(parsed->authservId, "mx.test");
  bool sawSpf = false, sawDkim = false, sawDmarc = false;
  for (auto& r : parsed->results) {
    if (r.method == "spf") sawSpf |= r.result == "pass";
    if (r.method == "dkim") sawDkim = r.result == "none";
    if (r.method == "dmarc") sawDmarc = r.result == "none";
  }
  EXPECT_TRUE(sawSpf) << ar->value;
  EXPECT_TRUE(sawDkim) << ar->value;
  EXPECT_TRUE(sawDmarc) << ar->value;
}

TEST_F(Fixture, RemovesForgedAuthenticationResultsHighestIndexFirst) {
  start();
  auto headers = basicHeaders("alice@example.org");
  headers.insert(headers.begin(), {"Authentication-Results", "MX.Test; spf=pass smtp.mailfrom=example.org"});
  headers.insert(headers.begin() + 1, {"Authentication-Results", "other.example; dkim=pass header.d=x"});
  headers.insert(headers.begin() + 2, {"Authentication-Results", "(forged)\n\tmx.test ; dmarc=pass"});
  headers.push_back({"authentication-results", "mx.test.evil; spf=pass"});
  auto v = run("192.0.2.5", "h.example", "alice@example.org", headers, "x\r\n");
  std::vector<int> deleted;
  for (auto& e : v.edits)
    if (e.kind == HeaderEdit::Kind::Change) {
      EXPECT_TRUE(e.value.empty());
      deleted.push_back(e.index);
    }
  EXPECT_EQ(deleted, (std::vector<int>{3, 1}));
  // Deletes come before our insert so the new header can never be hit by an index.
  ASSERT_FALSE(v.edits.empty());
  EXPECT_EQ(v.edits.front().kind, HeaderEdit::Kind::Change);
}

TEST_F(Fixture, RemovesMalformedAuthenticationResultsThatMentionOurId) {
  start();
  auto headers = basicHeaders("alice@example.org");
  headers.insert(headers.begin(), {"Authentication-Results", "(\\) mx.test; dkim=pass header.d=bank.example"});
  headers.insert(headers.begin() + 1, {"Authentication-Results", "broken ( other.example; dkim=pass"});
  headers.insert(headers.begin() + 2, {"Authentication-Results", "\"mx.test; dmarc=pass"});
  auto v = run("192.0.2.5", "h.example", "alice@example.org", headers, "x\r\n");
  std::vector<int> deleted;
  for (auto& e : v.edits)
    if (e.kind == HeaderEdit::Kind::Change) deleted.push_back(e.index);
  EXPECT_EQ(deleted, (std::vector<int>{3, 1}));  // the unparseable one that does not name us stays
}

// TrustedAuthservIDs: an upstream host's AR header is kept and its results are in the log line;
// an untrusted one is kept too but never reported; ours is always deleted.
TEST_F(Fixture, TrustedUpstreamResultsAreReportedInTheLog) {
  start("TrustedAuthservIDs relay.example.org, Other.Example.\n");
  auto headers = basicHeaders("alice@example.org");
  headers.insert(headers.begin(), {"Authentication-Results", "relay.example.org; spf=pass smtp.mailfrom=a@x.example;\n\tdkim=pass header.d=x.example"});
  headers.insert(headers.begin() + 1, {"Authentication-Results", "stranger.example; dmarc=pass header.from=bank.example"});
  headers.insert(headers.begin() + 2, {"Authentication-Results", "mx.test; dmarc=pass"});
  headers.insert(headers.begin() + 3, {"Authentication-Results", "other.example; arc=pass"});
  std::string line;
  auto v = run("192.0.2.5", "h.example", "alice@example.org", headers, "x\r\n", "", &line);
  EXPECT_NE(line.find(" upstream=\"relay.example.org:spf=pass,relay.example.org:dkim=pass,other.example:arc=pass\" "),
            std::string::npos) << line;
  EXPECT_EQ(line.find("stranger.example"), std::string::npos) << line;
  std::vector<int> deleted;
  for (auto& e : v.edits)
    if (e.kind == HeaderEdit::Kind::Change) deleted.push_back(e.index);
  EXPECT_EQ(deleted, (std::vector<int>{3}));
}

TEST_F(Fixture, RejectsForgedFromUnderPReject) {
  start();
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
  dns->addTxt("bank.example", "v=spf1 -all");
  auto v = run("198.51.100.7", "evil.example", "x@evil.example", basicHeaders("ceo@bank.example"), "pay\r\n");
  EXPECT_EQ(v.action, Action::Reject);
  EXPECT_EQ(v.rcode, "550");
  EXPECT_EQ(v.xcode, "5.7.1");
  EXPECT_NE(v.text.find("bank.example"), std::string::npos) << v.text;
}

TEST_F(Fixture, QuarantinesUnderPQuarantine) {
  start();
  dns->addTxt("_dmarc.shop.example", "v=DMARC1; p=quarantine");
  std::string line;
  auto v = run("198.51.100.7", "evil.example", "x@evil.example", basicHeaders("news@shop.example"), "buy\r\n", "",
               &line);
  EXPECT_EQ(v.action, Action::Accept);
  ASSERT_TRUE(v.quarantine.has_value());
  EXPECT_NE(v.quarantine->find("shop.example"), std::string::npos) << *v.quarantine;
  EXPECT_NE(line.find("action=quarantine"), std::string::npos) << line;
  EXPECT_NE(line.find("qid=QID1"), std::string::npos) << line;
}

TEST_F(Fixture, ReportOnlyModeNeverRejects) {
  start("RejectFailures no\n");
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
  auto v = run("198.51.100.7", "evil.example", "x@evil.example", basicHeaders("ceo@bank.example"), "pay\r\n");
  EXPECT_EQ(v.action, Action::Accept);
  EXPECT_FALSE(v.quarantine);
  auto* ar = findInsert(v, "Authentication-Results");
  ASSERT_TRUE(ar);
  EXPECT_NE(ar->value.find("dmarc=fail"), std::string::npos) << ar->value;
}

TEST_F(Fixture, MissingFromIsRejectedByDefault) {
  start();
  auto v = run("192.0.2.5", "h.example", "a@example.org", {{"Subject", "no from"}}, "x\r\n");
  EXPECT_EQ(v.action, Action::Reject);
}

TEST_F(Fixture, MultipleFromIsRejectedByDefault) {
  start();
  auto h = basicHeaders("a@example.org");
  h.push_back({"From", "b@example.net"});
  auto v = run("192.0.2.5", "h.example", "a@example.org", h, "x\r\n");
  EXPECT_EQ(v.action, Action::Reject);
}

TEST_F(Fixture, SpfTempErrorRecordedWhenDnsFails) {
  start();
  dns->setStatus("flaky.example", RrType::TXT, DnsStatus::TempFail);
  std::string line;
  auto v = run("192.0.2.5", "h.example", "a@flaky.example", basicHeaders("a@flaky.example"), "x\r\n", "", &line);
  EXPECT_NE(line.find("spf=temperror"), std::string::npos) << line;
}

TEST_F(Fixture, SpfOnlyRejectUsesRfc7372Codes) {
  start("SPFRejectFailures yes\n");
  dns->addTxt("nodmarc.example", "v=spf1 -all");
  auto v = run("192.0.2.5", "h.example", "a@nodmarc.example", basicHeaders("a@nodmarc.example"), "x\r\n");
  EXPECT_EQ(v.action, Action::Reject);
  EXPECT_EQ(v.xcode, "5.7.23");
}

TEST_F(Fixture, OversizedHeadersGetTempFail) {
  start("MaxHeaderBytes 4096\n");
  auto h = basicHeaders("a@example.org");
  h.push_back({"X-Big", std::string(10000, 'a')});
  auto v = run("192.0.2.5", "h.example", "a@example.org", h, "x\r\n");
  EXPECT_EQ(v.action, Action::TempFail);
}

TEST_F(Fixture, DrainingRefusesNewConnections) {
  start();
  engine->draining = true;
  Session s(*engine);
  EXPECT_EQ(s.connect("c", IpAddress::parse("192.0.2.1")).action, Action::TempFail);
}

// A connection accepted before SIGTERM whose SMTP session starts during the drain: the connect stage
// is no-reply, so the MTA sends a whole transaction before it reads the 421. That transaction is
// answered with the 421, never evaluated (no DNS), counted while in flight, and logged with its client.
TEST_F(Fixture, DrainingAnswersTheRefusedConnectionsTransactionWithoutEvaluatingIt) {
  start();
  engine->draining = true;
  Session s(*engine);
  s.setMacro("i", "QID9");
  EXPECT_EQ(s.connect("client.test", IpAddress::parse("192.0.2.7")).action, Action::TempFail);
  dns->resetQueryCount();
  s.helo("h.example");
  s.mailFrom("<a@example.org>");
  EXPECT_EQ(engine->transactionsInFlight.load(), 1);
  s.rcpt("<rcpt@mx.test>");
  for (auto& h : basicHeaders("a@example.org")) s.header(h.name, " " + h.value);
  s.endOfHeaders();
  s.body("x\r\n");
  Verdict v = s.endOfMessage();
  EXPECT_EQ(v.action, Action::TempFail);
  EXPECT_EQ(v.rcode, "421");
  EXPECT_EQ(dns->queries(), 0u);
  EXPECT_EQ(engine->transactionsInFlight.load(), 0);
  EXPECT_EQ(s.lastLogLine(), "qid=QID9 client=192.0.2.7[client.test] action=tempfail reason=\"shutting down\"");
}

TEST_F(Fixture, TransactionCounterReturnsToZeroOnEveryPath) {
  start();
  {
    Session s(*engine);
    s.connect("c", IpAddress::parse("192.0.2.1"));
    s.mailFrom("<a@b.example>");
    EXPECT_EQ(engine->transactionsInFlight.load(), 1);
    s.abort();
    EXPECT_EQ(engine->transactionsInFlight.load(), 0);
    s.mailFrom("<a@b.example>");
    s.mailFrom("<a@b.example>");  // RSET-less new transaction
    EXPECT_EQ(engine->transactionsInFlight.load(), 1);
  }  // connection closes mid-message
  EXPECT_EQ(engine->transactionsInFlight.load(), 0);
}

TEST_F(Fixture, BodyWithNulBytesAndNoFinalCrlf) {
  start();
  std::string body("a\0b\r\nno final newline", 22);
  auto v = run("192.0.2.5", "h.example", "a@example.org", basicHeaders("a@example.org"), body);
  EXPECT_EQ(v.action, Action::Accept);
}

// The per-message log line, byte for byte (its format is what operators grep for): quoting of
// values with spaces, '=' and control bytes, the auth and spf parts, and a reason.
TEST_F(Fixture, LogLineIsExact) {
  start();
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
  dns->addTxt("evil.example", "v=spf1 -all");
  std::string line;
  run("198.51.100.7", "evil.example", "x@evil.example", basicHeaders("ceo@bank.example"), "pay\r\n", "", &line);
  EXPECT_EQ(line,
            "qid=QID1 client=198.51.100.7[client.test] helo=evil.example mailfrom=x@evil.example from=bank.example "
            "spf=fail spf.d=evil.example spf.helo=fail dkim=none dmarc=fail policy=reject action=reject "
            "reason=\"dmarc=fail p=reject dis=reject: no aligned SPF or DKIM pass\"");
  run("198.51.100.8", "helo with space", "a=b\x01@ok.example", basicHeaders("me@ok.example"), "hi\r\n", "user \"x\"",
      &line);
  EXPECT_EQ(line,
            "qid=QID1 client=198.51.100.8[client.test] helo=\"helo with space\" mailfrom=\"a=b\\x01@ok.example\" "
            "auth=\"user \\\"x\\\"\" from=ok.example dkim=none dmarc=none policy=unspecified action=accept "
            "reason=\"authenticated client, DMARC not enforced\"");
}

TEST(LogValue, QuotesEscapesAndTruncates) {
  EXPECT_EQ(logValue("plain"), "plain");
  EXPECT_EQ(logValue(""), "\"\"");
  EXPECT_EQ(logValue("a b"), "\"a b\"");
  EXPECT_EQ(logValue("k=v"), "\"k=v\"");
  EXPECT_EQ(logValue("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
  EXPECT_EQ(logValue(std::string("nl\n\x7f", 4)), "\"nl\\x0a\\x7f\"");
  EXPECT_EQ(logValue(std::string(600, 'x')), std::string(512, 'x') + "...");
  EXPECT_EQ(logValue(std::string(600, ' ')), "\"" + std::string(512, ' ') + "...\"");
  std::string out = "k=";
  appendLogValue(out, "v w");
  EXPECT_EQ(out, "k=\"v w\"");
}

// Logger on stderr: one line "<UTC time> authmilter[<level>]: <line>\n" per write (checked
// through a pipe put in place of fd 2 for the duration of the test).
TEST(LoggerStderr, WritesTimestampLevelAndLineInOnePiece) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int saved = dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(dup2(fds[1], STDERR_FILENO), 0);
  Logger log;
  log.warning("qid=Q1 action=accept");
  log.debug("not shown: debug is off");
  log.error("");
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  size_t nl = got.find('\n');
  ASSERT_NE(nl, std::string::npos) << got;
  std::string first = got.substr(0, nl), second = got.substr(nl + 1);
  ASSERT_EQ(first.size(), 20 + 42u) << first;
  EXPECT_EQ(first[4], '-');
  EXPECT_EQ(first[10], 'T');
  EXPECT_EQ(first[19], 'Z');
  EXPECT_EQ(first.substr(20), " authmilter[warning]: qid=Q1 action=accept");
  EXPECT_EQ(second.substr(std::min<size_t>(20, second.size())), " authmilter[error]: \n");
}
