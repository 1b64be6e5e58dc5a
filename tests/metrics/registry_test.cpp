// tests/metrics/registry_test.cpp — the registry: exact text-format output, histogram buckets,
// get-or-create, escaping, hidden zero series, values read from functions, exact counts under
// concurrent updates.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "filter/metrics/registry.h"

using namespace am::metrics;
using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(Registry, RendersEveryKindInTheTextFormat) {
  Registry r;
  r.counter("x_requests_total", "Requests", {{"kind", "a"}}).inc(3);
  r.counter("x_requests_total", "Requests", {{"kind", "b"}}).inc();
  r.gauge("x_open", "Open things").add(5);
  r.gauge("x_open", "Open things").sub(2);
  auto& h = r.histogram("x_duration_seconds", "Durations", {0.001, 0.01});
  h.observe(microseconds(500));
  h.observe(milliseconds(5));
  h.observe(milliseconds(50));
  EXPECT_EQ(r.render(),
            "# HELP x_requests_total Requests\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{kind=\"a\"} 3\n"
            "x_requests_total{kind=\"b\"} 1\n"
            "# HELP x_open Open things\n"
            "# TYPE x_open gauge\n"
            "x_open 3\n"
            "# HELP x_duration_seconds Durations\n"
            "# TYPE x_duration_seconds histogram\n"
            "x_duration_seconds_bucket{le=\"0.001\"} 1\n"
            "x_duration_seconds_bucket{le=\"0.01\"} 2\n"
            "x_duration_seconds_bucket{le=\"+Inf\"} 3\n"
            "x_duration_seconds_sum 0.0555\n"
            "x_duration_seconds_count 3\n");
}

TEST(Registry, HistogramBoundsAreInclusiveAndLabelsKept) {
  Registry r;
  auto& h = r.histogram("h_seconds", "H", {0.001, 1}, {{"op", "x"}});
  h.observe(milliseconds(1));          // exactly on the bound: in le="0.001"
  h.observe(std::chrono::nanoseconds(1'000'001));
  h.observe(std::chrono::nanoseconds(-5));  // a clock step backwards counts as 0
  auto rd = h.read();
  ASSERT_EQ(rd.cumulative.size(), 3u);
  EXPECT_EQ(rd.cumulative[0], 2u);
  EXPECT_EQ(rd.cumulative[1], 3u);
  EXPECT_EQ(rd.count, 3u);
  std::string text = r.render();
  EXPECT_NE(text.find("h_seconds_bucket{op=\"x\",le=\"0.001\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count{op=\"x\"} 3\n"), std::string::npos) << text;
}

TEST(Registry, SameNameAndLabelsGiveTheSameInstrument) {
  Registry r;
  Counter& a = r.counter("c_total", "C", {{"k", "v"}});
  Counter& b = r.counter("c_total", "C", {{"k", "v"}});
  Counter& other = r.counter("c_total", "C", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  // One HELP/TYPE per family however many series.
  std::string text = r.render();
  EXPECT_EQ(text.find("# TYPE c_total"), text.rfind("# TYPE c_total"));
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escapeHelp("two\nlines \\ \"q\""), "two\\nlines \\\\ \"q\"");
  Registry r;
  r.counter("e_total", "line\nbreak", {{"v", "q\"uote"}}).inc();
  EXPECT_EQ(r.render(), "# HELP e_total line\\nbreak\n# TYPE e_total counter\ne_total{v=\"q\\\"uote\"} 1\n");
}

TEST(Registry, HiddenZeroSeriesAppearOnceCounted) {
  Registry r;
  for (int code : {450, 550}) r.counter("codes_total", "Codes", {{"code", std::to_string(code)}});
  r.hideZeroSeries("codes_total");
  EXPECT_EQ(r.render(), "# HELP codes_total Codes\n# TYPE codes_total counter\n");
  r.counter("codes_total", "Codes", {{"code", "550"}}).inc(2);
  EXPECT_EQ(r.render(), "# HELP codes_total Codes\n# TYPE codes_total counter\ncodes_total{code=\"550\"} 2\n");
}

TEST(Registry, FunctionSeriesAreReadAtRenderTime) {
  Registry r;
  uint64_t n = 1;
  double g = 0.5;
  r.counterFrom("f_total", "F", {}, [&] { return n; });
  r.gaugeFrom("g_now", "G", {{"a", "b"}}, [&] { return g; });
  EXPECT_NE(r.render().find("f_total 1\n"), std::string::npos);
  n = 41;
  g = 7;
  std::string text = r.render();
  EXPECT_NE(text.find("f_total 41\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g_now{a=\"b\"} 7\n"), std::string::npos) << text;
  // A second registration (a new component instance) replaces the reader.
  r.counterFrom("f_total", "F", {}, [] { return uint64_t{9}; });
  EXPECT_NE(r.render().find("f_total 9\n"), std::string::npos);
}

TEST(Registry, FormatsValues) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(12), "12");
  EXPECT_EQ(formatValue(-3), "-3");
  EXPECT_EQ(formatValue(0.0025), "0.0025");
  EXPECT_EQ(formatValue(2.5), "2.5");
  EXPECT_EQ(formatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(formatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(formatValue(0.0 / 0.0), "NaN");
}

TEST(Registry, ConcurrentUpdatesAreCountedExactly) {
  Registry r;
  Counter& c = r.counter("n_total", "N");
  Gauge& g = r.gauge("n_open", "N");
  Histogram& h = r.histogram("n_seconds", "N", messageLatencyBounds());
  constexpr int kThreads = 4, kEach = 50000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        c.inc();
        g.add();
        g.sub();
        h.observe(milliseconds(t));
      }
    });
  std::string midway = r.render();  // rendering while counting is safe
  for (auto& t : ts) t.join();
  EXPECT_FALSE(midway.empty());
  EXPECT_EQ(c.value(), uint64_t{kThreads} * kEach);
  EXPECT_EQ(g.value(), 0);
  auto rd = h.read();
  EXPECT_EQ(rd.count, uint64_t{kThreads} * kEach);
  EXPECT_NEAR(rd.sumSeconds, kEach * (0 + 0.001 + 0.002 + 0.003), 1e-6);
}

TEST(Registry, BucketBoundsOfTheFilterAreAscending) {
  for (auto bounds : {messageLatencyBounds(), dnsLatencyBounds()}) {
    ASSERT_FALSE(bounds.empty());
    for (size_t i = 1; i < bounds.size(); ++i) EXPECT_LT(bounds[i - 1], bounds[i]);
    Histogram h(bounds);  // the constructor aborts on bad bounds
    EXPECT_EQ(h.read().cumulative.size(), bounds.size() + 1);
  }
}
