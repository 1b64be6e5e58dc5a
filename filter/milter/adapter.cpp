// filter/milter/adapter.cpp — see adapter.h. Every callback is a few lines: fetch the Session,
// convert the arguments, call the core, map the Verdict's plan (apply.h) to smfi_* calls. C++
// exceptions never unwind into libmilter: `guarded` turns them into the configured fallback.
#include "filter/milter/adapter.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "filter/core/session.h"
#include "filter/milter/apply.h"
#include "filter/milter/listener.h"
#include "filter/milter/protocol.h"

namespace am::milter {
namespace {

static_assert(SMFIP_HDR_LEADSPC == proto::kHeaderLeadingSpace && SMFIF_ADDHDRS == proto::kActAddHeaders &&
                  SMFIF_CHGHDRS == proto::kActChangeHeaders && SMFIF_QUARANTINE == proto::kActQuarantine,
              "apply.h reads the protocol's bit values");

core::Engine* gEngine = nullptr;  // set once in setup(), before smfi_main; read-only afterwards
metrics::Gauge* gConnections = nullptr;  // the same (metrics only): milter connections open

constexpr unsigned long kWantedActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
constexpr unsigned long kWantedProtocol = SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NODATA;

// One milter connection (smfi_setpriv): what the MTA granted, and the Session of the SMTP
// connection it serves. Made at negotiation; freed at close. libmilter calls close also when the
// MTA reuses the connection for a new SMTP session (SMFIC_QUIT_NC) and does not negotiate again:
// the next connect then makes a new one that assumes everything asked for was granted, as any
// MTA that offers connection reuse (Sendmail 8.14+) grants it.
struct MilterConn {
  Granted granted;
  std::unique_ptr<core::Session> session;
};

MilterConn* conn(SMFICTX* ctx) { return static_cast<MilterConn*>(smfi_getpriv(ctx)); }

// Every MilterConn is made and freed here (the connections gauge follows them).
MilterConn* newConn(Granted g) {
  auto* c = new MilterConn{g, nullptr};
  if (gConnections) gConnections->add();
  return c;
}
void freeConn(MilterConn* c) {
  if (c && gConnections) gConnections->sub();
  delete c;
}

char* cstr(const char* s) { return const_cast<char*>(s); }

sfsistat toSfsistat(Final f) {
  switch (f) {
    case Final::Continue: return SMFIS_CONTINUE;
    case Final::Accept: return SMFIS_ACCEPT;
    case Final::Discard: return SMFIS_DISCARD;
    case Final::Reject: return SMFIS_REJECT;
    case Final::TempFail: return SMFIS_TEMPFAIL;
  }
  return SMFIS_TEMPFAIL;
}

sfsistat fallback() {
  return toSfsistat(plan(fallbackVerdict(gEngine->snapshot()->config->onInternalError), false, {}).final);
}

void fetchMacros(SMFICTX* ctx, core::Session& s, core::Stage stage) {
  for (const auto& name : core::wantedMacros(stage)) {
    if (const char* v = smfi_getsymval(ctx, cstr(name.c_str()))) s.setMacro(name, v);
  }
}

// Plans the verdict (apply.h) and makes the smfi_* calls it lists.
sfsistat apply(SMFICTX* ctx, const MilterConn& c, const core::Verdict& v, bool atEom) {
  Plan p = plan(v, atEom, c.granted);
  auto& log = gEngine->log();
  for (const auto& w : p.warnings) log.warning(w);
  for (const auto& h : p.headers) {
    char* name = cstr(h.name.c_str());
    char* value = cstr(h.value.c_str());
    int rc = h.insert ? smfi_insheader(ctx, h.index, name, value)
                      : smfi_chgheader(ctx, name, h.index, h.value.empty() ? nullptr : value);
    if (rc != MI_SUCCESS) log.warning("could not apply header change to " + h.name);
  }
  if (p.quarantine && smfi_quarantine(ctx, cstr(p.quarantine->c_str())) != MI_SUCCESS)
    log.warning("could not quarantine");
  if (p.reply) {
    const auto& r = *p.reply;
    if (smfi_setreply(ctx, cstr(r.rcode.c_str()), r.xcode.empty() ? nullptr : cstr(r.xcode.c_str()),
                      r.text.empty() ? nullptr : cstr(r.text.c_str())) != MI_SUCCESS)
      log.warning("could not set the SMTP reply " + r.rcode);
  }
  return toSfsistat(p.final);
}

// Runs `f(conn, session)`; C++ exceptions end in the fallback, never in libmilter.
template <class F>
sfsistat guarded(SMFICTX* ctx, F&& f) noexcept {
  MilterConn* c = conn(ctx);
  if (!c || !c->session) return fallback();
  try {
    return f(*c, *c->session);
  } catch (const std::exception& e) {
    gEngine->log().error(std::string("internal error: ") + e.what());
  } catch (...) {
    gEngine->log().error("internal error");
  }
  return fallback();
}

sfsistat onNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                     unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) noexcept {
  *pf0 = kWantedActions & f0;
  *pf1 = kWantedProtocol & f1;
  *pf2 = *pf3 = 0;
  const std::pair<int, core::Stage> stages[] = {{SMFIM_CONNECT, core::Stage::Connect}, {SMFIM_HELO, core::Stage::Helo},
                                                {SMFIM_ENVFROM, core::Stage::MailFrom}, {SMFIM_ENVRCPT, core::Stage::Rcpt},
                                                {SMFIM_EOM, core::Stage::EndOfMessage}};
  try {
    freeConn(conn(ctx));  // never set before negotiation; a guard only
    smfi_setpriv(ctx, newConn(Granted::from(static_cast<uint32_t>(*pf0), static_cast<uint32_t>(*pf1))));
    if (f0 & SMFIF_SETSYMLIST) {
      for (auto [id, stage] : stages) {
        std::string list;
        for (auto& m : core::wantedMacros(stage)) list += (list.empty() ? "" : " ") + m;
        smfi_setsymlist(ctx, id, cstr(list.c_str()));
      }
    }
  } catch (...) {
    gEngine->log().error("internal error in milter negotiation");
    return SMFIS_REJECT;  // libmilter drops the connection; the MTA applies its default action
  }
  return SMFIS_CONTINUE;
}

std::optional<IpAddress> toIp(const _SOCK_ADDR* sa) {
  if (!sa) return std::nullopt;
  IpAddress a;
  if (sa->sa_family == AF_INET) {
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
    return a;
  }
  if (sa->sa_family == AF_INET6) {
    a.v6 = true;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

sfsistat onConnect(SMFICTX* ctx, char* host, _SOCK_ADDR* sa) {
  try {
    if (!conn(ctx)) {  // a connection reused after SMFIC_QUIT_NC (see MilterConn)
      smfi_setpriv(ctx, newConn(Granted::from(kWantedActions, kWantedProtocol)));
    }
    conn(ctx)->session = std::make_unique<core::Session>(*gEngine);
  } catch (...) {
    return fallback();
  }
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    fetchMacros(ctx, s, core::Stage::Connect);
    return apply(ctx, c, s.connect(host ? host : "", toIp(sa)), false);
  });
}

sfsistat onHelo(SMFICTX* ctx, char* helo) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    fetchMacros(ctx, s, core::Stage::Helo);
    return apply(ctx, c, s.helo(helo ? helo : ""), false);
  });
}

