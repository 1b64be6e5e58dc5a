// filter/core/engine.h — process-wide state of authmilter: the one resolver and an immutable
// Snapshot of everything a configuration file brings (config, policy file, signing keys, SPF
// evaluator, DKIM and ARC verifiers, Public Suffix List, internal hosts) that a reload replaces atomically.
// Each connection keeps the snapshot it started with.
// One builder (buildSnapshot) serves start-up, SIGHUP and --check-config, so the three can never
// disagree about what a file means: a reload is refused exactly where start-up would refuse.
// Metrics (MetricsListen set): the Engine owns the registry (filter/metrics/registry.h) and the
// per-message instruments; the resolver, the milter front ends and the exporter register into it.
// With MetricsListen unset there is no registry and nothing is counted.
// Thread-safety: everything here is safe to use from the milter workers; the Snapshot is const;
// reload() builds a new one and swaps it under a mutex (a failed reload keeps the old one).
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/client.h"
#include "common/clock.h"
#include "common/dns.h"
#include "common/ip.h"
#include "filter/auth/spf/spf.h"
#include "filter/config/config.h"
#include "filter/core/log.h"
#include "filter/core/message_metrics.h"
#include "filter/metrics/registry.h"
#include "policy/dmarc.h"
#include "policy/policy_file.h"
#include "reports/failure_sender.h"
#include "reports/recorder.h"

namespace am::dkim {
class Verifier;
class KeyStore;
}  // namespace am::dkim
namespace am::arc {
class Verifier;
}  // namespace am::arc

namespace am::core {

// An `arc-seal` rule with its key resolved: a key file of its own, or a `key` line / KeyTable
// entry (the KeyStore holds the decoded key under `key`).
struct ArcSealer {
  policy::ArcSealRule rule;
  policy::KeyEntry key;
};

struct Snapshot {
  Snapshot();
  ~Snapshot();
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const policy::PolicyFile> policy;
  std::shared_ptr<const dkim::KeyStore> keys;  // null when nothing is to be signed
  std::unique_ptr<spf::Evaluator> spf;
  std::unique_ptr<dkim::Verifier> dkim;         // DKIMVerifier and the verification keys of this config
  std::unique_ptr<arc::Verifier> arc;           // ARC chain validation (used only for mail with ARC fields)
  std::unique_ptr<policy::PublicSuffix> psl;    // DMARCMode rfc7489 only, else null
  std::vector<policy::HostPattern> internalHosts;  // InternalHosts, parsed
  std::vector<ArcSealer> arcSealers;               // `arc-seal` rules, keys resolved (empty: no sealing)
  bool isInternal(const ClientInfo& client) const;
};

// The one snapshot builder. Loads the policy file, the OpenDKIM KeyTable/SigningTable, every
// signing key, the Public Suffix List (RFC 7489 mode) and builds the SPF evaluator and DKIM
// verifier on `dns`. Null when anything fails; errors are "FILE:LINE: message", pointing at the
// line of the key concerned.
std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> cfg, Resolver& dns,
                                              const Clock& clock, std::vector<std::string>& errors);

// Things that work but that an operator should know (a signing oracle on a TCP socket, ...).
std::vector<std::string> configurationWarnings(const Snapshot& snap);

class Engine {
 public:
  // `dns` may be injected (tests, offline runs); when null the real resolver is built from config.
  static std::unique_ptr<Engine> create(std::shared_ptr<const config::Config> cfg, Logger& log,
                                        std::unique_ptr<Resolver> dns, const Clock& clock,
                                        std::vector<std::string>& errors);
  ~Engine();

  std::shared_ptr<const Snapshot> snapshot() const;
  // Re-reads config file, policy file and keys. On error keeps the old snapshot and returns false.
  bool reload(const std::string& configPath, std::vector<std::string>& errors);

  Resolver& dns() { return *dns_; }
  // Null when MetricsListen is not set (at start-up: a reload does not turn metrics on or off).
  metrics::Registry* metrics() const { return metrics_.get(); }
  MessageMetrics* messageMetrics() const { return messageMetrics_.get(); }
  Logger& log() { return log_; }
  const Clock& clock() const { return clock_; }
  // The DMARC report recorder (ReportStore); null when reports are off. Lives as long as the Engine.
  reports::Recorder* recorder() { return recorder_.get(); }
  // The DMARC failure-report sender (FailureReports yes at start-up); null when off.
  reports::FailureReporter* failureReporter() { return failureReporter_.get(); }

  // Shutdown: while draining, new connections are refused; transactions in flight finish.
  std::atomic<bool> draining{false};
  std::atomic<int> transactionsInFlight{0};

 private:
  Engine(Logger& log, const Clock& clock);
  bool rebuild(const std::string& configPath, std::vector<std::string>& errors);

  Logger& log_;
  const Clock& clock_;
  // Declared before everything that registers into it, so it is destroyed last.
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<MessageMetrics> messageMetrics_;
  std::unique_ptr<Resolver> dns_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snap_;
  std::unique_ptr<reports::Recorder> recorder_;  // its writer stops before the snapshot and resolver go
  // Declared last: its sender (which uses dns_ and clock_) stops first.
  std::unique_ptr<reports::FailureReporter> failureReporter_;
};

// --check-config: what start-up would say of the file, all as "FILE:LINE: message" (the same
// resolver set-up and the same buildSnapshot). `warnings` gets configurationWarnings().
std::vector<std::string> checkConfiguration(const std::string& configPath, std::vector<std::string>* warnings = nullptr);

}  // namespace am::core
