// tests/reports/recorder_test.cpp — the Recorder against a scripted Store: batches, a full queue
// while the store hangs (offer never waits), store failures dropped, counted and logged once per
// interval, a store that is down at start and comes up, the flush at destruction, and every record
// handed to the store whole, once and in arrival order.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "reports/recorder.h"

using namespace am::reports;
using namespace std::chrono_literals;

namespace {

struct StoreState {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Record> written;
  std::vector<size_t> batches;
  bool fail = false;
  bool hang = false;  // add() waits until hang is cleared
  int opensToFail = 0;
  int opens = 0;
};

class ScriptedStore : public Store {
 public:
  explicit ScriptedStore(std::shared_ptr<StoreState> s) : s_(std::move(s)) {}
  std::string add(const std::vector<Record>& batch) override {
    std::unique_lock lk(s_->mu);
    s_->cv.wait(lk, [&] { return !s_->hang; });
    if (s_->fail) return "disk I/O error";
    s_->written.insert(s_->written.end(), batch.begin(), batch.end());
    s_->batches.push_back(batch.size());
    return "";
  }
  std::string rows(int64_t, int64_t, std::vector<AggregateRow>&) override { return ""; }
  std::string policies(int64_t, int64_t, std::vector<PolicyRow>&) override { return ""; }
  std::string expire(int64_t) override { return ""; }
  std::string deliveries(std::vector<Delivery>&) override { return ""; }
  std::string markDelivery(const Delivery&) override { return ""; }

 private:
  std::shared_ptr<StoreState> s_;
};

struct Logs {
  std::mutex mu;
  std::vector<std::string> lines;
  size_t count(const std::string& part) {
    std::lock_guard lk(mu);
    size_t n = 0;
    for (auto& l : lines) n += l.find(part) != std::string::npos;
    return n;
  }
};

struct RecorderTest : ::testing::Test {
  std::shared_ptr<StoreState> st = std::make_shared<StoreState>();
  Logs logs;
  Recorder::Options opts;

  std::unique_ptr<Recorder> make() {
    auto s = st;
    return std::make_unique<Recorder>(
        [s](std::string* err) -> std::unique_ptr<Store> {
          std::lock_guard lk(s->mu);
          ++s->opens;
          if (s->opensToFail > 0) {
            --s->opensToFail;
            *err = "connection refused";
            return nullptr;
          }
          return std::make_unique<ScriptedStore>(s);
        },
        opts, [this](std::string_view l) { std::lock_guard lk(logs.mu); logs.lines.emplace_back(l); });
  }
  static Record rec(int i) {
    Record r;
    r.time = 1700000000 + i;
    r.reportDomain = "example.com";
    r.sourceIp = "192.0.2." + std::to_string(i % 250);
    return r;
  }
  void setHang(bool h) {
    { std::lock_guard lk(st->mu); st->hang = h; }
    st->cv.notify_all();
  }
};

}  // namespace

TEST_F(RecorderTest, WritesEveryRecordInBoundedBatches) {
  opts.batch = 4;
  auto r = make();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(r->offer(rec(i)));
  ASSERT_TRUE(r->drain(10s));
  auto s = r->stats();
  EXPECT_EQ(s.queued, 10u);
  EXPECT_EQ(s.written, 10u);
  EXPECT_EQ(s.droppedQueueFull + s.droppedStore, 0u);
  std::lock_guard lk(st->mu);
  ASSERT_EQ(st->written.size(), 10u);
  for (size_t n : st->batches) EXPECT_LE(n, 4u);
  EXPECT_EQ(st->written[9].time, rec(9).time);  // in order
  EXPECT_EQ(logs.count("dropped"), 0u);
}

