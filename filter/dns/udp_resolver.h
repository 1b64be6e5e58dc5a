// filter/dns/udp_resolver.h — the real am::Resolver: asks configured nameservers over UDP
// (TCP when a reply is truncated), validates replies, follows CNAMEs and caches answers.
//
// Behaviour:
//  - names are validated before anything is sent (label <= 63, name <= 253, no empty label):
//    an invalid name is PermFail without any packet;
//  - one deadline per lookup, (retries + 1) * timeout from its start, bounds everything the
//    lookup does: every UDP attempt (each also bounded by `timeout`), the TCP repeat of a
//    truncated reply (a fresh `timeout`, cut at the deadline) and every CNAME restart;
//    attempts rotate through the servers, `retries` extra ones;
//  - NOERROR+records -> Ok, NOERROR without -> NoData, NXDOMAIN -> NxDomain, SERVFAIL,
//    timeouts and network errors -> TempFail, REFUSED/FORMERR/NOTIMP/undecodable -> PermFail
//    once every server has been tried (any TempFail on the way wins: the answer may come later);
//  - positive answers are cached for min(RR TTLs, maxTtl), NXDOMAIN/NoData for the RFC 2308
//    negative TTL capped by negativeTtl, TempFail (timeouts, SERVFAIL) for failureTtl, so a
//    dead domain costs the timeout once per failureTtl, not once per message; PermFail is
//    not cached;
//  - identical concurrent lookups are coalesced (inflight.h): one query on the wire, the
//    other callers wait for its answer, each until its own deadline (then TempFail).
// Metrics (Options::metrics set): queries sent, cache hits, lookups, timeouts, coalesced lookups
// (the counters kept here anyway, read at scrape time), lookups that the network answered with a
// temporary or permanent failure, and a histogram of the time of each lookup the cache did not
// answer (two clock reads on the miss path only; a cache hit costs nothing more).
// Thread-safety: every public method may be called from many threads at once. The object
// holds no socket between calls; the cache is sharded (see cache.h); the table of lookups
// in flight has one mutex, taken only on cache misses. `Options::clock`, when
// set, must outlive the resolver.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/dns.h"
#include "filter/dns/answer.h"
#include "filter/dns/cache.h"
#include "filter/dns/inflight.h"
#include "filter/dns/transport.h"
#include "filter/metrics/registry.h"

namespace am::dns {

struct Options {
  std::vector<Server> servers;              // empty -> nameservers from resolvConfPath
  std::chrono::milliseconds timeout{5000};  // per attempt
  unsigned retries = 2;                     // extra attempts (rotating through servers)
  size_t cacheEntries = 10000;              // 0 disables the cache
  size_t cacheBytes = AnswerCache::kDefaultMaxBytes;  // accounted bytes (cache.h), 32 MiB
  uint32_t maxTtl = 86400, negativeTtl = 300;  // caps; negative TTL from SOA MINIMUM capped by this
  uint32_t failureTtl = 30;                 // seconds a TempFail is cached; 0 = never
  bool edns = true;                         // advertise EDNS0 (falls back without on FORMERR)
  uint16_t ednsUdpSize = 1232;
  std::string resolvConfPath = "/etc/resolv.conf";
  const Clock* clock = nullptr;             // TTL expiry; null = SystemClock
  metrics::Registry* metrics = nullptr;     // register the resolver's metrics here; must outlive scrapes of it
};

// "127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1", "[::1]". Port 1..65535, default 53.
std::optional<Server> parseServer(std::string_view s);
// The `nameserver` lines of a resolv.conf text (unparsable addresses are skipped).
std::vector<Server> parseResolvConf(std::string_view text);

class UdpResolver final : public am::Resolver {
 public:
  // Never throws. Null (with *error set) when no usable server is configured or found.
  static std::unique_ptr<UdpResolver> create(Options o, std::string* error);

  TxtAnswer txt(std::string_view name) override;
  AddrAnswer addrs(std::string_view name, Family family) override;
  MxAnswer mx(std::string_view name) override;
  PtrAnswer ptr(const IpAddress& addr) override;

  struct Stats {
    uint64_t queriesSent, cacheHits, cacheMisses, timeouts;
    uint64_t coalesced;  // misses answered by joining an identical lookup in flight
    uint64_t tempFailures, permFailures;  // lookups the network answered so (not from the cache)
  };
  Stats stats() const;
  const std::vector<Server>& servers() const { return opts_.servers; }

 private:
  explicit UdpResolver(Options o);
  template <class Answer, class Convert>
  Answer lookup(std::string_view name, uint16_t qtype, Convert convert);
  // Asks the servers for (name, qtype), following a dangling CNAME up to `depth` more times;
  // nothing goes on past `deadline` (the lookup's).
  Outcome resolve(std::string_view name, uint16_t qtype, unsigned depth, Deadline deadline);
  Outcome ask(std::string_view name, uint16_t qtype, Deadline deadline);
  enum class Try { Final, Temp, Perm, RetryNoEdns };
  Try attempt(const Server& server, std::string_view name, uint16_t qtype, bool edns,
              Deadline attemptDeadline, Deadline deadline, Outcome& out);

  Options opts_;
  const Clock& clock_;
  std::unique_ptr<AnswerCache> cache_;
  InFlight inflight_;
  void registerMetrics(metrics::Registry& r);

  std::atomic<uint64_t> queriesSent_{0}, cacheHits_{0}, cacheMisses_{0}, timeouts_{0},
      coalesced_{0}, tempFailures_{0}, permFailures_{0};
  metrics::Histogram* lookupSeconds_ = nullptr;  // metrics only
};

}  // namespace am::dns
