// tests/milterclient/libmilter_test.cpp — the client against a real libmilter filter
// (am_test_libmilter_filter, started through the process fixture): negotiation, macros, header
// insert/delete/add, quarantine, early rejects, several messages per connection, unix and inet
// sockets, with and without SMFIP_HDR_LEADSPC.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/milterclient/milter_client.h"
#include "tests/milterclient/process.h"
#include "tests/milterclient/test_util.h"

namespace am::milter_client::testing {
namespace {

using namespace std::chrono_literals;
using milter_process::Process;
using Action = Result::Action;
using Kind = HeaderChange::Kind;

// A loopback TCP port that was free a moment ago (bind port 0, read it back, release it); see
// startFilterOnFreePort for the case where it is taken again before the filter binds it.
uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

std::unique_ptr<Process> startFilter(const std::string& spec, bool leadSpace) {
  std::string err;
  auto p = Process::start(AM_TEST_LIBMILTER_FILTER, {spec, leadSpace ? "leadspc" : "plain"}, &err);
  EXPECT_NE(p, nullptr) << err;
  if (p && !p->waitForSocket(spec, 30s, &err)) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  return p;
}

// startFilter on a free loopback port; a port taken between freePort() and the filter's bind
// makes the filter exit, and another port is tried.
std::unique_ptr<Process> startFilterOnFreePort(bool leadSpace, std::string* spec) {
  std::string err;
  for (int attempt = 0; attempt < 3; ++attempt) {
    uint16_t port = freePort();
    if (port == 0) continue;
    *spec = "inet:" + std::to_string(port) + "@127.0.0.1";
    auto p = Process::start(AM_TEST_LIBMILTER_FILTER, {*spec, leadSpace ? "leadspc" : "plain"}, &err);
    if (!p) break;
    if (p->waitForSocket(*spec, 30s, &err) && p->running()) return p;
    if (p->running()) break;  // alive but not accepting: another port will not help
  }
  ADD_FAILURE() << "no libmilter filter on a free port: " << err;
  return nullptr;
}

Message testMessage() {
  Message m = sampleMessage();
  m.headers = {{"From", "Alice <alice@example.org>"}, {"X-Remove-Me", "first"}, {"Subject", " two spaces"},
               {"X-Remove-Me", "second"}};
  m.macros = {{"i", "QID7"}, {"{auth_authen}", "alice"}};
  for (int i = 0; m.body.size() < 200000; ++i) m.body += "line " + std::to_string(i) + " of the body text\r\n";
  m.body.resize(200000);
  return m;
}

std::string seenHeader(const Result& r) {
  for (const auto& [name, value] : r.finalHeaders)
    if (name == "X-Seen") return value;
  return {};
}

TEST(Libmilter, InsertDeleteAddAndMacrosOverUnixSocket) {
  TempDir dir;
  std::string spec = "unix:" + dir.path() + "/filter.sock";
  auto filter = startFilter(spec, false);
  ASSERT_NE(filter, nullptr);
  std::string err;
  auto c = Client::connect(spec, 30s, &err);
  ASSERT_NE(c, nullptr) << err;
  EXPECT_EQ(c->filterVersion(), 6u);
  EXPECT_TRUE(c->filterSentMacroList(wire::kMacMail));
  EXPECT_EQ(c->macroList(wire::kMacMail), "{auth_authen} i");

  Message m = testMessage();
  Result r = c->send(m);
  ASSERT_EQ(r.action, Action::Accept) << r.replyText;
  EXPECT_EQ(r.stage, "eom");
  ASSERT_EQ(r.changes.size(), 3u);
  EXPECT_EQ(r.changes[0].kind, Kind::Insert);
  EXPECT_EQ(r.changes[0].index, 0);
  EXPECT_EQ(r.changes[1].kind, Kind::Change);
  EXPECT_EQ(r.changes[1].index, 1);
  EXPECT_EQ(r.changes[1].value, "");
  EXPECT_EQ(r.finalHeaders, (HeaderList{{"X-Test-Inserted", "yes"},
                                        {"From", "Alice <alice@example.org>"},
                                        {"Subject", " two spaces"},
                                        {"X-Remove-Me", "second"},
                                        {"X-Seen", seenHeader(r)}}));
  EXPECT_EQ(seenHeader(r),
            "client=[192.0.2.1] helo=[client.example] from=[<alice@example.org>] auth=[alice] qid=[QID7] "
            "subject=[ two spaces] body=200000/4");
  EXPECT_FALSE(r.quarantined);

  Message rejected = testMessage();
  rejected.mailFrom = "<reject@example.com>";
  Result rr = c->send(rejected);
  EXPECT_EQ(rr.action, Action::ReplyCode);
  EXPECT_EQ(rr.stage, "mail");
  EXPECT_EQ(rr.replyText, "550 5.7.1 sender rejected");

  Message tempfail = testMessage();
  tempfail.rcpts = {"<bob@example.com>", "<tempfail@example.com>"};
  Result tr = c->send(tempfail);
  EXPECT_EQ(tr.action, Action::TempFail);
  EXPECT_EQ(tr.stage, "rcpt");

  Message quarantine = testMessage();
  quarantine.headers[2].second = "please quarantine this";
  quarantine.macros["i"] = "QID8";
  Result qr = c->send(quarantine);
  EXPECT_EQ(qr.action, Action::Accept) << qr.replyText;
  EXPECT_TRUE(qr.quarantined);
  EXPECT_EQ(qr.quarantineReason, "test quarantine");
  EXPECT_NE(seenHeader(qr).find("qid=[QID8]"), std::string::npos) << seenHeader(qr);
  c->quit();

  auto st = filter->stop(20s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->str(), "exit 0") << filter->output();
}

TEST(Libmilter, LeadingSpaceOverInetSocket) {
  std::string spec;
  auto filter = startFilterOnFreePort(true, &spec);
  ASSERT_NE(filter, nullptr);
  std::string err;
  auto c = Client::connect(spec, 30s, &err);
  ASSERT_NE(c, nullptr) << err;
  EXPECT_NE(c->filterProtocol() & wire::kHeaderLeadingSpace, 0u);
  Message m = testMessage();
  m.clientAddr = "2001:db8::25";
  m.chunkSize = 40000;
  Result r = c->send(m);
  ASSERT_EQ(r.action, Action::Accept) << r.replyText;
  ASSERT_FALSE(r.changes.empty());
  EXPECT_EQ(r.changes[0].value, " yes");  // the filter's own leading space, on the wire
  EXPECT_EQ(r.finalHeaders.front(), (std::pair<std::string, std::string>{"X-Test-Inserted", "yes"}));
  EXPECT_EQ(seenHeader(r),
            "client=[2001:db8::25] helo=[client.example] from=[<alice@example.org>] auth=[alice] qid=[QID7] "
            "subject=[  two spaces] body=200000/5");
  c->quit();
  auto st = filter->stop(20s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->str(), "exit 0") << filter->output();
}

}  // namespace
}  // namespace am::milter_client::testing