TEST_F(RecorderTest, AFullQueueDropsAndCountsWhileTheStoreHangsAndOfferNeverWaits) {
  opts.queueLimit = 5;
  opts.batch = 2;
  setHang(true);
  auto r = make();
  int accepted = 0;
  for (int i = 0; i < 50; ++i) accepted += r->offer(rec(i));  // returns although add() hangs
  auto s = r->stats();
  EXPECT_LE(accepted, 5 + 2);  // the queue and at most one batch taken by the writer
  EXPECT_GE(accepted, 5);
  EXPECT_EQ(s.droppedQueueFull, static_cast<uint64_t>(50 - accepted));
  setHang(false);
  ASSERT_TRUE(r->drain(10s));
  s = r->stats();
  EXPECT_EQ(s.written, static_cast<uint64_t>(accepted));
  // The writer logs the drops (the first report is not held back by the interval).
  for (int i = 0; i < 500 && logs.count("records dropped") == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(logs.count("records dropped"), 1u);
  EXPECT_EQ(logs.count("queue full " + std::to_string(50 - accepted)), 1u);
}

TEST_F(RecorderTest, StoreFailuresAreDroppedCountedAndLoggedOncePerInterval) {
  opts.retryInterval = 0ms;
  st->fail = true;
  auto r = make();
  for (int i = 0; i < 5; ++i) {
    r->offer(rec(i));
    ASSERT_TRUE(r->drain(10s));
  }
  auto s = r->stats();
  EXPECT_EQ(s.droppedStore, 5u);
  EXPECT_EQ(s.written, 0u);
  EXPECT_EQ(logs.count("records dropped"), 1u);  // logInterval is 60 s
  EXPECT_EQ(logs.count("disk I/O error"), 1u);
  { std::lock_guard lk(st->mu); st->fail = false; }
  r->offer(rec(9));
  ASSERT_TRUE(r->drain(10s));
  EXPECT_EQ(r->stats().written, 1u);
  EXPECT_EQ(logs.count("writing to the report store again"), 1u);
}

TEST_F(RecorderTest, AStoreDownAtStartIsOpenedLater) {
  opts.retryInterval = 0ms;
  st->opensToFail = 2;
  auto r = make();
  r->offer(rec(1));
  ASSERT_TRUE(r->drain(10s));
  r->offer(rec(2));
  ASSERT_TRUE(r->drain(10s));
  r->offer(rec(3));
  ASSERT_TRUE(r->drain(10s));
  auto s = r->stats();
  EXPECT_EQ(s.droppedStore, 2u);
  EXPECT_EQ(s.written, 1u);
  EXPECT_EQ(logs.count("connection refused"), 1u);
}

TEST_F(RecorderTest, DestructionWritesWhatIsQueued) {
  opts.batch = 3;
  auto r = make();
  for (int i = 0; i < 20; ++i) r->offer(rec(i));
  r.reset();
  std::lock_guard lk(st->mu);
  EXPECT_EQ(st->written.size(), 20u);
}

TEST_F(RecorderTest, RecordsArrivingTogetherAreOneTransactionWrittenWithinTheFlushInterval) {
  opts.flushInterval = 200ms;
  auto r = make();
  for (int i = 0; i < 50; ++i) r->offer(rec(i));
  for (int i = 0; i < 1000 && r->stats().written < 50; ++i) std::this_thread::sleep_for(10ms);  // no drain()
  EXPECT_EQ(r->stats().written, 50u);
  std::lock_guard lk(st->mu);
  EXPECT_EQ(st->batches.size(), 1u);
}

TEST_F(RecorderTest, EveryRecordReachesTheStoreWholeOnceAndInArrivalOrder) {
  opts.batch = 7;
  auto r = make();
  for (int i = 0; i < 40; ++i) {
    Record x = rec(i);
    x.headerFrom = "sender-" + std::to_string(i) + ".example.org";  // longer than a short-string buffer
    x.published.rua = {"mailto:dmarc-" + std::to_string(i) + "@example.org"};
    x.dkim = {{"example.org", "s" + std::to_string(i), "pass"}};
    EXPECT_TRUE(r->offer(std::move(x)));
  }
  ASSERT_TRUE(r->drain(10s));
  std::lock_guard lk(st->mu);
  ASSERT_EQ(st->written.size(), 40u);
  size_t sum = 0;
  for (size_t n : st->batches) {
    EXPECT_LE(n, 7u);
    sum += n;
  }
  EXPECT_EQ(sum, 40u);
  for (int i = 0; i < 40; ++i) {
    const Record& w = st->written[i];
    EXPECT_EQ(w.time, rec(i).time);
    EXPECT_EQ(w.sourceIp, rec(i).sourceIp);
    EXPECT_EQ(w.headerFrom, "sender-" + std::to_string(i) + ".example.org");
    EXPECT_EQ(w.published.rua, std::vector<std::string>{"mailto:dmarc-" + std::to_string(i) + "@example.org"});
    ASSERT_EQ(w.dkim.size(), 1u);
    EXPECT_EQ(w.dkim[0].selector, "s" + std::to_string(i));
  }
}
