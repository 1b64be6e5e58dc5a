// filter/auth/spf/spf.h — the SPF evaluator (RFC 7208): check_host() for the MAIL FROM and
// HELO identities over the one am::Resolver, plus the Received-SPF header value (§9.1).
//
// Our own engine, not libspf2 (see docs/spf.md): a strict ABNF parser, every mechanism and
// modifier, macro expansion, and limits that hold across the WHOLE evaluation (DNS-querying
// terms incl. nested include/redirect, void lookups, MX/PTR names, a wall-clock budget read
// from the injected Clock). Untrusted input (records, macros, names) only ever produces one of
// the seven RFC results, never an exception, assert or unbounded loop.
//
// Ownership: the Evaluator keeps references to the Resolver and the Clock; both must outlive
// it. Thread-safety: every method is const and keeps its per-check state on the stack, so one
// Evaluator may serve many threads at once (as long as the Resolver is thread-safe, which the
// Resolver contract requires).
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "common/auth_types.h"
#include "common/clock.h"
#include "common/dns.h"
#include "common/ip.h"

namespace am::spf {

struct Options {
  unsigned maxDnsTerms = 10;     // include, a, mx, ptr, exists, redirect (RFC 7208 §4.6.4)
  unsigned maxVoidLookups = 2;   // NXDOMAIN / empty answers to those terms (§4.6.4)
  unsigned maxMxPtrNames = 10;   // names taken from one MX or PTR answer (§4.6.4)
  std::chrono::milliseconds timeBudget{20000};  // per check; exceeded -> temperror (§4.6.4)
  std::string receiver = "localhost";           // %{r} and Received-SPF receiver=
};

class Evaluator {
 public:
  Evaluator(am::Resolver& dns, Options opts, const am::Clock& clock = am::SystemClock::instance());

  // RFC 7208 check_host(); sender is "local@domain" (already postmaster@ for null senders).
  am::SpfOutput checkHost(const am::IpAddress& client, std::string_view domain, std::string_view sender,
                          std::string_view helo) const;
  // MAIL FROM identity: mailFrom as given by the MTA ("<a@b>", "a@b", "<>", "") -> handles null sender.
  am::SpfOutput checkMailFrom(const am::IpAddress& client, std::string_view mailFrom,
                              std::string_view helo) const;
  am::SpfOutput checkHelo(const am::IpAddress& client, std::string_view helo) const;

  const Options& options() const { return opts_; }

 private:
  am::Resolver* dns_;
  Options opts_;
  const am::Clock* clock_;
};

// Value of a Received-SPF header (no "Received-SPF:" prefix), RFC 7208 §9.1, with key=value pairs.
// One line, ASCII only; untrusted parts are quoted or sanitised and capped in length.
std::string receivedSpf(const am::SpfOutput& out, const am::IpAddress& client, std::string_view helo,
                        std::string_view receiver);

// SpfOutput.reason starts with this prefix when a mechanism decided the result
// ("mechanism ip4:192.0.2.0/24 matched" -> Received-SPF mechanism="ip4:192.0.2.0/24").
inline constexpr std::string_view kMatchedPrefix = "mechanism ";
inline constexpr std::string_view kMatchedSuffix = " matched";

}  // namespace am::spf
