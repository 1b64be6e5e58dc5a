// tests/postfix/load_stack.h — the stack the Postfix load tests run against: a real nsd serving
// test (with e2e.test in it), a DnsFaultProxy in front of it (authmilter's only nameserver), the real authmilter
// binary on a unix socket in a directory of the postfix group, and a private Postfix instance
// with `milter_default_action = tempfail` (postfix_instance.h). The fault drivers of the tests
// restart nsd and authmilter through it and rewrite authmilter's configuration.
//
// Ownership: owns every process and temp directory it starts; stop() (and the destructor) stop
// Postfix, authmilter, the proxy and nsd in that order, each by its PID. Not thread-safe: one
// fault driver thread at a time may call restartNsd/startMilter/writeConfig while the load
// client (which touches none of this) runs.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tests/milterclient/process.h"
#include "tests/postfix/dns_fault_proxy.h"
#include "tests/postfix/postfix_instance.h"
#include "tests/support/dnsserver/nsd_server.h"

namespace am::postfix_test {

inline constexpr char kLoadAuthserv[] = "mx.e2e.test";

struct LoadStack {
  struct Settings {
    bool dnsCache = true;  // false: DNSCacheSize 0 and DNSFailureTTL 0 (every message asks)
    unsigned dnsTimeout = 3;  // DNSTimeout of the configuration written at start
  };
  // A configuration variant for the reload storm.
  struct Variant {
    unsigned dnsTimeout = 0;   // 0: the start-up setting
    std::string extraConfig;   // lines appended to authmilter.conf
    std::string policy = "# no overrides: published DMARC policies apply\n";
    bool otherNameserver = false;  // a Nameservers change, which a reload must refuse
  };

  std::string dir;     // configuration, policy, socket directory
  std::string socket;  // "unix:DIR/run/authmilter.sock"
  Settings settings;
  std::unique_ptr<am::testing::NsdServer> dns;
  std::unique_ptr<DnsFaultProxy> proxy;
  std::unique_ptr<am::milter_process::Process> milter;
  std::unique_ptr<PostfixInstance> postfix;
  std::string replacedMilterLogs;  // the tails of the logs of authmilter processes that were replaced
  unsigned nsdRestarts = 0;

  // "" on success, else what failed.
  std::string start(const Settings& s);
  void stop();
  ~LoadStack() { stop(); }

  // Writes authmilter.conf and the policy file (each by rename, as an editor saving would).
  void writeConfig(const Variant& v);
  // Starts authmilter on the configuration as written and waits (bounded) for its socket.
  std::string startMilter();
  // Stops nsd and starts a new one with the same zone; the proxy forwards to its new port.
  std::string restartNsd();
  // Polls (bounded) until Postfix's queue holds nothing but the hold queue.
  bool waitForQueueToSettle(std::chrono::seconds timeout) const;
  std::string diagnostics() const;
  std::string milterOutput() const;  // replaced processes' logs + the running one's

  static std::string zone();
};

}  // namespace am::postfix_test
