// tests/dns/inflight_test.cpp — InFlight (filter/dns/inflight.h): one leader per key, waiters
// get the leader's answer, a waiter gives up at its own deadline, an unfinished leader
// publishes its fallback.
#include <gtest/gtest.h>

#include <thread>

#include "filter/dns/inflight.h"

namespace am::dns {
namespace {

using Clk = std::chrono::steady_clock;

TxtAnswer txt(DnsStatus st, std::string rec = {}) {
  TxtAnswer a;
  a.status = st;
  if (!rec.empty()) a.records.push_back(std::move(rec));
  return a;
}

TEST(InFlight, FirstLeadsOthersWaitForItsAnswer) {
  InFlight table;
  std::unique_ptr<InFlight::Lead> lead, second;
  EXPECT_EQ(table.join("16/e.org", txt(DnsStatus::TempFail), lead), nullptr);
  ASSERT_TRUE(lead);
  auto flight = table.join("16/e.org", txt(DnsStatus::TempFail), second);
  ASSERT_TRUE(flight);
  EXPECT_FALSE(second);
  std::unique_ptr<InFlight::Lead> other;
  EXPECT_EQ(table.join("1/e.org", txt(DnsStatus::TempFail), other), nullptr);  // another key
  EXPECT_EQ(table.size(), 2u);

  std::thread waiter([&] {
    CachedAnswer got;
    ASSERT_TRUE(InFlight::wait(*flight, Clk::now() + std::chrono::seconds(30), got));
    EXPECT_EQ(std::get<TxtAnswer>(got).records, std::vector<std::string>{"v=spf1 -all"});
  });
  lead->finish(txt(DnsStatus::Ok, "v=spf1 -all"));
  waiter.join();
  EXPECT_EQ(table.size(), 1u);  // only the other key's flight is left
  CachedAnswer again;           // a late waiter still reads the answer
  EXPECT_TRUE(InFlight::wait(*flight, Clk::now(), again));
}

TEST(InFlight, WaiterGivesUpAtItsOwnDeadline) {
  InFlight table;
  std::unique_ptr<InFlight::Lead> lead, none;
  table.join("16/slow.org", txt(DnsStatus::TempFail), lead);
  auto flight = table.join("16/slow.org", txt(DnsStatus::TempFail), none);
  ASSERT_TRUE(flight);
  CachedAnswer got;
  EXPECT_FALSE(InFlight::wait(*flight, Clk::now() + std::chrono::milliseconds(20), got));
}

TEST(InFlight, UnfinishedLeaderPublishesItsFallback) {
  InFlight table;
  std::shared_ptr<InFlight::Flight> flight;
  {
    std::unique_ptr<InFlight::Lead> lead, none;
    table.join("16/e.org", txt(DnsStatus::TempFail), lead);
    flight = table.join("16/e.org", txt(DnsStatus::TempFail), none);
  }  // the leader unwinds without finishing
  ASSERT_TRUE(flight);
  CachedAnswer got;
  ASSERT_TRUE(InFlight::wait(*flight, Clk::now(), got));
  EXPECT_EQ(std::get<TxtAnswer>(got).status, DnsStatus::TempFail);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace am::dns
