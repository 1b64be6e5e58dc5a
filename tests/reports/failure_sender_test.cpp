// tests/reports/failure_sender_test.cpp — the FailureReporter (reports/failure_sender.h) with an
// in-memory resolver, a fixed clock and a scripted send function: the hourly rate limit per report
// domain, external destinations with and without their authorization record and on a temporary
// DNS failure (and the answer cached), "!size", mailto only, FailureReportsBcc, a full queue, and
// a shutdown while a send hangs (bounded, the rest dropped and logged).
#include "reports/failure_sender.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "tests/support/memorydns/memory_resolver.h"

using namespace am;
using namespace am::reports;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kNow = 1795000000;  // a fixed instant

struct Sent {
  std::string to, from, message;
  std::chrono::milliseconds timeout;
};

class FailureSenderTest : public ::testing::Test {
 protected:
  InMemoryResolver dns;
  FixedClock clock{kNow};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Sent> sent;
  std::vector<std::string> lines;
  bool accept = true;
  bool hang = false;        // sends wait until their timeout (or release)
  bool released = false;
  std::atomic<int> sending{0};

  FailureReporter::SendFn sendFn() {
    return [this](const Transport& t, const std::string& to, const std::string& msg) {
      std::unique_lock lk(mu);
      sent.push_back({to, t.from, msg, t.timeout});
      ++sending;
      cv.notify_all();
      SmtpResult r;
      if (hang && !cv.wait_for(lk, t.timeout, [this] { return released; })) {
        r.detail = "timeout";
        return r;
      }
      r.accepted = accept;
      r.detail = accept ? "250 ok" : "550 no";
      return r;
    };
  }
  FailureReporter::LogFn logFn() {
    return [this](FailureReporter::Level, std::string_view l) {
      std::lock_guard lk(mu);
      lines.emplace_back(l);
    };
  }
  std::unique_ptr<FailureReporter> make(FailureReporter::Options o = {}) {
    return std::make_unique<FailureReporter>(sendFn(), dns, clock, o, logFn());
  }

  static FailureJob job(const std::string& domain, std::vector<std::string> ruf, unsigned rate = 10) {
    FailureJob j;
    Record& r = j.input.record;
    r.time = kNow;
    r.reportDomain = domain;
    r.headerFrom = domain;
    r.sourceIp = "198.51.100.7";
    r.dmarcResult = "fail";
    r.disposition = "reject";
    r.dkimAligned = r.spfAligned = "fail";
    r.published.p = "reject";
    r.published.ruf = std::move(ruf);
    j.input.queueId = "QID1";
    j.input.mailFrom = "x@" + domain;
    j.input.rcpts = {"user@mx.test"};
    j.input.authResults = "mx.test; dmarc=fail header.from=" + domain;
    j.input.headers = {{"From", "a@" + domain}, {"To", "user@mx.test"}, {"Subject", "hello"}};
    j.input.deliveryResult = "reject";
    j.settings.sentBy = "failures@mx.test";
    j.settings.reportingMta = "mx.test";
    j.settings.userAgent = "authmilter/test";
    j.ratePerHour = rate;
    return j;
  }
  std::vector<std::string> recipients() {
    std::lock_guard lk(mu);
    std::vector<std::string> v;
    for (auto& s : sent) v.push_back(s.to);
    return v;
  }
  bool logged(const std::string& needle) {
    std::lock_guard lk(mu);
    for (auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  bool waitSending(int n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 10s, [&] { return sending.load() >= n; });
  }
};

TEST_F(FailureSenderTest, SameDomainDestinationGetsTheReport) {
  auto rep = make();
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"})), FailureReporter::Offer::Queued);
  ASSERT_TRUE(rep->drain(10s));
  ASSERT_EQ(recipients(), std::vector<std::string>{"ruf@a.test"});
  EXPECT_EQ(sent[0].from, "failures@mx.test");  // FailureReportsSentBy is the envelope sender
  EXPECT_EQ(sent[0].message, failureMessage(job("a.test", {}).input, job("a.test", {}).settings, "ruf@a.test", kNow));
  EXPECT_EQ(dns.queries(), 0u);  // the same domain needs no authorization
  EXPECT_EQ(rep->stats().sent, 1u);
  EXPECT_TRUE(logged("failure report qid=QID1 domain=a.test to=ruf@a.test sent"));
}

TEST_F(FailureSenderTest, RateLimitPerDomainAndHour) {
  auto rep = make();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 3)), FailureReporter::Offer::Queued);
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 3)), FailureReporter::Offer::RateLimited);
  EXPECT_EQ(rep->offer(job("A.TEST", {"mailto:ruf@a.test"}, 3)), FailureReporter::Offer::RateLimited);
  EXPECT_EQ(rep->offer(job("b.test", {"mailto:ruf@b.test"}, 3)), FailureReporter::Offer::Queued);  // its own count
  clock.set(hourOf(kNow) + 3600);  // the next hour
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 3)), FailureReporter::Offer::Queued);
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients().size(), 5u);
  auto st = rep->stats();
  EXPECT_EQ(st.rateLimited, 2u);
  EXPECT_EQ(st.queued, 5u);
  rep.reset();  // the drops are logged at the latest when the reporter stops
  EXPECT_TRUE(logged("2 over the hourly rate limit of their domain"));
}

