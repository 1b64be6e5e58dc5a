// contrib/bench/load.h — the load generator: sends every corpus message over its own milter
// connection (as one SMTP session per message) with the project's milter client, from
// `concurrency` threads, and records each verdict and latency. A Target is either one milter
// (authmilter) or a chain of two (OpenDKIM, then OpenDMARC given the message with OpenDKIM's
// header changes applied, as Postfix runs two milters).
// Thread-safety: run() starts and joins its own threads; Verdicts are written per message index.
#pragma once
#include <string>
#include <vector>

#include "contrib/bench/corpus.h"

namespace am::bench {

struct Verdict {
  bool ok = false;       // a usable answer (no protocol error, no tempfail)
  std::string error;     // when !ok
  Action action = Action::Accept;
  std::string spf, dmarc;  // "" when absent
  int dkimPass = 0;
  std::string ar;        // our authserv-id's Authentication-Results, joined by " | "
  double latencyMs = 0;
};

// Differences between a verdict and its label ("" = agrees).
std::string compareToLabel(const Verdict& v, const Label& l);

struct Target {
  std::vector<std::string> sockets;  // 1 = single milter, 2 = chain
};

struct RunResult {
  std::vector<Verdict> verdicts;  // per message
  double wallSeconds = 0;
};

RunResult runLoad(const Corpus& corpus, const Target& target, int concurrency);

// Sorted-latency percentile (0..100) of the verdicts.
double percentileMs(const std::vector<Verdict>& v, double pct);

}  // namespace am::bench
