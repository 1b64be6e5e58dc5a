// contrib/bench/report.h — figures of one benchmark level and the printed tables: per target and
// concurrency (msgs/s, latency p50/p99, CPU seconds per 1,000 messages, peak RSS), the ratios
// authmilter/chain, the crypto floor, and the verdict checks (labels, chain agreement).
// Plain values and printing to stdout; not thread-safe (call from the main thread).
#pragma once
#include <string>
#include <vector>

#include "contrib/bench/corpus.h"
#include "contrib/bench/floor.h"
#include "contrib/bench/load.h"

namespace am::bench {

struct LevelFigures {
  std::string target;  // "authmilter-unix", "authmilter-tcp", "chain"
  int concurrency = 0;
  size_t messages = 0;
  double msgsPerSec = 0, p50 = 0, p99 = 0, cpuPer1000 = 0;
  double floorPer1000 = 0;  // authmilter rows: the crypto floor measured right before and after this run (mean)
  long peakRssKb = 0;
};

LevelFigures figuresOf(const std::string& target, int concurrency, const RunResult& r, double cpuSeconds,
                       long peakRssKb);

void printCorpusSummary(const Corpus& c);
void printTable(const std::vector<LevelFigures>& rows);
void printRatios(const std::vector<LevelFigures>& rows, const std::string& ours, const std::string& theirs);
// `f`: the first floor measurement (its counts); `samples`: every floor measurement in s / 1000 msgs.
void printFloor(const FloorResult& f, const FloorInput& in, const std::vector<double>& samples,
                const std::vector<LevelFigures>& rows);

// Alternating A/B runs (rows named `a` and `b`, several rows per level): per level, the median
// and range of CPU / 1000 msgs, msgs/s, p50 and p99 of each side, and in how many rounds b's CPU
// was above a's.
void printAbSummary(const std::vector<LevelFigures>& rows, const std::string& a, const std::string& b);

// Checks every verdict against its label; prints the first mismatches. Returns the mismatch count.
size_t checkLabels(const std::string& target, int concurrency, const Corpus& c, const RunResult& r);
// Groups the chain's differences from the labels by class and difference; prints them with counts.
// Returns the number of messages the chain failed to answer (errors, tempfails).
size_t printChainDisagreements(const Corpus& c, const RunResult& chain, const RunResult& ours);

}  // namespace am::bench
