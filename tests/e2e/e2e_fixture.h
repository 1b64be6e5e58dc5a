// tests/e2e/e2e_fixture.h — end-to-end environment: a real nsd on 127.0.0.1 serving zones written
// by the test, DKIM keys made by `authmilter keygen`, and the real authmilter binary on a unix
// socket in a temporary directory, driven by the project's milter client. Everything started here
// is stopped here, by PID.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/milterclient/milter_client.h"
#include "tests/milterclient/process.h"
#include "tests/support/dnsserver/nsd_server.h"

namespace am::e2e {

struct Env {
  std::string dir;
  std::unique_ptr<am::testing::NsdServer> dns;
  std::unique_ptr<am::milter_process::Process> milter;
  std::string socket;
  std::string configPath;
  // The socket file, relative to `dir` (set before start(); a missing subdirectory is left for the
  // binary to create).
  std::string socketName = "milter.sock";
  // More zone-file records for e2e.test (set before start()).
  std::string extraRecords;
  // More policy-file lines, after basePolicy() (set before start()).
  std::string extraPolicy;

  // Builds keys, zones, config and policy, starts nsd and authmilter. Empty string on success.
  std::string start(const std::string& extraConfig = "");
  void stop();
  // Writes a new policy file (for reload tests).
  void writePolicy(const std::string& text);
  std::string basePolicy() const;
  ~Env() { stop(); }
};

// Runs `cmd` and returns its stdout (bounded by the command itself).
std::string runCommand(const std::string& cmd, int* status = nullptr);

// Polls (bounded) until the process's output contains `needle`; returns whether it did.
bool waitForOutput(am::milter_process::Process& p, const std::string& needle,
                   std::chrono::milliseconds bound = std::chrono::seconds(20));

// One message over a fresh connection.
am::milter_client::Result send(const std::string& socket, const am::milter_client::Message& m);

// A plain message from the outside world.
am::milter_client::Message message(const std::string& mailFrom, const std::string& from,
                                   const std::string& clientAddr = "192.0.2.10");

// The values of every header named `name` in the final header list.
std::vector<std::string> headerValues(const am::milter_client::Result& r, const std::string& name);
// Our Authentication-Results header (authserv-id mx.e2e.test); empty when absent.
std::string ourAuthResults(const am::milter_client::Result& r);

}  // namespace am::e2e
