// filter/dns/udp_resolver.cpp — see udp_resolver.h.
#include "filter/dns/udp_resolver.h"

#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <random>
#include <sstream>

#include "common/blocking.h"
#include "common/strings.h"

namespace am::dns {
namespace {

constexpr unsigned kMaxChase = 8;  // extra queries for CNAME targets outside the answer

uint16_t randomId() {
  uint16_t id = 0;
  if (::getrandom(&id, sizeof id, 0) == static_cast<ssize_t>(sizeof id)) return id;
  std::random_device rd;  // getrandom(2) cannot fail for 2 bytes once the pool is ready
  return static_cast<uint16_t>(rd());
}

std::optional<uint16_t> parsePort(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

IpAddress fromBytes(const std::string& data) {
  IpAddress ip;
  ip.v6 = data.size() == 16;
  std::copy(data.begin(), data.end(), ip.bytes.begin());
  return ip;
}

}  // namespace

std::optional<Server> parseServer(std::string_view s) {
  s = trim(s);
  Server out;
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (port.empty()) return std::nullopt;
  }
  auto ip = IpAddress::parse(host);
  if (!ip || host.empty()) return std::nullopt;
  if (s.front() == '[' && !ip->v6) return std::nullopt;
  out.addr = *ip;
  if (!port.empty()) {
    auto p = parsePort(port);
    if (!p) return std::nullopt;
    out.port = *p;
  }
  return out;
}

std::vector<Server> parseResolvConf(std::string_view text) {
  std::vector<Server> out;
  for (const auto& line : split(text, "\n")) {
    auto words = split(line, " \t\r");
    if (words.size() < 2 || words[0] != "nameserver") continue;
    auto ip = IpAddress::parse(words[1]);  // "fe80::1%eth0" does not parse: skipped
    if (ip) out.push_back(Server{*ip, 53});
  }
  return out;
}

std::unique_ptr<UdpResolver> UdpResolver::create(Options o, std::string* error) {
  auto fail = [&](const char* msg) -> std::unique_ptr<UdpResolver> {
    if (error) *error = msg;
    return nullptr;
  };
  if (o.timeout.count() <= 0) return fail("DNS timeout must be positive");
  if (o.edns && o.ednsUdpSize < 512) return fail("EDNS UDP size must be at least 512");
  if (o.servers.empty()) {
    std::ifstream in(o.resolvConfPath);
    std::stringstream ss;
    ss << in.rdbuf();
    o.servers = parseResolvConf(ss.str());
    if (o.servers.empty()) o.servers.push_back(*parseServer("127.0.0.1"));  // as the C library does
  }
  for (const auto& s : o.servers)
    if (s.port == 0) return fail("DNS server port must not be 0");
  return std::unique_ptr<UdpResolver>(new UdpResolver(std::move(o)));
}

UdpResolver::UdpResolver(Options o)
    : opts_(std::move(o)), clock_(opts_.clock ? *opts_.clock : SystemClock::instance()) {
  if (opts_.cacheEntries > 0 && opts_.cacheBytes > 0)
    cache_ = std::make_unique<AnswerCache>(opts_.cacheEntries, clock_, opts_.cacheBytes);
  if (opts_.metrics) registerMetrics(*opts_.metrics);
}

void UdpResolver::registerMetrics(metrics::Registry& r) {
  auto from = [](const std::atomic<uint64_t>& a) { return [&a] { return a.load(std::memory_order_relaxed); }; };
  r.counterFrom("authmilter_dns_lookups_total", "DNS lookups asked of the resolver (cache hits included)", {},
                [this] { return cacheHits_.load(std::memory_order_relaxed) + cacheMisses_.load(std::memory_order_relaxed); });
  r.counterFrom("authmilter_dns_cache_hits_total", "DNS lookups answered from the cache", {}, from(cacheHits_));
  r.counterFrom("authmilter_dns_queries_total", "DNS queries sent (UDP and TCP, retries included)", {}, from(queriesSent_));
  r.counterFrom("authmilter_dns_timeouts_total", "DNS queries that got no answer in time", {}, from(timeouts_));
  r.counterFrom("authmilter_dns_coalesced_total", "DNS lookups answered by joining an identical lookup in flight", {},
                from(coalesced_));
  const char* failHelp = "DNS lookups sent to the network that ended in failure, by kind";
  r.counterFrom("authmilter_dns_failures_total", failHelp, {{"kind", "tempfail"}}, from(tempFailures_));
  r.counterFrom("authmilter_dns_failures_total", failHelp, {{"kind", "permfail"}}, from(permFailures_));
  lookupSeconds_ = &r.histogram("authmilter_dns_lookup_duration_seconds",
                                "Time of each DNS lookup the cache did not answer (retries, TCP and CNAME steps included)",
                                metrics::dnsLatencyBounds());
}

UdpResolver::Stats UdpResolver::stats() const {
  return Stats{queriesSent_.load(), cacheHits_.load(), cacheMisses_.load(), timeouts_.load(),
               coalesced_.load(), tempFailures_.load(), permFailures_.load()};
}

UdpResolver::Try UdpResolver::attempt(const Server& server, std::string_view name, uint16_t qtype,
                                      bool edns, Deadline attemptDeadline, Deadline deadline,
                                      Outcome& out) {
  uint16_t id = randomId();
  auto query = wire::encodeQuery(wire::Query{id, name, qtype, true, edns, opts_.ednsUdpSize});
  if (!query) return Try::Perm;
  auto matches = [&](std::span<const uint8_t> reply) {
    auto p = wire::decodePreamble(reply);
    return p && wire::matchesQuery(*p, id, name, qtype);
  };
  ++queriesSent_;
  Exchange ex = udpExchange(server, *query, attemptDeadline, matches);
  if (ex.status == ExchangeStatus::Ok && wire::decodePreamble(ex.reply)->header.tc()) {
    ++queriesSent_;  // RFC 7766: repeat a truncated exchange over TCP, within the lookup's deadline
    ex = tcpExchange(server, *query, std::min(deadline, std::chrono::steady_clock::now() + opts_.timeout));
    if (ex.status == ExchangeStatus::Ok && !matches(ex.reply)) ex.status = ExchangeStatus::NetworkError;
  }
  if (ex.status == ExchangeStatus::Timeout) ++timeouts_;
  if (ex.status != ExchangeStatus::Ok) return Try::Temp;
  auto msg = wire::decodeMessage(ex.reply);
  if (!msg) return Try::Perm;
  unsigned rc = msg->header.rcode();
  if (edns && (rc == wire::rcode::FormErr || rc == wire::rcode::NotImp)) return Try::RetryNoEdns;
  out = interpret(*msg, name, qtype, TtlCaps{opts_.maxTtl, opts_.negativeTtl});
  if (out.status == DnsStatus::TempFail) return Try::Temp;
  if (out.status == DnsStatus::PermFail) return Try::Perm;
  return Try::Final;
}

Outcome UdpResolver::ask(std::string_view name, uint16_t qtype, Deadline deadline) {
  const auto& servers = opts_.servers;
  size_t n = servers.size();
  unsigned attempts = opts_.retries + 1;
  std::vector<bool> refused(n, false);  // servers that gave a definitive error
  bool sawTemp = false, edns = opts_.edns;
  for (unsigned i = 0; i < attempts; ++i) {
    size_t idx = i % n, tried = 0;
    while (refused[idx] && tried++ < n) idx = (idx + 1) % n;
    if (refused[idx]) break;  // every server refused: no point repeating
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {  // the lookup's time is spent (earlier attempts, CNAME restarts)
      sawTemp = true;
      break;
    }
    auto attemptDeadline = std::min(deadline, now + opts_.timeout);
    Outcome out;
    Try t = attempt(servers[idx], name, qtype, edns, attemptDeadline, deadline, out);
    if (t == Try::RetryNoEdns) {  // RFC 6891 §7: an old server may reject OPT
      edns = false;
      t = attempt(servers[idx], name, qtype, false, attemptDeadline, deadline, out);
      if (t == Try::RetryNoEdns) t = Try::Perm;
    }
    if (t == Try::Final) return out;
    if (t == Try::Temp) sawTemp = true;
    if (t == Try::Perm) refused[idx] = true;
  }
  Outcome failed;
  failed.status = sawTemp ? DnsStatus::TempFail : DnsStatus::PermFail;
  return failed;
}

Outcome UdpResolver::resolve(std::string_view name, uint16_t qtype, unsigned depth,
                             Deadline deadline) {
  Outcome o = ask(name, qtype, deadline);
  if (o.cnameTarget.empty()) return o;
  wire::Name target;
  if (depth == 0 || !wire::normalizeName(o.cnameTarget, target)) {
    Outcome bad;  // chain too long or target not a valid name
    bad.status = DnsStatus::PermFail;
    return bad;
  }
  Outcome next = resolve(target.view(), qtype, depth - 1, deadline);
  next.ttl = std::min(next.ttl, o.ttl);
  return next;
}

template <class Answer, class Convert>
Answer UdpResolver::lookup(std::string_view name, uint16_t qtype, Convert convert) {
  Answer a;
  wire::Name n;
  if (!wire::normalizeName(name, n)) {
    a.status = DnsStatus::PermFail;
    return a;
  }
  if (cache_ && cache_->get(n.view(), qtype, a)) {
    ++cacheHits_;
    return a;
  }
  ++cacheMisses_;
  const auto start = std::chrono::steady_clock::now();
  auto deadline = start + opts_.timeout * (opts_.retries + 1);
  Answer failed;
  failed.status = DnsStatus::TempFail;
  // The network (or a wait for another thread's query): the milter server may start a
  // worker (common/blocking.h).
  BlockingScope blocking;
  std::string key = std::to_string(qtype) + '/' + std::string(n.view());
  std::unique_ptr<InFlight::Lead> lead;
  if (auto flight = inflight_.join(key, failed, lead)) {
    ++coalesced_;
    CachedAnswer got;
    const Answer* value = nullptr;
    if (InFlight::wait(*flight, deadline, got) && (value = std::get_if<Answer>(&got))) return *value;
    return failed;
  }
  if (cache_ && cache_->get(n.view(), qtype, a)) {  // a leader finished between get and join
    lead->finish(a);
    return a;
  }
  Outcome o = resolve(n.view(), qtype, kMaxChase, deadline);
  if (o.status == DnsStatus::TempFail) tempFailures_.fetch_add(1, std::memory_order_relaxed);
  else if (o.status == DnsStatus::PermFail) permFailures_.fetch_add(1, std::memory_order_relaxed);
  if (lookupSeconds_) lookupSeconds_->observe(std::chrono::steady_clock::now() - start);
  a.status = o.status;
  for (const auto& rr : o.records) convert(rr, a);
  uint32_t ttl = o.ttl;
  if (o.status == DnsStatus::TempFail) ttl = opts_.failureTtl;
  else if (o.status == DnsStatus::PermFail) ttl = 0;
  if (cache_ && ttl > 0) cache_->put(n.view(), qtype, a, ttl);
  lead->finish(a);
  return a;
}

TxtAnswer UdpResolver::txt(std::string_view name) {
  return lookup<TxtAnswer>(name, wire::type::TXT,
                           [](const wire::Rr& rr, TxtAnswer& a) { a.records.push_back(rr.data); });
}

AddrAnswer UdpResolver::addrs(std::string_view name, Family family) {
  uint16_t qtype = family == Family::V4 ? wire::type::A : wire::type::AAAA;
  return lookup<AddrAnswer>(name, qtype, [](const wire::Rr& rr, AddrAnswer& a) {
    a.addrs.push_back(fromBytes(rr.data));
  });
}

MxAnswer UdpResolver::mx(std::string_view name) {
  auto a = lookup<MxAnswer>(name, wire::type::MX, [](const wire::Rr& rr, MxAnswer& m) {
    m.hosts.push_back(MxHost{rr.preference, rr.data});
  });
  std::stable_sort(a.hosts.begin(), a.hosts.end(),
                   [](const MxHost& x, const MxHost& y) { return x.preference < y.preference; });
  return a;
}

PtrAnswer UdpResolver::ptr(const IpAddress& addr) {
  return lookup<PtrAnswer>(addr.reverseName(), wire::type::PTR,
                           [](const wire::Rr& rr, PtrAnswer& a) { a.names.push_back(rr.data); });
}

}  // namespace am::dns
