// tests/spf/libspf2_engine.cpp — see libspf2_engine.h. Follows libraries.md §3: the DNS layer is
// caller-owned (declared first, destroyed last), lookups never return NULL, SPF_RESULT_INVALID
// is mapped through the error code (DNS error -> temperror, anything else -> permerror).
#include "tests/spf/libspf2_engine.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

extern "C" {
#include <spf2/spf.h>
}

#include "common/strings.h"

namespace am::spftest {
namespace {

struct ServerFree { void operator()(SPF_server_t* s) const { SPF_server_free(s); } };
struct RequestFree { void operator()(SPF_request_t* r) const { SPF_request_free(r); } };
struct ResponseFree { void operator()(SPF_response_t* r) const { SPF_response_free(r); } };

const char* typeName(ns_type t) {
  switch (t) {
    case ns_t_a: return "A";
    case ns_t_aaaa: return "AAAA";
    case ns_t_mx: return "MX";
    case ns_t_txt: return "TXT";
    case ns_t_ptr: return "PTR";
    default: return "";
  }
}

bool fill(SPF_dns_rr_t* rr, int i, const Rr& rec, ns_type t) {
  if (t == ns_t_a || t == ns_t_aaaa) {
    size_t len = t == ns_t_a ? sizeof(in_addr) : sizeof(in6_addr);
    if (SPF_dns_rr_buf_realloc(rr, i, len) != SPF_E_SUCCESS) return false;
    void* dst = t == ns_t_a ? static_cast<void*>(&rr->rr[i]->a) : static_cast<void*>(&rr->rr[i]->aaaa);
    return inet_pton(t == ns_t_a ? AF_INET : AF_INET6, rec.value.c_str(), dst) == 1;
  }
  std::string v = t == ns_t_txt ? rec.value : normalizeDomain(rec.value);
  if (SPF_dns_rr_buf_realloc(rr, i, v.size() + 1) != SPF_E_SUCCESS) return false;
  std::memcpy(rr->rr[i]->txt, v.c_str(), v.size() + 1);  // union: txt/mx/ptr share storage
  return true;
}

SPF_dns_rr_t* zoneLookup(SPF_dns_server_t* s, const char* domain, ns_type t, int) {
  const Zone* zone = *static_cast<const Zone**>(s->hook);
  TypeAnswer a = lookup(*zone, domain, typeName(t));
  SPF_dns_stat_t st = a.timeout ? TRY_AGAIN : !a.exists ? HOST_NOT_FOUND : a.records.empty() ? NO_DATA : NETDB_SUCCESS;
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(s, domain, t, 60, st);
  if (!rr || st != NETDB_SUCCESS) return rr;
  int n = 0;
  for (const Rr& rec : a.records)
    if (fill(rr, n, rec, t)) ++n;
  rr->num_rr = n;
  if (n == 0) rr->herrno = NO_DATA;
  return rr;
}

SpfResult mapResult(SPF_result_t r, SPF_errcode_t err) {
  switch (r) {
    case SPF_RESULT_PASS: return SpfResult::Pass;
    case SPF_RESULT_FAIL: return SpfResult::Fail;
    case SPF_RESULT_SOFTFAIL: return SpfResult::SoftFail;
    case SPF_RESULT_NEUTRAL: return SpfResult::Neutral;
    case SPF_RESULT_NONE: return SpfResult::None;
    case SPF_RESULT_TEMPERROR: return SpfResult::TempError;
    case SPF_RESULT_PERMERROR: return SpfResult::PermError;
    default: return err == SPF_E_DNS_ERROR ? SpfResult::TempError : SpfResult::PermError;
  }
}

void quiet(const char*, int, const char*) {}

class Engine {
 public:
  Engine() {
    dns_.lookup = zoneLookup;
    dns_.name = "testzone";
    dns_.hook = &zone_;
    server_.reset(SPF_server_new_dns(&dns_, 0));
  }
  SpfResult check(const RefCase& c) {
    zone_ = c.zone;
    std::unique_ptr<SPF_request_t, RequestFree> req(SPF_request_new(server_.get()));
    bool v6 = c.client.find(':') != std::string::npos;
    if (v6) SPF_request_set_ipv6_str(req.get(), c.client.c_str());
    else SPF_request_set_ipv4_str(req.get(), c.client.c_str());
    SPF_request_set_helo_dom(req.get(), c.helo.c_str());
    SPF_request_set_env_from(req.get(), c.mailFrom.c_str());
    SPF_response_t* raw = nullptr;
    SPF_errcode_t err = SPF_request_query_mailfrom(req.get(), &raw);
    std::unique_ptr<SPF_response_t, ResponseFree> resp(raw);  // allocated even on failure
    if (!resp) return SpfResult::PermError;
    return mapResult(SPF_response_result(resp.get()), err);
  }

 private:
  const Zone* zone_ = nullptr;
  SPF_dns_server_t dns_{};  // declared before server_: destroyed after it
  std::unique_ptr<SPF_server_t, ServerFree> server_;
};

// Child: evaluates cases [from, to) and writes one result byte each; never returns.
[[noreturn]] void child(const std::vector<RefCase>& cases, size_t from, size_t to, int fd) {
  alarm(30);  // a hung libspf2 ends as a crash, not a hung test
  SPF_warning_handler = quiet;
  SPF_info_handler = quiet;
  SPF_debug_handler = quiet;
  {
    Engine e;
    for (size_t i = from; i < to; ++i) {
      auto b = static_cast<char>(e.check(cases[i]));
      if (write(fd, &b, 1) != 1) break;
    }
  }
  _exit(0);
}

// Forks one child for [from, to); fills results for the cases it finished.
size_t runBatch(const std::vector<RefCase>& cases, size_t from, size_t to,
                std::vector<std::optional<SpfResult>>& out) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    child(cases, from, to, fds[1]);
  }
  close(fds[1]);
  size_t done = 0;
  char b;
  while (pid > 0 && from + done < to && read(fds[0], &b, 1) == 1) out[from + done++] = static_cast<SpfResult>(b);
  close(fds[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  return done;
}

}  // namespace

std::vector<std::optional<SpfResult>> runInChildren(const std::vector<RefCase>& cases, size_t batch) {
  std::vector<std::optional<SpfResult>> out(cases.size());
  size_t i = 0;
  while (i < cases.size()) {
    size_t to = std::min(cases.size(), i + batch);
    size_t done = runBatch(cases, i, to, out);
    i += done;
    if (i < to) ++i;  // case i crashed libspf2: leave it nullopt, go on after it
  }
  return out;
}

}  // namespace am::spftest
