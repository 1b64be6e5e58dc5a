// contrib/bench/dns53.h — the benchmark's DNS server: a real nsd serving the corpus zones on
// 127.0.0.1:53. Port 53 because OpenDMARC (libspf2 and libresolv) can only reach a server named
// in resolv.conf, which has no port syntax; authmilter and OpenDKIM use the same server.
// nsd runs in the foreground as a child of the benchmark, with private files in `dir`, and is
// stopped by its PID (Process fixture). Not thread-safe; the DNS service may be queried by anyone.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tests/milterclient/process.h"
#include "tests/support/dnsserver/nsd_server.h"

namespace am::bench {

class Dns53 {
 public:
  static std::unique_ptr<Dns53> start(const std::string& dir, const std::vector<am::testing::NsdServer::Zone>& zones,
                                      std::string* err);
  ~Dns53();
  void stop();

 private:
  std::unique_ptr<am::milter_process::Process> nsd_;
};

// True when 127.0.0.1:53 answers an SOA query for `zone` with a NOERROR answer.
bool dnsAnswersSoa(const std::string& zone);

}  // namespace am::bench
