// tests/milterclient/libmilter_filter.cpp — test-only filter built on the real libmilter, so the
// milter client is proven against libmilter itself (not only against our fake server).
//   am_test_libmilter_filter SOCKET [leadspc]
// Behaviour: rejects MAIL FROM <reject@example.com> with "550 5.7.1 sender rejected"; tempfails
// RCPT TO <tempfail@example.com>; at end of message inserts "X-Test-Inserted: yes" at the top,
// deletes the first X-Remove-Me header, adds an X-Seen header reporting what it received
// (client address, HELO, sender, macros, Subject value in brackets, body size and chunk count),
// and quarantines when the Subject contains "quarantine". With "leadspc" it negotiates
// SMFIP_HDR_LEADSPC (and writes its own values with a leading space).
// Per-connection state lives in smfi_setpriv; libmilter serializes callbacks of one connection.
#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace {

bool gLeadSpace = false;  // set once in main() before smfi_main starts any thread

struct Session {
  std::string client, helo, from, auth, qid, subject;
  size_t bodyBytes = 0, bodyChunks = 0;
  void resetMessage() {
    from.clear(); auth.clear(); qid.clear(); subject.clear();
    bodyBytes = bodyChunks = 0;
  }
};

Session* session(SMFICTX* ctx) { return static_cast<Session*>(smfi_getpriv(ctx)); }
char* mut(const char* s) { return const_cast<char*>(s); }
std::string value(const std::string& v) { return gLeadSpace ? " " + v : v; }
std::string macro(SMFICTX* ctx, const char* name) {
  const char* v = smfi_getsymval(ctx, mut(name));
  return v ? v : "";
}

sfsistat onNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                     unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
  *pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
  *pf1 = (gLeadSpace ? SMFIP_HDR_LEADSPC : 0) & f1;
  *pf2 = *pf3 = 0;
  smfi_setsymlist(ctx, SMFIM_ENVFROM, mut("{auth_authen} i"));
  smfi_setsymlist(ctx, SMFIM_EOM, mut("i"));
  return SMFIS_CONTINUE;
}

sfsistat onConnect(SMFICTX* ctx, char*, _SOCK_ADDR* addr) {
  auto* s = new Session;
  char buf[INET6_ADDRSTRLEN] = "";
  if (addr && addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(addr)->sin_addr, buf, sizeof buf);
  else if (addr && addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(addr)->sin6_addr, buf, sizeof buf);
  s->client = buf;
  smfi_setpriv(ctx, s);
  return SMFIS_CONTINUE;
}

sfsistat onHelo(SMFICTX* ctx, char* helo) {
  if (auto* s = session(ctx)) s->helo = helo;
  return SMFIS_CONTINUE;
}

sfsistat onEnvFrom(SMFICTX* ctx, char** argv) {
  Session* s = session(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  s->resetMessage();
  s->from = argv[0];
  s->auth = macro(ctx, "{auth_authen}");
  if (s->from == "<reject@example.com>") {
    smfi_setreply(ctx, mut("550"), mut("5.7.1"), mut("sender rejected"));
    return SMFIS_REJECT;
  }
  return SMFIS_CONTINUE;
}

sfsistat onEnvRcpt(SMFICTX*, char** argv) {
  return std::strcmp(argv[0], "<tempfail@example.com>") == 0 ? SMFIS_TEMPFAIL : SMFIS_CONTINUE;
}

sfsistat onHeader(SMFICTX* ctx, char* name, char* val) {
  if (auto* s = session(ctx); s && strcasecmp(name, "Subject") == 0) s->subject = val;
  return SMFIS_CONTINUE;
}

sfsistat onBody(SMFICTX* ctx, unsigned char*, size_t len) {
  if (auto* s = session(ctx)) {
    s->bodyBytes += len;
    ++s->bodyChunks;
  }
  return SMFIS_CONTINUE;
}

sfsistat onEom(SMFICTX* ctx) {
  Session* s = session(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  s->qid = macro(ctx, "i");
  std::string seen = "client=[" + s->client + "] helo=[" + s->helo + "] from=[" + s->from + "] auth=[" +
                     s->auth + "] qid=[" + s->qid + "] subject=[" + s->subject + "] body=" +
                     std::to_string(s->bodyBytes) + "/" + std::to_string(s->bodyChunks);
  if (smfi_insheader(ctx, 0, mut("X-Test-Inserted"), mut(value("yes").c_str())) != MI_SUCCESS ||
      smfi_chgheader(ctx, mut("X-Remove-Me"), 1, nullptr) != MI_SUCCESS ||
      smfi_addheader(ctx, mut("X-Seen"), mut(value(seen).c_str())) != MI_SUCCESS)
    return SMFIS_TEMPFAIL;
  if (s->subject.find("quarantine") != std::string::npos) smfi_quarantine(ctx, mut("test quarantine"));
  s->resetMessage();
  return SMFIS_ACCEPT;
}

sfsistat onAbort(SMFICTX* ctx) {
  if (auto* s = session(ctx)) s->resetMessage();
  return SMFIS_CONTINUE;
}

sfsistat onClose(SMFICTX* ctx) {
  delete session(ctx);
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  gLeadSpace = argc > 2 && std::strcmp(argv[2], "leadspc") == 0;
  smfiDesc desc{};
  desc.xxfi_name = mut("am-test-libmilter-filter");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
  desc.xxfi_connect = onConnect;
  desc.xxfi_helo = onHelo;
  desc.xxfi_envfrom = onEnvFrom;
  desc.xxfi_envrcpt = onEnvRcpt;
  desc.xxfi_header = onHeader;
  desc.xxfi_body = onBody;
  desc.xxfi_eom = onEom;
  desc.xxfi_abort = onAbort;
  desc.xxfi_close = onClose;
  desc.xxfi_negotiate = onNegotiate;
  if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS ||
      smfi_settimeout(30) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS)
    return 1;
  int rc = smfi_main();
  _exit(rc == MI_SUCCESS ? 0 : 1);  // no static destructors under possibly live callbacks
}
