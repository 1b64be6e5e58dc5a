/* contrib/bench/unbound_shim.c — LD_PRELOAD shim for OpenDKIM in the benchmark only.
 *
 * OpenDKIM resolves through libunbound, which by default (a) never queries 127.0.0.0/8
 * (do-not-query-localhost) and (b) answers NXDOMAIN itself for the RFC 6761 name "test." (a default static local zone;
 * "transparent" overrides it, "nodefault" set this way does not).
 * The bench's nsd serves the corpus zones under "test." on 127.0.0.1:53, so every libunbound
 * context OpenDKIM creates gets those two options turned off here. OpenDKIM's own way
 * (ResolverConfiguration, an unbound.conf file) crashes Debian's opendkim 2.11.0~beta2 under
 * concurrency: "fatal flex scanner internal error--end of buffer missed", then SIGSEGV
 * (the config file is parsed by libunbound's non-reentrant flex scanner from several threads).
 * ub_ctx_set_option does not use that scanner. Stateless; thread-safe as libunbound is. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

struct ub_ctx;
int ub_ctx_set_option(struct ub_ctx* ctx, const char* opt, const char* val);

struct ub_ctx* ub_ctx_create(void) {
  struct ub_ctx* (*real)(void) = (struct ub_ctx * (*)(void)) dlsym(RTLD_NEXT, "ub_ctx_create");
  struct ub_ctx* ctx = real ? real() : NULL;
  if (ctx) {
    ub_ctx_set_option(ctx, "do-not-query-localhost:", "no");
    ub_ctx_set_option(ctx, "local-zone:", "test. transparent");
  }
  return ctx;
}