sfsistat onEnvFrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    fetchMacros(ctx, s, core::Stage::MailFrom);
    return apply(ctx, c, s.mailFrom(argv && argv[0] ? argv[0] : ""), false);
  });
}

sfsistat onEnvRcpt(SMFICTX* ctx, char** argv) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    fetchMacros(ctx, s, core::Stage::Rcpt);
    return apply(ctx, c, s.rcpt(argv && argv[0] ? argv[0] : ""), false);
  });
}

sfsistat onHeader(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    return apply(ctx, c, s.header(name ? name : "", value ? value : ""), false);
  });
}

sfsistat onEoh(SMFICTX* ctx) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) { return apply(ctx, c, s.endOfHeaders(), false); });
}

sfsistat onBody(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    return apply(ctx, c, s.body(std::string_view(reinterpret_cast<const char*>(chunk), len)), false);
  });
}

sfsistat onEom(SMFICTX* ctx) {
  return guarded(ctx, [&](MilterConn& c, core::Session& s) {
    fetchMacros(ctx, s, core::Stage::EndOfMessage);
    return apply(ctx, c, s.endOfMessage(), true);
  });
}

sfsistat onAbort(SMFICTX* ctx) {
  return guarded(ctx, [&](MilterConn&, core::Session& s) {
    s.abort();
    return SMFIS_CONTINUE;
  });
}

sfsistat onClose(SMFICTX* ctx) {
  freeConn(conn(ctx));  // may be null: close can be the only callback
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

bool setup(core::Engine& engine, const std::string& socketSpec, unsigned umask, unsigned timeoutSeconds,
           std::string* error) {
  gEngine = &engine;
  // libmilter runs a thread per connection: connections are what is knowable (no worker gauge).
  if (auto* r = engine.metrics()) gConnections = &r->gauge("authmilter_milter_connections", "Milter connections open");
  static smfiDesc desc{};
  desc.xxfi_name = cstr("authmilter");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = kWantedActions;
  desc.xxfi_connect = onConnect;
  desc.xxfi_helo = onHelo;
  desc.xxfi_envfrom = onEnvFrom;
  desc.xxfi_envrcpt = onEnvRcpt;
  desc.xxfi_header = onHeader;
  desc.xxfi_eoh = onEoh;
  desc.xxfi_body = onBody;
  desc.xxfi_eom = onEom;
  desc.xxfi_abort = onAbort;
  desc.xxfi_close = onClose;
  desc.xxfi_negotiate = onNegotiate;
  std::string spec = socketSpec;
  if (smfi_setconn(cstr(spec.c_str())) != MI_SUCCESS) return *error = "smfi_setconn failed for " + spec, false;
  if (smfi_register(desc) != MI_SUCCESS) return *error = "smfi_register failed", false;
  smfi_setmaxdatasize(1 << 20);  // headers up to Postfix's header_size_limit fit in one packet
  smfi_settimeout(static_cast<int>(timeoutSeconds));  // MilterTimeout
  // libmilter's own removal (rmsocket) would unlink a socket another instance is serving on: the
  // path is checked as for our server first, and the check's lock is held until the bind is done.
  std::optional<UniqueFd> pathLock;
  std::string err;
  if (auto unixSpec = ListenSpec::parse(spec, &err); unixSpec && unixSpec->kind == ListenSpec::Kind::Unix) {
    pathLock = claimUnixPath(unixSpec->path, &err);
    if (!pathLock) return *error = "cannot open milter socket " + spec + ": " + err, false;
  }
  mode_t old = ::umask(umask);
  int rc = smfi_opensocket(true);
  ::umask(old);
  if (rc != MI_SUCCESS) return *error = "cannot open milter socket " + spec, false;
  return true;
}

int run() { return smfi_main(); }

void stop() { smfi_stop(); }

}  // namespace am::milter
