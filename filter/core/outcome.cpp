// filter/core/outcome.cpp — see outcome.h.
#include "filter/core/outcome.h"

#include <algorithm>
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

std::optional<policy::ArcEvidence> arcEvidence(const arc::ChainResult& r) {
  if (r.cv != arc::Cv::Pass) return std::nullopt;
  policy::ArcEvidence e;
  e.pass = true;
  e.sealer = r.sealer;
  auto domainOf = [](const std::string* v) {
    if (v == nullptr) return std::string();
    auto at = v->rfind('@');
    return at == std::string::npos ? *v : v->substr(at + 1);
  };
  for (const arc::AarResult& a : r.aarResults) {
    const std::string* d = nullptr;
    if (a.method == "dmarc") d = a.prop("header.from");
    else if (a.method == "dkim") d = a.prop("header.d") ? a.prop("header.d") : a.prop("header.i");
    else if (a.method == "spf") d = a.prop("smtp.mailfrom");
    else continue;
    e.claims.push_back({a.method, a.result, domainOf(d)});
  }
  return e;
}

MessageOutcome conclude(MessageOutcome o, const Snapshot& snap, Resolver& dns) {
  const auto& cfg = *snap.config;
  if (!o.evaluated) return o;  // outgoing mail we sign: accepted, nothing to enforce
  policy::DmarcOptions opts = dmarcOptions(cfg, snap.policy->honorPct);
  o.dmarcMode = opts.mode;
  if (o.from.status == policy::FromResult::Status::Ok) {
    SystemRng rng;
    o.dmarc = policy::evaluate(o.from.domain, o.spfMailFrom, o.dkim, dns, snap.psl.get(), opts, rng);
  }
  auto arc = arcEvidence(o.arc);
  o.disposition = policy::decide(o.from, o.dmarc ? &*o.dmarc : nullptr, o.spfMailFrom, *snap.policy, o.client,
                                 dispositionOptions(cfg), arc ? &*arc : nullptr);
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

std::vector<UpstreamResult> trustedAuthResults(const std::vector<std::pair<std::string, std::string>>& headers,
                                               const std::vector<std::string>& trusted, std::string_view ours) {
  constexpr size_t kMax = 16;
  std::vector<UpstreamResult> out;
  if (trusted.empty()) return out;
  std::string us = normalizeDomain(ours);
  for (auto& [name, value] : headers) {
    if (!iequals(name, "Authentication-Results") || out.size() >= kMax) continue;
    std::string id = normalizeDomain(authres::authservIdOf(value));
    bool isTrusted = std::any_of(trusted.begin(), trusted.end(), [&](const std::string& t) { return normalizeDomain(t) == id; });
    if (id.empty() || id == us || !isTrusted) continue;
    auto parsed = authres::parse(value, nullptr);
    if (!parsed) continue;
    for (auto& r : parsed->results) {
      if (out.size() >= kMax) break;
      out.push_back({id, r.method, r.result});
    }
  }
  return out;
}

}  // namespace am::core
