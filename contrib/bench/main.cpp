// contrib/bench/main.cpp — `am-bench`: the authmilter benchmark (issue #7).
//
//   am-bench [--authmilter PATH] [--messages N] [--levels 1,4,16,64] [--seed S] [--max-size BYTES]
//            [--no-chain] [--no-tcp] [--baseline] [--keep-dir] [--wrap "valgrind --tool=callgrind ..."]
//            [--config-extra FILE]
//
// --metrics-ab ROUNDS replaces the targets by alternating runs of authmilter on a unix socket with
// metrics off and with `MetricsListen 127.0.0.1:0` (off, on, off, on, ...; a fresh daemon each), at
// every level; after each "on" level it reads /metrics with curl and checks that the messages
// counted equal the messages sent. Prints each run and the median and range of each side.
// --scrape-ms N (with --metrics-ab): while an "on" daemon runs, read /metrics every N ms.
//
// --config-extra appends FILE to authmilter's configuration (e.g. `ReportStore sqlite:/tmp/r.db` to
// measure what DMARC report recording costs).
// --baseline adds a target "authmilter-libs": authmilter with `MilterServer libmilter` and
// `DKIMVerifier libopendkim` (the engines before the optimisations), so before/after is one run.
//
// Builds the deterministic corpus, measures the crypto floor, starts nsd on 127.0.0.1:53, then
// for each target (authmilter on a unix socket, authmilter on TCP, OpenDKIM+OpenDMARC chain) starts
// the daemon(s), warms them up, runs every concurrency level and stops them by PID. Prints the
// figures table, the ratios authmilter/chain, the floor and the verdict checks. Exit status 1 when
// any authmilter verdict differs from the corpus labels or a milter errors (chain disagreements
// with the labels are reported, not fatal: they are the comparison), 2 on usage or start-up errors.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "contrib/bench/corpus.h"
#include "contrib/bench/daemons.h"
#include "contrib/bench/dns53.h"
#include "contrib/bench/floor.h"
#include "contrib/bench/load.h"
#include "contrib/bench/report.h"

namespace {

using namespace am::bench;

struct Options {
  std::string authmilter = AM_AUTHMILTER_BIN;
  std::string ubShim = AM_BENCH_UBSHIM;
  size_t messages = 2000;
  std::vector<int> levels = {1, 4, 16, 64};
  uint64_t seed = 20261123;
  size_t maxSize = 1 << 20;
  bool chain = true, tcp = true, keepDir = false;
  bool baseline = false;  // also run authmilter with libmilter + libopendkim (the pre-#7 engines)
  int metricsAb = 0;      // rounds of metrics off/on (see the file header)
  int scrapeMs = 0;       // --metrics-ab: read /metrics this often during "on" runs (0: only after each level)
  std::vector<std::string> wrap;  // --wrap "valgrind --tool=callgrind": run authmilter under it
  std::string extraConfig;        // --config-extra FILE: appended to authmilter's configuration (e.g. ReportStore)
};

bool parseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--no-chain") o.chain = false;
    else if (a == "--no-tcp") o.tcp = false;
    else if (a == "--keep-dir") o.keepDir = true;
    else if (a == "--baseline") o.baseline = true;
    else if (a == "--authmilter" && (v = next())) o.authmilter = v;
    else if (a == "--unbound-shim" && (v = next())) o.ubShim = v;
    else if (a == "--wrap" && (v = next())) {
      std::istringstream words(v);
      for (std::string w; words >> w;) o.wrap.push_back(w);
    }
    else if (a == "--metrics-ab" && (v = next())) o.metricsAb = std::atoi(v);
    else if (a == "--scrape-ms" && (v = next())) o.scrapeMs = std::atoi(v);
    else if (a == "--config-extra" && (v = next())) {
      std::ifstream in(v);
      if (!in) return false;
      o.extraConfig.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    else if (a == "--messages" && (v = next())) o.messages = std::strtoul(v, nullptr, 10);
    else if (a == "--seed" && (v = next())) o.seed = std::strtoull(v, nullptr, 10);
    else if (a == "--max-size" && (v = next())) o.maxSize = std::strtoul(v, nullptr, 10);
    else if (a == "--levels" && (v = next())) {
      o.levels.clear();
      for (char* s = const_cast<char*>(v); *s;) {
        o.levels.push_back(int(std::strtol(s, &s, 10)));
        if (*s == ',') ++s;
        else if (*s) return false;
      }
    } else return false;
  }
  return o.messages > 0 && o.maxSize >= 4096 && !o.levels.empty();
}

