// tests/migrate/chain_env.h — the old chain and the migrated authmilter side by side, for the
// end-to-end comparison. Everything runs in a private network + mount namespace (held by a
// `sleep` started with unshare): a real nsd on 192.0.2.53:53 (OpenDMARC's resolver and libspf2
// can only reach a nameserver named in resolv.conf, port 53), /etc/resolv.conf bind-mounted to
// name it, and the real /usr/sbin/opendkim, /usr/sbin/opendmarc and authmilter binaries started
// in that namespace with nsenter, in the foreground, on unix sockets in a temp directory (unix
// sockets reach across network namespaces, so the test's milter client talks to them from
// outside). Nothing listens on the host's network; parallel runs do not collide.
//
// Needs root (unshare, mount) and the Debian packages nsd, opendkim, opendmarc, iproute2,
// util-linux. Every process is started here and stopped here, by its PID.
// Not thread-safe: one ChainEnv per test.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tests/milterclient/milter_client.h"
#include "tests/milterclient/process.h"
#include "tests/support/testfiles/test_files.h"

namespace am::migrate_test {

class ChainEnv {
 public:
  static constexpr const char* kDnsAddr = "192.0.2.53";
  ~ChainEnv();

  // The namespace and nsd serving `zones` (origin -> records). "" on success, else what failed.
  std::string start(const std::vector<std::pair<std::string, std::string>>& zones);
  // A program inside the namespace (argv[0] = program), waiting for its unix socket when given.
  std::unique_ptr<am::milter_process::Process> run(const std::string& program, const std::vector<std::string>& args,
                                                   const std::string& socketPath, std::string* err);
  const std::string& dir() const { return dir_.path; }

 private:
  am::testing::TempDir dir_{"am-migrate"};
  std::unique_ptr<am::milter_process::Process> holder_, nsd_;
};

// One transaction over a fresh connection to `socketPath`.
am::milter_client::Result sendTo(const std::string& socketPath, const am::milter_client::Message& m);

// Through the old chain as an MTA runs it: OpenDKIM first; unless it decided, OpenDMARC next,
// seeing the headers as OpenDKIM left them (its Authentication-Results included).
am::milter_client::Result sendThroughChain(const std::string& opendkimSock, const std::string& opendmarcSock,
                                           const am::milter_client::Message& m);

// "accept", "reject", "tempfail", "quarantine", "discard", or "error: ..." (reply codes by class).
std::string actionOf(const am::milter_client::Result& r);

}  // namespace am::migrate_test
