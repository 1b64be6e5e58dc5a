// tests/dns/bench/dns_bench.cpp — dns_bench: measures the resolver against a real nsd on
// loopback (tests/support/dnsserver), and, when built with libunbound, the same lookups
// through libunbound (stub zone to the same nsd, its own cache), to back the choice written
// in docs/dns.md. Not a test: run it by hand on a quiet machine, from a build without
// sanitizers (-DAM_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release -DAM_BUILD_BENCH=ON).
//
// Per implementation: wall and process CPU time per cache hit and per miss (distinct names
// under a wildcard, so every one goes to nsd), then the faults: a dead server (nsd paused)
// for the first lookup and for the ones after it, and eight threads asking one new name at
// once (queries sent).
#include <poll.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "filter/dns/udp_resolver.h"
#include "tests/support/dnsserver/nsd_server.h"

#ifdef AM_HAVE_UNBOUND
#include <unbound.h>
#endif

namespace {

using am::testing::NsdServer;
using Clk = std::chrono::steady_clock;

double cpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct Cost {
  double wallNs = 0, cpuNs = 0;
};

template <class F> Cost perCall(int n, F f) {
  auto w0 = Clk::now();
  double c0 = cpuNow();
  for (int i = 0; i < n; ++i) f(i);
  double c1 = cpuNow();
  auto w1 = Clk::now();
  return {std::chrono::duration<double, std::nano>(w1 - w0).count() / n, (c1 - c0) / n};
}

double msSince(Clk::time_point t0) { return std::chrono::duration<double, std::milli>(Clk::now() - t0).count(); }

void row(const char* impl, const char* what, Cost c) {
  std::printf("%-10s %-34s wall %10.0f ns   cpu %10.0f ns\n", impl, what, c.wallNs, c.cpuNs);
  std::fflush(stdout);  // libunbound's async mode forks: nothing buffered may be copied
}

std::string missName(const char* prefix, int i) {
  std::string s(prefix);
  s.append(std::to_string(i)).append(".w.example.org");
  return s;
}

void benchOurs(NsdServer& nsd, int hits, int misses) {
  am::dns::Options o;
  o.servers = {am::dns::Server{*am::IpAddress::parse(nsd.address()), nsd.port()}};
  o.timeout = std::chrono::milliseconds(1000);
  o.retries = 1;
  std::string err;
  auto r = am::dns::UdpResolver::create(o, &err);
  if (!r) {
    std::printf("ours: %s\n", err.c_str());
    return;
  }
  r->txt("example.org");
  row("ours", "hit (TXT, warm cache)", perCall(hits, [&](int) { r->txt("example.org"); }));
  row("ours", "miss (distinct names, to nsd)", perCall(misses, [&](int i) { r->txt(missName("o", i)); }));

  std::atomic<int> go{0};
  std::vector<std::thread> ts;
  auto before = r->stats().queriesSent;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      r->txt("together.w.example.org");
    });
  go = 1;
  for (auto& t : ts) t.join();
  std::printf("%-10s 8 threads, one new name: %llu queries sent (%llu coalesced)\n", "ours",
              static_cast<unsigned long long>(r->stats().queriesSent - before),
              static_cast<unsigned long long>(r->stats().coalesced));

  nsd.pause();
  auto t0 = Clk::now();
  auto a = r->txt("dead.w.example.org");
  double first = msSince(t0);
  t0 = Clk::now();
  for (int i = 0; i < 10; ++i) r->txt("dead.w.example.org");
  double next = msSince(t0) / 10;
  t0 = Clk::now();
  auto b = r->txt("dead2.w.example.org");
  double other = msSince(t0);
  nsd.resume();
  std::printf("%-10s dead server (timeout 1 s, 1 retry): first %s in %.0f ms, repeats %.3f ms each, "
              "another name %s in %.0f ms\n", "ours", am::toString(a.status), first, next,
              am::toString(b.status), other);
}

#ifdef AM_HAVE_UNBOUND
ub_ctx* unboundContext(NsdServer& nsd) {
  ub_ctx* ctx = ub_ctx_create();
  std::string addr = nsd.address() + "@" + std::to_string(nsd.port());
  ub_ctx_set_option(ctx, "do-ip6:", "no");
  ub_ctx_set_option(ctx, "qname-minimisation:", "no");
  ub_ctx_set_option(ctx, "target-fetch-policy:", "0 0 0 0 0");
  ub_ctx_set_option(ctx, "do-not-query-localhost:", "no");
  int rc = ub_ctx_set_stub(ctx, "example.org", addr.c_str(), 0);
  if (rc != 0) std::printf("unbound stub: %s\n", ub_strerror(rc));
  return ctx;
}