// A corpus restricted to messages whose size is in [lo, hi).
Corpus subset(const Corpus& c, size_t lo, size_t hi) {
  Corpus s;
  for (auto& m : c.messages)
    if (m.bytes >= lo && m.bytes < hi) s.messages.push_back(m), s.totalBytes += m.bytes;
  return s;
}

struct Bench {
  Options opt;
  Corpus corpus;
  std::vector<LevelFigures> rows;
  FloorInput floorIn;
  std::vector<double> floorSamples;  // s / 1000 msgs, every measurement
  size_t mismatches = 0;
  RunResult oursLast, chainLast;

  double floorNow() {
    double f = floorPer1000(measureFloor(floorIn), floorIn);
    floorSamples.push_back(f);
    return f;
  }

  // Runs all levels against daemons; `check` says whether label mismatches are fatal (ours) and
  // whether to measure the crypto floor right before and after each level. `afterLevel` (may be
  // empty) runs after each level with the messages sent to the daemons so far.
  void runLevels(const std::string& name, const Target& t, const std::vector<pid_t>& pids, bool check,
                 const std::function<void(size_t)>& afterLevel = {}) {
    size_t sent = 0;
    Corpus warm = subset(corpus, 0, 16384);
    if (warm.messages.size() > 100) warm.messages.resize(100);
    runLoad(warm, t, 4);
    sent += warm.messages.size();
    for (int c : opt.levels) {
      double user0 = 0, sys0 = 0, user1 = 0, sys1 = 0;
      long peak = 0;
      double floorBefore = check ? floorNow() : 0;
      for (pid_t p : pids) {
        resetPeakRss(p);
        auto [u, s] = userSystemSeconds(p);
        user0 += u, sys0 += s;
      }
      RunResult r = runLoad(corpus, t, c);
      sent += corpus.messages.size();
      for (pid_t p : pids) {
        auto [u, s] = userSystemSeconds(p);
        user1 += u, sys1 += s, peak += peakRssKb(p);
      }
      double cpu0 = user0 + sys0, cpu1 = user1 + sys1;
      rows.push_back(figuresOf(name, c, r, cpu1 - cpu0, peak));
      auto& f = rows.back();
      if (check) f.floorPer1000 = (floorBefore + floorNow()) / 2;
      std::printf("%-16s c=%-3d %7.0f msgs/s  p50 %7.2f ms  p99 %8.2f ms  CPU %.3f s/1000 (user %.0f%%)  RSS %.1f MB",
                  name.c_str(), c, f.msgsPerSec, f.p50, f.p99, f.cpuPer1000,
                  cpu1 > cpu0 ? 100.0 * (user1 - user0) / (cpu1 - cpu0) : 0.0, double(f.peakRssKb) / 1024.0);
      if (check) std::printf("  floor %.3f (%.2fx)", f.floorPer1000, f.cpuPer1000 / f.floorPer1000);
      std::printf("\n");
      std::fflush(stdout);
      if (check) mismatches += checkLabels(name, c, corpus, r);
      (check ? oursLast : chainLast) = std::move(r);
      if (afterLevel) afterLevel(sent);
    }
  }

  // Peak RSS of authmilter for small-only and large-only messages (memory must not grow with size).
  void rssBySize(const Target& t, pid_t pid) {
    std::printf("\nauthmilter peak RSS by message size (concurrency 16):\n");
    for (auto [lo, hi, label] : {std::tuple<size_t, size_t, const char*>{0, 8192, "< 8 KB"},
                                 {262144, SIZE_MAX, ">= 256 KB"}}) {
      Corpus s = subset(corpus, lo, hi);
      if (s.messages.empty()) continue;
      resetPeakRss(pid);
      RunResult r = runLoad(s, t, 16);
      mismatches += checkLabels(std::string("rss ") + label, 16, s, r);
      std::printf("  %-10s %5zu messages, %.1f MB: peak RSS %.1f MB\n", label, s.messages.size(),
                  double(s.totalBytes) / 1e6, double(peakRssKb(pid)) / 1024.0);
    }
  }
};

