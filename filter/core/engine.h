// filter/core/engine.h — process-wide state of authmilter: the one resolver, the DKIM verifier
// (engine chosen by DKIMVerifier native|libopendkim at start-up; not changed by reload), the
// Public Suffix List, and an immutable Snapshot (config, policy file, signing keys, SPF evaluator)
// that a reload replaces atomically. Each connection keeps the snapshot it started with.
// Thread-safety: everything here is safe to use from libmilter's worker threads; the Snapshot is
// const; reload() builds a new one and swaps it under a mutex (a failed reload keeps the old one).
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/dns.h"
#include "common/ip.h"
#include "filter/auth/spf/spf.h"
#include "filter/config/config.h"
#include "filter/core/log.h"
#include "policy/dmarc.h"
#include "policy/policy_file.h"

namespace am::dkim {
class Verifier;
class KeyStore;
}  // namespace am::dkim

namespace am::core {

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const policy::PolicyFile> policy;
  std::shared_ptr<const dkim::KeyStore> keys;  // null when nothing is to be signed
  std::unique_ptr<spf::Evaluator> spf;
  std::vector<Cidr> internalNets;
  std::vector<std::string> internalNames;  // lowercase host names
  bool isInternal(const IpAddress* addr, std::string_view hostname) const;
};

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
  dkim::Verifier& dkim() { return *dkim_; }
  const policy::PublicSuffix* psl() const { return psl_.get(); }
  Logger& log() { return log_; }
  const Clock& clock() const { return clock_; }

  // Shutdown: while draining, new connections are refused; transactions in flight finish.
  std::atomic<bool> draining{false};
  std::atomic<int> transactionsInFlight{0};

 private:
  Engine(Logger& log, const Clock& clock);
  std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> cfg,
                                                std::vector<std::string>& errors);

  Logger& log_;
  const Clock& clock_;
  std::unique_ptr<Resolver> dns_;
  std::unique_ptr<dkim::Verifier> dkim_;
  std::unique_ptr<policy::PublicSuffix> psl_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snap_;
};

// Policy-file errors and config errors, all as "FILE:LINE: message" (for --check-config).
std::vector<std::string> checkConfiguration(const std::string& configPath);

}  // namespace am::core
