// tests/e2e/reports_e2e_test.cpp — DMARC aggregate reports end to end: the real authmilter binary
// with ReportStore (SQLite) and a real nsd publishing rua records (the same domain; another domain
// with the authorization record; another without it; a t=y domain whose policy is lowered),
// messages through the project's milter client (pass, reject, quarantine, policy lowered by t=y,
// forwarded: a trusted forwarder's override, SPF failing with an aligned DKIM pass), then the real
// `authmilter report` delivering to a local SMTP server started by the test
// (tests/support/smtpsink; the fixture is tests/e2e/reports_e2e_fixture.h, ReportCommand through
// Postfix is reports_command_e2e_test.cpp). Each delivered report is unpacked, validated against
// rfc9990.xsd and its count and rows compared with what was sent; the unauthorized destination gets
// nothing; a second run sends nothing twice; a relay that answers 451 gets the report on the next
// run. Faults: the store stopped (PostgreSQL paused) or locked (SQLite) while messages flow — every
// verdict as without a store, drops counted and logged; `authmilter report` killed mid-send and run
// again — the report delivered exactly once. SQLite read by `authmilter report` while the milter writes.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "reports/store.h"
#include "tests/e2e/reports_e2e_fixture.h"
#include "tests/reports/report_check.h"
#include "tests/support/pgserver/pg_server.h"

using namespace am::e2e;

TEST_F(ReportsE2E, RecordedMessagesAreReportedToAuthorizedDestinationsOnce) {
  startSink();
  startMilter();
  sendMessages();
  ASSERT_TRUE(waitForStored(6)) << env.milter->output();
  std::string out;
  EXPECT_EQ(report(&out), 0) << out;
  EXPECT_NE(out.find("noauth.e2e.test"), std::string::npos) << out;
  EXPECT_NE(out.find("refused (not authorized"), std::string::npos) << out;

  checkDelivered(out);
  // A second run sends nothing twice.
  EXPECT_EQ(report(&out), 0) << out;
  EXPECT_EQ(delivered().size(), 3u) << out;
}