// The sum of authmilter_messages_total read from the daemon's /metrics (-1 when unreadable).
double messagesCounted(const Daemon& d) {
  const std::string marker = "metrics on http://127.0.0.1:";
  std::string out = d.proc->output();
  size_t at = out.find(marker);
  if (at == std::string::npos) return -1;
  at += marker.size();
  std::string cmd = "curl -s --max-time 10 http://127.0.0.1:" + out.substr(at, out.find('/', at) - at) + "/metrics";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  double sum = 0;
  char line[512];
  bool any = false;
  while (std::fgets(line, sizeof line, p))
    if (std::strncmp(line, "authmilter_messages_total{", 26) == 0)
      if (const char* sp = std::strrchr(line, ' ')) sum += std::atof(sp + 1), any = true;
  return pclose(p) == 0 && any ? sum : -1;
}

bool checkAlive(const Daemon& d);

// --metrics-ab: alternating rounds of authmilter-unix with metrics off and on.
void metricsAb(Bench& b, const std::string& dir, std::string& err) {
  for (int round = 0; round < b.opt.metricsAb; ++round) {
    for (bool on : {false, true}) {
      auto am = startAuthmilter(b.opt.authmilter, b.opt.wrap, dir, "unix:" + dir + "/am.sock", &err,
                                on ? "MetricsListen 127.0.0.1:0\n" : "");
      if (!am) {
        std::printf("ERROR: %s\n", err.c_str());
        ++b.mismatches;
        return;
      }
      std::atomic<bool> stop{false};
      std::atomic<int> scrapes{0};
      std::thread scraper;
      if (on && b.opt.scrapeMs > 0)
        scraper = std::thread([&] {
          while (!stop) {
            if (messagesCounted(*am) >= 0) ++scrapes;
            std::this_thread::sleep_for(std::chrono::milliseconds(b.opt.scrapeMs));
          }
        });
      std::function<void(size_t)> check;
      if (on)
        check = [&](size_t sent) {
          double counted = messagesCounted(*am);
          std::printf("  /metrics: authmilter_messages_total sums to %.0f, %zu messages sent\n", counted, sent);
          if (counted != double(sent)) ++b.mismatches;
        };
      b.runLevels(on ? "am-metrics-on" : "am-metrics-off", {{am->socket}}, {am->proc->pid()}, true, check);
      stop = true;
      if (scraper.joinable()) {
        scraper.join();
        std::printf("  /metrics read %d times during the run\n", scrapes.load());
      }
      if (!checkAlive(*am)) ++b.mismatches;
    }
  }
}

// A daemon that died during its run is a failure; say how, with the tail of its output.
bool checkAlive(const Daemon& d) {
  if (d.proc->running()) return true;
  std::string out = d.proc->output();
  if (out.size() > 2000) out = out.substr(out.size() - 2000);
  std::printf("ERROR: %s exited (%s) during the run; its output:\n%s\n", d.name.c_str(),
              d.proc->exitStatus() ? d.proc->exitStatus()->str().c_str() : "?", out.c_str());
  return false;
}

// With --config-extra (a ReportStore): stops the daemon (its recorder writes what is queued) and
// prints the recorder's drop lines from its log ("reports: N records dropped (totals: ...)"), so
// that a store that did not keep up is seen, not mistaken for a cheap one.
void printReportDrops(const Daemon& d) {
  d.proc->stop();
  std::istringstream out(d.proc->output());
  size_t n = 0;
  for (std::string line; std::getline(out, line);)
    if (line.find("records dropped") != std::string::npos) std::printf("report recorder: %s\n", line.c_str()), ++n;
  if (n == 0) std::printf("report recorder: no records dropped\n");
}

