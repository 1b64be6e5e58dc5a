// filter/core/arc_seal.cpp — see arc_seal.h.
#include "filter/core/arc_seal.h"

#include "common/strings.h"
#include "filter/auth/arc_seal/arc_headers.h"
#include "filter/auth/dkim_sign/keystore.h"
#include "filter/core/consumers.h"
#include "filter/core/log.h"

namespace am::core {

std::unique_ptr<arcseal::Sealing> startArcSeal(const Snapshot& snap, const std::vector<std::string>& rcpts,
                                               const std::vector<std::string>& signHeaders, const Clock& clock) {
  if (snap.arcSealers.empty() || !snap.keys) return nullptr;
  for (const auto& s : snap.arcSealers)
    for (const auto& r : rcpts) {
      std::string_view a = trim(r);
      if (!a.empty() && a.front() == '<') a.remove_prefix(1);
      if (!a.empty() && a.back() == '>') a.remove_suffix(1);
      auto at = a.rfind('@');
      if (at == std::string_view::npos || !s.rule.matches(a.substr(at + 1))) continue;
      const dkim::LoadedKey* key = snap.keys->find(s.key);
      if (!key) return nullptr;
      arcseal::SealOptions o;
      o.signHeaders = signHeaders;
      return std::make_unique<arcseal::Sealing>(arcseal::SealKey{key, s.rule.domain, s.rule.selector}, o, clock);
    }
  return nullptr;
}

arcseal::ChainStatus chainStatus(const MessageOutcome& o) {
  // The verifier's answer (it runs for every message with ARC fields). Mail with ARC fields that
  // was not validated keeps cv none / instance 0; the sealer then refuses, since the header
  // shows a chain it cannot vouch for.
  if (o.arc.cv == arc::Cv::None) return {arc::Cv::None, 0};
  return {o.arc.cv, o.arc.lastInstance > 0 ? static_cast<unsigned>(o.arc.lastInstance) : 0u};
}

SealResult sealEdits(const MessageOutcome& o, arcseal::Sealing& s, std::string_view authservId) {
  SealResult r;
  Action a = o.disposition.action;
  if (a != Action::Accept && a != Action::Quarantine && a != Action::Continue) return r;
  auto ar = arcseal::splitAuthResults(authResultsHeader(o, authservId));
  auto out = s.finish(chainStatus(o), authservId, ar ? ar->results : std::string());
  if (!out.set) {
    r.logFields = {{"arc.seal", "no"}, {"arc.seal.reason", out.reason}};
    return r;
  }
  r.logFields = {{"arc.seal", "yes"}, {"arc.seal.i", std::to_string(out.set->instance)}};
  r.edits.push_back({HeaderEdit::Kind::Insert, "ARC-Authentication-Results", 0, out.set->aar});
  r.edits.push_back({HeaderEdit::Kind::Insert, "ARC-Message-Signature", 0, out.set->ams});
  r.edits.push_back({HeaderEdit::Kind::Insert, "ARC-Seal", 0, out.set->as});
  return r;
}

}  // namespace am::core
