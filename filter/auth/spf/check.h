// filter/auth/spf/check.h — one check_host() evaluation (RFC 7208 §4–§6) with its state: the
// macro values, the global term / void counters, the deadline and the %{p} cache. A Check lives
// on the caller's stack for a single evaluation and is not shared between threads. Internal.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/auth_types.h"
#include "common/clock.h"
#include "common/dns.h"
#include "filter/auth/spf/macro.h"
#include "filter/auth/spf/record.h"
#include "filter/auth/spf/spf.h"

namespace am::spf {

struct Outcome {
  SpfResult result = SpfResult::None;
  std::string reason;
  std::string explanation;
};

class Check {
 public:
  Check(Resolver& dns, const Options& opts, const Clock& clock, const IpAddress& client,
        std::string_view sender, std::string_view helo);
  // check_host() on an already validated <domain>; wantExp: compute exp= text on fail.
  Outcome run(const std::string& domain, bool wantExp);

  const std::string& sender() const { return sender_; }
  const std::string& senderDomain() const { return senderDomain_; }

 private:
  enum class Match { Yes, No, Abort };
  struct TermResult {
    Match match = Match::No;
    Outcome abort;  // when match == Abort
  };

  Outcome evaluate(const Record& rec, const std::string& domain, bool wantExp);
  TermResult mechanism(const Mechanism& m, const std::string& domain);
  std::optional<TermResult> startLookupTerm(const Mechanism& m, const std::string& domain,
                                            std::optional<std::string>& name);
  TermResult addressMech(const Mechanism& m, const std::string& domain);
  TermResult mxMech(const Mechanism& m, const std::string& domain);
  TermResult ptrMech(const Mechanism& m, const std::string& domain);
  TermResult existsMech(const Mechanism& m, const std::string& domain);
  TermResult includeMech(const Mechanism& m, const std::string& domain);
  Outcome redirect(const std::string& spec, const std::string& domain, bool wantExp);
  std::string explain(const std::string& spec, const std::string& domain);

  // Limits. Each returns an abort outcome when the limit is hit.
  std::optional<Outcome> countTerm();
  std::optional<Outcome> countVoid();
  std::optional<Outcome> checkDeadline();
  // Expands a domain-spec (or returns `domain` for an empty one); nullopt = not a usable name.
  std::optional<std::string> target(const std::string& spec, const std::string& domain);
  MacroEnv env(const std::string& domain);
  std::string validatedName(const std::string& domain);
  bool addressMatches(const std::string& name, int cidr4, int cidr6, DnsStatus* status);

  Resolver& dns_;
  const Options& opts_;
  const Clock& clock_;
  std::chrono::steady_clock::time_point deadline_;
  IpAddress client_;
  std::string sender_, local_, senderDomain_, helo_;
  unsigned terms_ = 0, voids_ = 0, depth_ = 0;
  std::optional<std::vector<std::string>> validated_;  // %{p}: validated PTR names
};

}  // namespace am::spf