// Mail that came through forwarders: one from a host the policy file trusts (`forwarder`), which
// fails DMARC (SPF fails there, no signature) and is accepted with the override trusted_forwarder;
// one whose SPF fails at an unlisted forwarder while the sender's aligned DKIM signature survives
// (DMARC pass, nothing overridden). The report has one row for each, with its policy_evaluated and
// auth_results.
TEST_F(ReportsE2E, ForwardedMessagesAreReportedWithTheirOverrideAndAuthResults) {
  int st = -1;  // a signing key for same.e2e.test, published before nsd starts
  env.extraRecords = runCommand(std::string(AM_AUTHMILTER_BIN) + " keygen -d same.e2e.test -s fwd -a rsa -D " + work +
                                    " 2>/dev/null",
                                &st);
  ASSERT_EQ(st, 0);
  env.extraPolicy = "forwarder 203.0.113.5\nkey fwd same.e2e.test fwd " + work +
                    "/same.e2e.test.fwd.key rsa\nsign *@same.e2e.test fwd\n";
  startSink();
  startMilter();
  using A = am::milter_client::Result::Action;
  // Signed on submission (authenticated: neither evaluated nor recorded) ...
  auto out = message("x@same.e2e.test", "x@same.e2e.test", "192.0.2.10");
  out.macros["{auth_authen}"] = "x";
  auto signedR = send(env.socket, out);
  ASSERT_EQ(headerValues(signedR, "DKIM-Signature").size(), 1u) << env.milter->output();
  // ... then forwarded by a host outside same.e2e.test's SPF record.
  auto kept = message("x@same.e2e.test", "x@same.e2e.test", "198.51.100.77");
  kept.headers.clear();
  for (auto& [n, v] : signedR.finalHeaders)
    if (n != "Authentication-Results") kept.headers.emplace_back(n, v.size() && v[0] == ' ' ? v.substr(1) : v);
  auto r = send(env.socket, kept);
  EXPECT_EQ(r.action, A::Accept) << r.replyText;
  EXPECT_NE(ourAuthResults(r).find("dmarc=pass"), std::string::npos) << ourAuthResults(r);
  // A trusted forwarder: p=reject is not applied.
  r = send(env.socket, message("x@same.e2e.test", "x@same.e2e.test", "203.0.113.5"));
  EXPECT_EQ(r.action, A::Accept) << r.replyText;
  EXPECT_FALSE(r.quarantined);
  EXPECT_NE(ourAuthResults(r).find("dmarc=fail"), std::string::npos) << ourAuthResults(r);
  ASSERT_TRUE(waitForStored(2)) << env.milter->output();

  std::string log;
  EXPECT_EQ(report(&log), 0) << log;
  auto d = delivered();
  ASSERT_EQ(d.size(), 1u) << log;
  EXPECT_EQ(d[0].rcpt, "<dmarc@same.e2e.test>");
  EXPECT_EQ(am::reports::test::validate(d[0].xml, am::reports::test::schemaDir() + "/rfc9990.xsd"), "") << d[0].xml;
  EXPECT_EQ(am::reports::test::totalCount(d[0].xml), 2u) << d[0].xml;
  std::map<std::string, std::string> bySource;
  for (auto& rec : records(d[0].xml)) bySource[am::reports::test::texts(rec, "source_ip").at(0)] = rec;
  ASSERT_EQ(bySource.size(), 2u) << d[0].xml;
  using am::reports::test::texts;
  using V = std::vector<std::string>;
  const std::string& dkimKept = bySource["198.51.100.77"];
  std::string pe = element(dkimKept, "policy_evaluated");
  EXPECT_EQ(texts(pe, "disposition"), V{"pass"}) << dkimKept;  // RFC 9990: DMARC passed
  EXPECT_EQ(texts(pe, "dkim"), V{"pass"}) << dkimKept;
  EXPECT_EQ(texts(pe, "spf"), V{"fail"}) << dkimKept;
  EXPECT_TRUE(texts(pe, "reason").empty()) << dkimKept;
  std::string ar = element(dkimKept, "auth_results");
  EXPECT_EQ(texts(element(ar, "dkim"), "domain"), V{"same.e2e.test"}) << dkimKept;
  EXPECT_EQ(texts(element(ar, "dkim"), "selector"), V{"fwd"}) << dkimKept;
  EXPECT_EQ(texts(element(ar, "dkim"), "result"), V{"pass"}) << dkimKept;
  EXPECT_EQ(texts(element(ar, "spf"), "result"), V{"fail"}) << dkimKept;
  const std::string& trusted = bySource["203.0.113.5"];
  pe = element(trusted, "policy_evaluated");
  EXPECT_EQ(texts(pe, "disposition"), V{"none"}) << trusted;  // failed, but p=reject not applied
  EXPECT_EQ(texts(pe, "dkim"), V{"fail"}) << trusted;
  EXPECT_EQ(texts(pe, "spf"), V{"fail"}) << trusted;
  EXPECT_EQ(texts(pe, "type"), V{"trusted_forwarder"}) << trusted;
  ar = element(trusted, "auth_results");
  EXPECT_EQ(element(ar, "dkim"), "") << trusted;  // no signature: no dkim result
  EXPECT_EQ(texts(element(ar, "spf"), "domain"), V{"same.e2e.test"}) << trusted;
  EXPECT_EQ(texts(element(ar, "spf"), "result"), V{"fail"}) << trusted;
}