TEST_F(FailureSenderTest, ExternalDestinationAuthorizedAndCached) {
  dns.addTxt("a.test._report._dmarc.reports.test", "v=DMARC1");
  auto rep = make();
  rep->offer(job("a.test", {"mailto:ruf@reports.test"}));
  rep->offer(job("a.test", {"mailto:ruf@reports.test"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients(), (std::vector<std::string>{"ruf@reports.test", "ruf@reports.test"}));
  EXPECT_EQ(dns.queries(), 1u);  // the second report used the cached answer
}

TEST_F(FailureSenderTest, ExternalDestinationWithoutAuthorizationGetsNothing) {
  dns.addTxt("other.test._report._dmarc.reports.test", "v=DMARC1");  // another domain's record
  auto rep = make();
  rep->offer(job("a.test", {"mailto:ruf@reports.test", "mailto:ruf@a.test"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients(), std::vector<std::string>{"ruf@a.test"});
  EXPECT_EQ(rep->stats().refused, 1u);
  EXPECT_TRUE(logged("uri=mailto:ruf@reports.test refused: not authorized by a.test._report._dmarc.reports.test"));
}

TEST_F(FailureSenderTest, TemporaryDnsFailureIsNotSentAndNotCached) {
  dns.setStatus("a.test._report._dmarc.reports.test", RrType::TXT, DnsStatus::TempFail);
  auto rep = make();
  rep->offer(job("a.test", {"mailto:ruf@reports.test"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_TRUE(recipients().empty());
  EXPECT_EQ(rep->stats().failed, 1u);
  EXPECT_TRUE(logged("failed: temporary DNS failure"));
  dns.clear();
  dns.addTxt("a.test._report._dmarc.reports.test", "v=DMARC1");
  rep->offer(job("a.test", {"mailto:ruf@reports.test"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients(), std::vector<std::string>{"ruf@reports.test"});  // asked again: not cached
}

TEST_F(FailureSenderTest, SizeLimitAndMailtoOnly) {
  auto rep = make();
  rep->offer(job("a.test", {"mailto:small@a.test!100", "mailto:big@a.test!1m", "https://a.test/ruf"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients(), std::vector<std::string>{"big@a.test"});
  EXPECT_EQ(rep->stats().refused, 2u);
  EXPECT_TRUE(logged("uri=mailto:small@a.test!100 refused: report of "));
  EXPECT_TRUE(logged("over the !size limit of 100"));
  EXPECT_TRUE(logged("uri=https://a.test/ruf refused: not a mailto URI"));
}

TEST_F(FailureSenderTest, OneReportPerAddress) {
  auto rep = make();
  rep->offer(job("a.test", {"mailto:ruf@a.test", "mailto:RUF@a.test!1m"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients(), std::vector<std::string>{"ruf@a.test"});
}

TEST_F(FailureSenderTest, BccGetsACopyWithoutAuthorization) {
  auto rep = make();
  auto j = job("a.test", {"mailto:ruf@reports.test"});  // not authorized: refused
  j.bcc = {"dmarc-copy@ops.test"};
  rep->offer(j);
  auto k = job("a.test", {"mailto:ruf@a.test"});
  k.bcc = {"dmarc-copy@ops.test"};
  rep->offer(k);
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(recipients(), (std::vector<std::string>{"dmarc-copy@ops.test", "ruf@a.test", "dmarc-copy@ops.test"}));
  EXPECT_EQ(dns.queries(), 1u);  // only for reports.test; never for the bcc address
  EXPECT_TRUE(logged("to=dmarc-copy@ops.test (bcc) sent"));
}

TEST_F(FailureSenderTest, TransportFailureIsLoggedAndCounted) {
  accept = false;
  auto rep = make();
  rep->offer(job("a.test", {"mailto:ruf@a.test"}));
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(rep->stats().failed, 1u);
  EXPECT_EQ(rep->stats().sent, 0u);
  EXPECT_TRUE(logged("to=ruf@a.test failed: 550 no"));
}

TEST_F(FailureSenderTest, FullQueueDropsAndCounts) {
  hang = true;
  FailureReporter::Options o;
  o.queueLimit = 2;
  auto rep = make(o);
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 0)), FailureReporter::Offer::Queued);
  ASSERT_TRUE(waitSending(1));  // the sender holds the first one
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 0)), FailureReporter::Offer::Queued);
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 0)), FailureReporter::Offer::Queued);
  EXPECT_EQ(rep->offer(job("a.test", {"mailto:ruf@a.test"}, 0)), FailureReporter::Offer::QueueFull);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // offer never waits for the sender
  EXPECT_EQ(rep->stats().droppedQueueFull, 1u);
  {
    std::lock_guard lk(mu);
    released = true;
  }
  cv.notify_all();
  ASSERT_TRUE(rep->drain(10s));
  EXPECT_EQ(rep->stats().sent, 3u);
  rep.reset();
  EXPECT_TRUE(logged("1 with the queue full"));
}

TEST_F(FailureSenderTest, ShutdownWhileSendingIsBounded) {
  hang = true;  // never released: every send lasts its whole timeout
  FailureReporter::Options o;
  o.sendTimeout = 400ms;
  o.stopTimeout = 300ms;
  auto rep = make(o);
  for (int i = 0; i < 5; ++i) rep->offer(job("a.test", {"mailto:ruf@a.test"}, 0));
  ASSERT_TRUE(waitSending(1));
  auto t0 = std::chrono::steady_clock::now();
  rep.reset();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 2s);  // the send in progress (400 ms) + the stop timeout (300 ms), with room
  std::lock_guard lk(mu);
  ASSERT_GE(sent.size(), 1u);
  EXPECT_LT(sent.size(), 5u);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_LE(sent[i].timeout, 300ms);  // cut to the stop deadline
  bool dropped = false;
  for (auto& l : lines) dropped |= l.find("not sent: the stop timeout ran out") != std::string::npos;
  EXPECT_TRUE(dropped);
}

}  // namespace
