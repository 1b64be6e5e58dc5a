// filter/milter/adapter.cpp — see adapter.h. Every callback is a few lines: fetch the Session,
// convert the arguments, call the core, map the Verdict. C++ exceptions never unwind into libmilter:
// `guarded` turns them into the configured fallback.
#include "filter/milter/adapter.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cstring>
#include <optional>
#include <string_view>

#include "filter/core/session.h"
#include "filter/milter/listener.h"

namespace am::milter {
namespace {

core::Engine* gEngine = nullptr;  // set once in setup(), before smfi_main; read-only afterwards

char* cstr(const char* s) { return const_cast<char*>(s); }

sfsistat fallback() {
  auto snap = gEngine->snapshot();
  return snap->config->onInternalError == config::FallbackAction::Accept ? SMFIS_ACCEPT : SMFIS_TEMPFAIL;
}

void fetchMacros(SMFICTX* ctx, core::Session& s, core::Stage stage) {
  for (const auto& name : core::wantedMacros(stage)) {
    if (const char* v = smfi_getsymval(ctx, cstr(name.c_str()))) s.setMacro(name, v);
  }
}

// Escape '%' for smfi_setreply, which treats the text as a format.
std::string replyText(std::string_view t) {
  std::string out;
  for (char c : t) {
    if (c == '%') out += '%';
    if (c == '\r' || c == '\n') c = ' ';
    out += c;
  }
  return out;
}

sfsistat apply(SMFICTX* ctx, const core::Verdict& v, bool atEom) {
  if (atEom) {
    for (const auto& e : v.edits) {
      // We negotiate SMFIP_HDR_LEADSPC, so the MTA writes "Name:" + value verbatim: add the space.
      std::string value = e.value.empty() || e.value[0] == ' ' || e.value[0] == '\t' ? e.value : " " + e.value;
      int rc = e.kind == core::HeaderEdit::Kind::Insert
                   ? smfi_insheader(ctx, e.index, cstr(e.name.c_str()), cstr(value.c_str()))
                   : smfi_chgheader(ctx, cstr(e.name.c_str()), e.index, e.value.empty() ? nullptr : cstr(value.c_str()));
      if (rc != MI_SUCCESS) gEngine->log().warning("could not apply header change to " + e.name);
    }
    if (v.quarantine) smfi_quarantine(ctx, cstr(replyText(*v.quarantine).c_str()));
  }
  switch (v.action) {
    case core::Action::Continue: return SMFIS_CONTINUE;
    case core::Action::Accept: return SMFIS_ACCEPT;
    case core::Action::Discard: return SMFIS_DISCARD;
    case core::Action::Reject:
    case core::Action::TempFail: {
      if (!v.rcode.empty())
        smfi_setreply(ctx, cstr(v.rcode.c_str()), cstr(v.xcode.c_str()), cstr(replyText(v.text).c_str()));
      return v.action == core::Action::Reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
    }
  }
  return SMFIS_CONTINUE;
}

template <class F>
sfsistat guarded(SMFICTX* ctx, F&& f) noexcept {
  auto* s = static_cast<core::Session*>(smfi_getpriv(ctx));
  if (!s) return fallback();
  try {
    return f(*s);
  } catch (const std::exception& e) {
    gEngine->log().error(std::string("internal error: ") + e.what());
  } catch (...) {
    gEngine->log().error("internal error");
  }
  return fallback();
}

sfsistat onNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                     unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
  *pf0 = (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST) & f0;
  *pf1 = (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NODATA) & f1;
  *pf2 = *pf3 = 0;
  const std::pair<int, core::Stage> stages[] = {{SMFIM_CONNECT, core::Stage::Connect}, {SMFIM_HELO, core::Stage::Helo},
                                                {SMFIM_ENVFROM, core::Stage::MailFrom}, {SMFIM_ENVRCPT, core::Stage::Rcpt},
                                                {SMFIM_EOM, core::Stage::EndOfMessage}};
  if (f0 & SMFIF_SETSYMLIST) {
    for (auto [id, stage] : stages) {
      std::string list;
      for (auto& m : core::wantedMacros(stage)) list += (list.empty() ? "" : " ") + m;
      smfi_setsymlist(ctx, id, cstr(list.c_str()));
    }
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
  core::Session* s = nullptr;
  try {
    s = new core::Session(*gEngine);
  } catch (...) {
    return fallback();
  }
  smfi_setpriv(ctx, s);
  return guarded(ctx, [&](core::Session& s) {
    fetchMacros(ctx, s, core::Stage::Connect);
    return apply(ctx, s.connect(host ? host : "", toIp(sa)), false);
  });
}

sfsistat onHelo(SMFICTX* ctx, char* helo) {
  return guarded(ctx, [&](core::Session& s) {
    fetchMacros(ctx, s, core::Stage::Helo);
    return apply(ctx, s.helo(helo ? helo : ""), false);
  });
}

sfsistat onEnvFrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, [&](core::Session& s) {
    fetchMacros(ctx, s, core::Stage::MailFrom);
    return apply(ctx, s.mailFrom(argv && argv[0] ? argv[0] : ""), false);
  });
}

sfsistat onEnvRcpt(SMFICTX* ctx, char** argv) {
  return guarded(ctx, [&](core::Session& s) {
    fetchMacros(ctx, s, core::Stage::Rcpt);
    return apply(ctx, s.rcpt(argv && argv[0] ? argv[0] : ""), false);
  });
}

sfsistat onHeader(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, [&](core::Session& s) { return apply(ctx, s.header(name ? name : "", value ? value : ""), false); });
}

sfsistat onEoh(SMFICTX* ctx) {
  return guarded(ctx, [&](core::Session& s) { return apply(ctx, s.endOfHeaders(), false); });
}

sfsistat onBody(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  return guarded(ctx, [&](core::Session& s) {
    return apply(ctx, s.body(std::string_view(reinterpret_cast<const char*>(chunk), len)), false);
  });
}

sfsistat onEom(SMFICTX* ctx) {
  return guarded(ctx, [&](core::Session& s) {
    fetchMacros(ctx, s, core::Stage::EndOfMessage);
    return apply(ctx, s.endOfMessage(), true);
  });
}

sfsistat onAbort(SMFICTX* ctx) {
  return guarded(ctx, [&](core::Session& s) {
    s.abort();
    return SMFIS_CONTINUE;
  });
}

sfsistat onClose(SMFICTX* ctx) {
  delete static_cast<core::Session*>(smfi_getpriv(ctx));  // may be null: close can be the only callback
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

bool setup(core::Engine& engine, const std::string& socketSpec, unsigned umask, std::string* error) {
  gEngine = &engine;
  static smfiDesc desc{};
  desc.xxfi_name = cstr("authmilter");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
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
  smfi_settimeout(600);
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