// SQLite: `authmilter report` (a second process) reads the store while the milter writes into it
// (WAL): every run succeeds while messages flow, never counts more than was sent nor less than an
// earlier run, and the last one counts every message.
TEST_F(ReportsE2E, AReportRunReadsTheSqliteStoreWhileTheMilterWrites) {
  startSink();
  startMilter();
  constexpr int kMessages = 300;
  std::atomic<int> accepted{0};
  std::thread sender([&] {
    for (int i = 0; i < kMessages; ++i)
      if (send(env.socket, message("x@same.e2e.test", "a@same.e2e.test")).action ==
          am::milter_client::Result::Action::Accept)
        ++accepted;
  });
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t begin = now - now % 3600 - 3600;
  auto counted = [&](int* status) -> long {
    std::string out = runCommand(std::string(AM_AUTHMILTER_BIN) + " report -c " + env.configPath + " --begin " +
                                     std::to_string(begin) + " --end " + std::to_string(begin + 7200) +
                                     " --dry-run --out " + work + "/out 2>&1",
                                 status);
    auto p = out.find("same.e2e.test: ");
    return p == std::string::npos ? 0 : std::stol(out.substr(p + 15));
  };
  long last = 0;
  int runs = 0;
  do {  // at least once while the sender runs; bounded: 40 runs at most
    int st = -1;
    long n = counted(&st);
    EXPECT_EQ(st, 0);
    EXPECT_GE(n, last);
    EXPECT_LE(n, kMessages);
    last = n;
  } while (++runs < 40 && accepted.load() < kMessages);
  sender.join();
  RecordProperty("report_runs_while_writing", runs);
  ASSERT_EQ(accepted.load(), kMessages);
  ASSERT_TRUE(waitForStored(kMessages)) << env.milter->output();
  int st = -1;
  EXPECT_EQ(counted(&st), kMessages);
  EXPECT_EQ(st, 0);
}

TEST_F(ReportsE2E, ARelayThatFailsGetsTheReportOnTheNextRun) {
  startSink({"--tempfail-first", "1"});
  startMilter();
  auto r = send(env.socket, message("x@same.e2e.test", "a@same.e2e.test"));
  EXPECT_TRUE(r.ok()) << r.replyText;
  ASSERT_TRUE(waitForStored(1)) << env.milter->output();
  std::string out;
  EXPECT_EQ(report(&out), 1) << out;  // the relay said 451: failed, kept for the next run
  EXPECT_NE(out.find("failed (451"), std::string::npos) << out;
  EXPECT_TRUE(delivered().empty());
  EXPECT_EQ(report(&out), 0) << out;
  auto d = delivered();
  ASSERT_EQ(d.size(), 1u) << out;
  EXPECT_EQ(am::reports::test::totalCount(d[0].xml), 1u);
  EXPECT_EQ(report(&out), 0) << out;
  EXPECT_EQ(delivered().size(), 1u);
}

// Two authmilter processes (two MX hosts) record into one PostgreSQL at the same time; one report
// covers both.
TEST_F(ReportsE2E, TwoProcessesRecordIntoOnePostgresqlAndOneReportCoversBoth) {
  std::string err;
  auto pg = am::testing::PgServer::start(&err);
  ASSERT_TRUE(pg) << err;
  startSink();
  Env second;
  startMilter(env, pg->uri());
  startMilter(second, pg->uri());
  std::vector<std::thread> senders;
  std::atomic<int> bad{0};
  for (Env* e : {&env, &second})
    senders.emplace_back([e, &bad] {
      for (int i = 0; i < 10; ++i)
        if (send(e->socket, message("x@same.e2e.test", "a@same.e2e.test")).action !=
            am::milter_client::Result::Action::Accept)
          ++bad;
    });
  for (auto& t : senders) t.join();
  EXPECT_EQ(bad, 0);
  // Both recorders flush (bounded poll on the shared store).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  uint64_t total = 0;
  while (total != 20 && std::chrono::steady_clock::now() < deadline) {
    total = 0;
    if (auto s = am::reports::openStore(pg->uri(), &err)) {
      std::vector<am::reports::AggregateRow> rows;
      s->rows(0, INT64_MAX, rows);
      for (auto& r : rows) total += r.count;
    }
    if (total != 20) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(total, 20u) << env.milter->output() << second.milter->output();
  std::string out;
  EXPECT_EQ(report(&out), 0) << out;
  auto d = delivered();
  ASSERT_EQ(d.size(), 1u) << out;
  EXPECT_EQ(d[0].rcpt, "<dmarc@same.e2e.test>");
  EXPECT_EQ(am::reports::test::validate(d[0].xml, am::reports::test::schemaDir() + "/rfc9990.xsd"), "") << d[0].xml;
  EXPECT_EQ(am::reports::test::totalCount(d[0].xml), 20u) << d[0].xml;
  second.stop();
  env.stop();
}

namespace {

using A = am::milter_client::Result::Action;

// Sends `n` messages that p=reject turns away and `n` that pass; every verdict must be the right one
// and come back within `bound` each (the store never holds a verdict up).
void sendUnderFault(Env& env, int n, std::chrono::milliseconds bound) {
  for (int i = 0; i < n; ++i) {
    for (bool good : {true, false}) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = send(env.socket, message("x@same.e2e.test", "a@same.e2e.test", good ? "192.0.2.10" : "198.51.100.9"));
      auto took = std::chrono::steady_clock::now() - t0;
      EXPECT_EQ(r.action, good ? A::Accept : A::ReplyCode) << r.replyText;
      EXPECT_LT(took, bound) << "message " << i;
    }
  }
}

}  // namespace

