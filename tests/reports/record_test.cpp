// tests/reports/record_test.cpp — the record's aggregation key and its text encodings.
#include <gtest/gtest.h>

#include "reports/record.h"

using namespace am::reports;

TEST(Record, HourIsTheStartOfTheUtcHour) {
  EXPECT_EQ(hourOf(1700000000), 1699999200);
  EXPECT_EQ(hourOf(1699999200), 1699999200);
  EXPECT_EQ(hourOf(1700002799), 1699999200);
  EXPECT_EQ(hourOf(1700002800), 1700002800);
}

TEST(Record, DkimResultsRoundTripAndHostileTextCannotAddAResult) {
  std::vector<DkimAuth> d{{"example.com", "s1", "pass"}, {"other.example", "", "fail"}};
  EXPECT_EQ(encodeDkim(d), "example.com s1 pass;other.example - fail");
  EXPECT_EQ(decodeDkim(encodeDkim(d)), d);
  std::vector<DkimAuth> evil{{"a.example;b.example x pass", "s 1", "fail"}};
  auto back = decodeDkim(encodeDkim(evil));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].result, "fail");
  EXPECT_EQ(back[0].domain, "a.example_b.example_x_pass");
}

TEST(Record, ListsRoundTrip) {
  std::vector<std::string> v{"mailto:a@example.com", "mailto:b@example.net!10m"};
  EXPECT_EQ(decodeList(encodeList(v)), v);
  EXPECT_TRUE(decodeList("").empty());
}

TEST(Record, KeyIgnoresTheTimeWithinAnHourAndThePublishedPolicy) {
  Record a;
  a.time = 1700000000;
  a.reportDomain = "example.com";
  a.sourceIp = "192.0.2.1";
  Record b = a;
  b.time = 1700000000 + 100;
  b.published.p = "reject";
  EXPECT_EQ(keyOf(a), keyOf(b));
  b.time = 1700003600;
  EXPECT_NE(keyOf(a), keyOf(b));
  Record c = a;
  c.dkim.push_back({"example.com", "s", "pass"});
  EXPECT_NE(keyOf(a), keyOf(c));
}