int ubTxt(ub_ctx* ctx, const std::string& name) {
  ub_result* res = nullptr;
  int rc = ub_resolve(ctx, name.c_str(), 16, 1, &res);
  int out = rc != 0 ? -1 : res->havedata ? 0 : res->rcode;
  if (res) ub_resolve_free(res);
  return out;
}

// ub_resolve() has no per-call time limit: the dead-server case runs async with our bound.
double ubTimed(ub_ctx* ctx, const std::string& name, double boundMs, int& rcode) {
  struct Done {
    bool done = false;
    int rcode = -1;
  } d;
  auto cb = [](void* arg, int err, ub_result* res) {
    auto* dd = static_cast<Done*>(arg);
    dd->done = true;
    dd->rcode = err != 0 ? -1 : res->havedata ? 0 : res->rcode;
    if (res) ub_resolve_free(res);
  };
  auto t0 = Clk::now();
  int id = 0;
  ub_resolve_async(ctx, name.c_str(), 16, 1, &d, cb, &id);
  while (!d.done && msSince(t0) < boundMs) {
    pollfd p{ub_fd(ctx), POLLIN, 0};
    ::poll(&p, 1, 50);
    ub_process(ctx);
  }
  if (!d.done) ub_cancel(ctx, id);
  rcode = d.done ? d.rcode : -2;
  return msSince(t0);
}

void benchUnbound(NsdServer& nsd, int hits, int misses) {
  ub_ctx* ctx = unboundContext(nsd);
  if (ubTxt(ctx, "example.org") != 0) std::printf("unbound: warm-up lookup failed\n");
  row("libunbound", "hit (TXT, warm cache)", perCall(hits / 10, [&](int) { ubTxt(ctx, "example.org"); }));
  row("libunbound", "miss (distinct names, to nsd)", perCall(misses, [&](int i) { ubTxt(ctx, missName("u", i)); }));
  ub_ctx_delete(ctx);

  // Its other mode: a resolver thread in the library, results handed back through a pipe.
  ctx = unboundContext(nsd);
  ub_ctx_async(ctx, 1);
  auto viaThread = [&](const std::string& name) {
    int rc = 0;
    ubTimed(ctx, name, 10000, rc);
  };
  viaThread("example.org");
  row("libunbound", "hit, async thread mode", perCall(hits / 10, [&](int) { viaThread("example.org"); }));
  row("libunbound", "miss, async thread mode", perCall(misses, [&](int i) { viaThread(missName("t", i)); }));
  ub_ctx_delete(ctx);

  ctx = unboundContext(nsd);
  ubTxt(ctx, "example.org");
  nsd.pause();
  int rc1 = 0, rc2 = 0, rc3 = 0;
  double first = ubTimed(ctx, "dead.w.example.org", 120000, rc1);
  double again = ubTimed(ctx, "dead.w.example.org", 120000, rc2);
  double other = ubTimed(ctx, "dead2.w.example.org", 120000, rc3);
  nsd.resume();
  std::printf("%-10s dead server (its own timers): first rcode %d in %.0f ms, repeat rcode %d in %.1f ms, "
              "another name rcode %d in %.0f ms (-2 = still waiting at 120 s)\n", "libunbound", rc1,
              first, rc2, again, rc3, other);
  ub_ctx_delete(ctx);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  int hits = argc > 1 ? std::atoi(argv[1]) : 200000;
  int misses = argc > 2 ? std::atoi(argv[2]) : 5000;
  std::string err;
  auto nsd = NsdServer::start({{"example.org", "@ TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
                                               "*.w TXT \"v=spf1 -all\"\n"}}, &err);
  if (!nsd) {
    std::fprintf(stderr, "nsd: %s\n", err.c_str());
    return 1;
  }
  std::printf("nsd on %s:%u; %d hits (libunbound: %d), %d misses per implementation\n",
              nsd->address().c_str(), nsd->port(), hits, hits / 10, misses);
  std::fflush(stdout);
  benchOurs(*nsd, hits, misses);
#ifdef AM_HAVE_UNBOUND
  benchUnbound(*nsd, hits, misses);
#else
  std::printf("libunbound: not built (install libunbound-dev and reconfigure)\n");
#endif
  return 0;
}
