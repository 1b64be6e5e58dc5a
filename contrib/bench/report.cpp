// contrib/bench/report.cpp — see report.h.
#include "contrib/bench/report.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace am::bench {

LevelFigures figuresOf(const std::string& target, int concurrency, const RunResult& r, double cpuSeconds,
                       long peakRssKb) {
  LevelFigures f;
  f.target = target;
  f.concurrency = concurrency;
  f.messages = r.verdicts.size();
  f.msgsPerSec = r.wallSeconds > 0 ? double(f.messages) / r.wallSeconds : 0;
  f.p50 = percentileMs(r.verdicts, 50);
  f.p99 = percentileMs(r.verdicts, 99);
  f.cpuPer1000 = f.messages ? cpuSeconds * 1000.0 / double(f.messages) : 0;
  f.peakRssKb = peakRssKb;
  return f;
}

void printCorpusSummary(const Corpus& c) {
  std::map<std::string, size_t> byClass;
  std::vector<size_t> sizes;
  for (auto& m : c.messages) byClass[m.label.klass]++, sizes.push_back(m.bytes);
  std::sort(sizes.begin(), sizes.end());
  auto q = [&](double p) { return sizes.empty() ? 0 : sizes[std::min(sizes.size() - 1, size_t(p * sizes.size()))]; };
  std::printf("corpus: %zu messages, %.1f MB; size min %zu, p50 %zu, p90 %zu, p99 %zu, max %zu bytes\n",
              c.messages.size(), double(c.totalBytes) / 1e6, q(0), q(0.5), q(0.9), q(0.99), q(1.0));
  std::printf("classes:");
  for (auto& [k, n] : byClass) std::printf(" %s=%zu", k.c_str(), n);
  std::printf("\n");
}

void printAbSummary(const std::vector<LevelFigures>& rows, const std::string& a, const std::string& b) {
  auto stat = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    double med = v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.3f (%.3f-%.3f)", med, v.empty() ? 0 : v.front(), v.empty() ? 0 : v.back());
    return std::make_pair(med, std::string(buf));
  };
  std::map<int, std::vector<const LevelFigures*>> byLevel;
  for (auto& r : rows) byLevel[r.concurrency].push_back(&r);
  std::printf("\nmedian (min-max) over the rounds, %s vs %s:\n", a.c_str(), b.c_str());
  std::printf("| level | side | runs | CPU s / 1000 msgs | msgs/s | p50 ms | p99 ms |\n|---|---|---:|---:|---:|---:|---:|\n");
  for (auto& [c, rs] : byLevel) {
    std::vector<double> cpuA, cpuB;
    for (const std::string* side : {&a, &b}) {
      std::vector<double> cpu, rate, p50, p99;
      for (auto* r : rs)
        if (r->target == *side) cpu.push_back(r->cpuPer1000), rate.push_back(r->msgsPerSec), p50.push_back(r->p50), p99.push_back(r->p99);
      (side == &a ? cpuA : cpuB) = cpu;
      auto rt = stat(rate);
      std::printf("| c=%d | %s | %zu | %s | %.0f | %s | %s |\n", c, side->c_str(), cpu.size(), stat(cpu).second.c_str(),
                  rt.first, stat(p50).second.c_str(), stat(p99).second.c_str());
    }
    size_t above = 0, pairs = std::min(cpuA.size(), cpuB.size());
    for (size_t i = 0; i < pairs; ++i) above += cpuB[i] > cpuA[i];
    double ma = stat(cpuA).first, mb = stat(cpuB).first;
    std::printf("c=%d: median CPU %s - %s = %+.3f s / 1000 msgs (%+.1f%%); %s above %s in %zu of %zu rounds\n", c,
                b.c_str(), a.c_str(), mb - ma, ma > 0 ? 100 * (mb - ma) / ma : 0.0, b.c_str(), a.c_str(), above, pairs);
  }
}