TEST_F(ReportsE2E, AStoppedPostgresqlChangesNoVerdictAndDropsAreCounted) {
  std::string err;
  auto pg = am::testing::PgServer::start(&err);
  ASSERT_TRUE(pg) << err;
  startSink();
  startMilter(env, pg->uri() + "&connect_timeout=2", "ReportQueueSize 16\n");
  ASSERT_TRUE(pg->pause());  // the server stops answering: the writer blocks, the queue fills
  sendUnderFault(env, 30, std::chrono::seconds(2));
  ASSERT_TRUE(pg->resume());
  EXPECT_TRUE(waitForOutput(*env.milter, "records dropped (totals: queue full ", std::chrono::seconds(30)))
      << env.milter->output();
  env.stop();  // before the server: its shutdown waits for its clients
}

TEST_F(ReportsE2E, ALockedSqliteStoreChangesNoVerdictAndDropsAreCounted) {
  startSink();
  startMilter();
  send(env.socket, message("x@same.e2e.test", "a@same.e2e.test"));
  ASSERT_TRUE(waitForStored(1)) << env.milter->output();
  std::string out;
  // Another process holds the write lock for longer than the busy timeout.
  auto locker = am::milter_process::Process::start(
      "/usr/bin/python3",
      {"-c", "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); "
             "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(600)",
       work + "/reports.db"},
      &out);
  ASSERT_TRUE(locker) << out;
  ASSERT_TRUE(waitForOutput(*locker, "locked")) << locker->output();
  sendUnderFault(env, 10, std::chrono::seconds(2));
  EXPECT_TRUE(waitForOutput(*env.milter, "records dropped (totals: queue full 0, store failed ", std::chrono::seconds(30)))
      << env.milter->output();
  locker->stop(std::chrono::seconds(5));
}

TEST_F(ReportsE2E, AReportRunKilledMidSendIsDeliveredOnceByTheNextRun) {
  startSink({"--hang-first", "1"});
  startMilter();
  send(env.socket, message("x@same.e2e.test", "a@same.e2e.test"));
  ASSERT_TRUE(waitForStored(1)) << env.milter->output();
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t begin = now - now % 3600 - 3600;
  std::string err;
  auto run = am::milter_process::Process::start(AM_AUTHMILTER_BIN,
                                                {"report", "-c", env.configPath, "--begin", std::to_string(begin),
                                                 "--end", std::to_string(begin + 7200)},
                                                &err);
  ASSERT_TRUE(run) << err;
  ASSERT_TRUE(waitForOutput(*sink, "hanging")) << sink->output();
  kill(run->pid(), SIGKILL);  // mid-send: the relay has the data but never answered
  run->wait(std::chrono::seconds(10));
  EXPECT_TRUE(delivered().empty());
  std::string out;
  EXPECT_EQ(report(&out), 0) << out;
  EXPECT_EQ(delivered().size(), 1u) << out;
  EXPECT_EQ(report(&out), 0) << out;
  EXPECT_EQ(delivered().size(), 1u) << out;
}