int run(Options opt) {
  char tmpl[] = "/tmp/am-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return std::perror("mkdtemp"), 2;
  std::string dir = tmpl, err;
  struct Cleanup {
    std::string dir;
    bool keep;
    ~Cleanup() {
      if (!keep) std::system(("rm -rf '" + dir + "'").c_str());
    }
  } cleanup{dir, opt.keepDir};
  Bench b;
  b.opt = opt;
  auto corpus = Corpus::build(dir, opt.messages, opt.seed, opt.maxSize, &err);
  if (!corpus) return std::fprintf(stderr, "corpus: %s\n", err.c_str()), 2;
  b.corpus = std::move(*corpus);
  printCorpusSummary(b.corpus);
  b.floorIn = prepareFloor(b.corpus);
  FloorResult floor = measureFloor(b.floorIn);
  b.floorSamples.push_back(floorPer1000(floor, b.floorIn));
  auto dns = Dns53::start(dir, b.corpus.zones, &err);
  if (!dns) return std::fprintf(stderr, "dns: %s\n", err.c_str()), 2;
  bool chainRan = false;
  if (opt.metricsAb > 0) {
    metricsAb(b, dir, err);
    dns->stop();
    printTable(b.rows);
    printAbSummary(b.rows, "am-metrics-off", "am-metrics-on");
    printFloor(floor, b.floorIn, b.floorSamples, b.rows);
    std::printf(b.mismatches ? "\nFAILED: a verdict differed from its label, a count was wrong or a daemon died\n"
                             : "\nall authmilter verdicts match the corpus labels; every count matched\n");
    return b.mismatches ? 1 : 0;
  }
  {
    auto am = startAuthmilter(opt.authmilter, opt.wrap, dir, "unix:" + dir + "/am.sock", &err, opt.extraConfig);
    if (!am) return std::fprintf(stderr, "%s\n", err.c_str()), 2;
    b.runLevels("authmilter-unix", {{am->socket}}, {am->proc->pid()}, true);
    b.rssBySize({{am->socket}}, am->proc->pid());
    if (!checkAlive(*am)) ++b.mismatches;
    // The same messages in every run (warm-up, the levels, the RSS runs): a second, larger sample for A/B.
    auto [u, s] = userSystemSeconds(am->proc->pid());
    std::printf("authmilter-unix whole run: CPU %.2f s (user %.2f, system %.2f)\n", u + s, u, s);
    if (!opt.extraConfig.empty()) printReportDrops(*am);
  }
  if (opt.tcp) {
    auto am = startAuthmilter(opt.authmilter, opt.wrap, dir, "inet:" + std::to_string(freeTcpPort()) + "@127.0.0.1", &err,
                              opt.extraConfig);
    if (!am) return std::fprintf(stderr, "%s\n", err.c_str()), 2;
    b.runLevels("authmilter-tcp", {{am->socket}}, {am->proc->pid()}, true);
    if (!checkAlive(*am)) ++b.mismatches;
  }
  if (opt.baseline) {
    auto am = startAuthmilter(opt.authmilter, opt.wrap, dir, "unix:" + dir + "/am-base.sock", &err,
                              "MilterServer libmilter\nDKIMVerifier libopendkim\n");
    if (!am) return std::fprintf(stderr, "%s\n", err.c_str()), 2;
    b.runLevels("authmilter-libs", {{am->socket}}, {am->proc->pid()}, true);
    if (!checkAlive(*am)) ++b.mismatches;
  }
  if (opt.chain) {
    auto dkim = startOpendkim(dir, opt.ubShim, &err);
    auto dmarc = dkim ? startOpendmarc(dir, &err) : nullptr;
    if (!dkim || !dmarc) return std::fprintf(stderr, "%s\n", err.c_str()), 2;
    b.runLevels("chain", {{dkim->socket, dmarc->socket}}, {dkim->proc->pid(), dmarc->proc->pid()}, false);
    chainRan = true;
    if (!checkAlive(*dkim) || !checkAlive(*dmarc)) ++b.mismatches;
  }
  dns->stop();
  printTable(b.rows);
  if (chainRan) {
    printRatios(b.rows, "authmilter-unix", "chain");
    if (opt.tcp) printRatios(b.rows, "authmilter-tcp", "chain");
    if (opt.baseline) printRatios(b.rows, "authmilter-libs", "chain");
  }
  if (opt.baseline) printRatios(b.rows, "authmilter-unix", "authmilter-libs");
  printFloor(floor, b.floorIn, b.floorSamples, b.rows);
  if (chainRan) b.mismatches += printChainDisagreements(b.corpus, b.chainLast, b.oursLast);
  if (b.mismatches) {
    std::printf("\nFAILED: %zu authmilter verdicts differ from the corpus labels, or a milter errored or died\n",
                b.mismatches);
    return 1;
  }
  std::printf("\nall authmilter verdicts match the corpus labels\n");
  return floor.error.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parseArgs(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: am-bench [--authmilter PATH] [--messages N] [--levels 1,4,16,64] [--seed S] "
                 "[--max-size BYTES] [--no-chain] [--no-tcp] [--baseline] [--metrics-ab ROUNDS [--scrape-ms N]] [--keep-dir] "
                 "[--wrap CMD] "
                 "[--unbound-shim SO] [--config-extra FILE]\n");
    return 2;
  }
  return run(opt);
}