void printTable(const std::vector<LevelFigures>& rows) {
  std::printf("\n| target | concurrency | msgs/s | p50 ms | p99 ms | CPU s / 1000 msgs | peak RSS MB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (auto& r : rows)
    std::printf("| %s | %d | %.0f | %.2f | %.2f | %.3f | %.1f |\n", r.target.c_str(), r.concurrency, r.msgsPerSec,
                r.p50, r.p99, r.cpuPer1000, double(r.peakRssKb) / 1024.0);
}

void printRatios(const std::vector<LevelFigures>& rows, const std::string& ours, const std::string& theirs) {
  std::printf("\nratio %s / %s (msgs/s: higher is better; the others: lower is better)\n", ours.c_str(),
              theirs.c_str());
  std::printf("| concurrency | msgs/s | p50 | p99 | CPU / msg | peak RSS |\n|---:|---:|---:|---:|---:|---:|\n");
  for (auto& a : rows) {
    if (a.target != ours) continue;
    for (auto& b : rows) {
      if (b.target != theirs || b.concurrency != a.concurrency) continue;
      auto r = [](double x, double y) { return y > 0 ? x / y : 0.0; };
      std::printf("| %d | %.2fx | %.3f | %.3f | %.3f | %.3f |\n", a.concurrency, r(a.msgsPerSec, b.msgsPerSec),
                  r(a.p50, b.p50), r(a.p99, b.p99), r(a.cpuPer1000, b.cpuPer1000),
                  r(double(a.peakRssKb), double(b.peakRssKb)));
    }
  }
}

void printFloor(const FloorResult& f, const FloorInput& in, const std::vector<double>& samples,
                const std::vector<LevelFigures>& rows) {
  double per1000 = floorPer1000(f, in);
  std::printf("\ncrypto floor (OpenSSL in-process, one thread): %.3f s CPU for %zu messages = %.3f s / 1000 msgs "
              "(%zu RSA-2048 + %zu Ed25519 verifies, %.1f MB SHA-256 of canonical bodies)%s%s\n",
              f.cpuSeconds, in.corpusMessages, per1000, f.rsaVerifies, f.edVerifies, double(f.hashedBytes) / 1e6,
              f.error.empty() ? "" : " ERROR: ", f.error.c_str());
  if (samples.size() > 1) {
    auto [lo, hi] = std::minmax_element(samples.begin(), samples.end());
    std::printf("  measured %zu times during the run (before and after each authmilter level): %.3f-%.3f s / 1000 msgs\n",
                samples.size(), *lo, *hi);
  }
  for (auto& r : rows) {
    if (r.target.rfind("authmilter", 0) != 0) continue;
    double floor = r.floorPer1000 > 0 ? r.floorPer1000 : per1000;
    if (floor > 0)
      std::printf("  %s c=%d: CPU per message = %.2fx the floor (%.3f s / 1000 msgs, measured beside it)\n",
                  r.target.c_str(), r.concurrency, r.cpuPer1000 / floor, floor);
  }
}

size_t checkLabels(const std::string& target, int concurrency, const Corpus& c, const RunResult& r) {
  size_t bad = 0;
  for (size_t i = 0; i < r.verdicts.size(); ++i) {
    std::string d = compareToLabel(r.verdicts[i], c.messages[i].label);
    if (d.empty()) continue;
    if (++bad <= 10)
      std::printf("MISMATCH %s c=%d message %zu (%s): %s| AR: %s\n", target.c_str(), concurrency, i,
                  c.messages[i].label.klass.c_str(), d.c_str(), r.verdicts[i].ar.c_str());
  }
  return bad;
}

size_t printChainDisagreements(const Corpus& c, const RunResult& chain, const RunResult& ours) {
  std::map<std::string, size_t> groups;
  std::map<std::string, std::string> example;
  size_t bad = 0, agree = 0, errors = 0;
  for (size_t i = 0; i < chain.verdicts.size(); ++i) {
    auto& a = chain.verdicts[i];
    auto& b = ours.verdicts[i];
    if (a.ok && b.ok && a.action == b.action && a.dmarc == b.dmarc && a.spf == b.spf && a.dkimPass == b.dkimPass)
      ++agree;
    std::string d = compareToLabel(a, c.messages[i].label);
    if (!a.ok) ++errors;
    if (d.empty()) continue;
    ++bad;
    std::string key = c.messages[i].label.klass + ": " + d;
    if (groups[key]++ == 0) example[key] = a.ar;
  }
  std::printf("\nverdicts: authmilter and the chain agree on %zu of %zu messages (action, dmarc, spf, dkim passes)\n",
              agree, chain.verdicts.size());
  std::printf("chain differs from the corpus labels on %zu messages:\n", bad);
  for (auto& [k, n] : groups) std::printf("  %zu x %s\n     e.g. AR: %s\n", n, k.c_str(), example[k].c_str());
  if (errors) std::printf("ERROR: the chain failed to answer %zu messages\n", errors);
  return errors;
}

}  // namespace am::bench
