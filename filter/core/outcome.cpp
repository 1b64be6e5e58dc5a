// filter/core/outcome.cpp — see outcome.h.
#include "filter/core/outcome.h"

#include <random>

#include "common/strings.h"
#include "filter/authres/authres.h"
#include "filter/core/options.h"

namespace am::core {
namespace {

class SystemRng final : public policy::Rng {
 public:
  unsigned percent() override {
    thread_local std::mt19937 gen{std::random_device{}()};  // per thread, not per connection
    return std::uniform_int_distribution<unsigned>(0, 99)(gen);
  }
};

}  // namespace

MessageOutcome conclude(MessageOutcome o, const Snapshot& snap, Resolver& dns) {
  const auto& cfg = *snap.config;
  if (!o.evaluated) return o;  // outgoing mail we sign: accepted, nothing to enforce
  policy::DmarcOptions opts = dmarcOptions(cfg, snap.policy->honorPct);
  o.dmarcMode = opts.mode;
  if (o.from.status == policy::FromResult::Status::Ok) {
    SystemRng rng;
    o.dmarc = policy::evaluate(o.from.domain, o.spfMailFrom, o.dkim, dns, snap.psl.get(), opts, rng);
  }
  o.disposition = policy::decide(o.from, o.dmarc ? &*o.dmarc : nullptr, o.spfMailFrom, *snap.policy, o.client,
                                 dispositionOptions(cfg));
  return o;
}

std::vector<int> forgedAuthResults(const std::vector<std::pair<std::string, std::string>>& headers,
                                   std::string_view authservId) {
  std::vector<int> idx;
  int n = 0;
  for (auto& [name, value] : headers) {
    if (!iequals(name, "Authentication-Results")) continue;
    ++n;
    if (authres::forgesAuthservId(value, authservId)) idx.push_back(n);
  }
  return {idx.rbegin(), idx.rend()};  // highest first: deleting one never shifts the next (CVE-2022-48521)
}

}  // namespace am::core
