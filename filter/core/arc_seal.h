// filter/core/arc_seal.h — the ARC sealer as a consumer of the MessageOutcome (RFC 8617 §5.1):
// which message gets sealed, and the three header edits once the verdict is final.
//
// startArcSeal() is called at the end of the headers of mail we verify: the first `arc-seal`
// rule whose domain holds a recipient starts a Sealing (null when no rule matches, so mail
// without a matching rule pays nothing but the rule check). sealEdits() runs after conclude():
// only accepted or quarantined mail is sealed; the AAR carries our own Authentication-Results,
// the cv and instance come from the ARC chain status of the outcome. The edits insert AAR, AMS
// and AS at the top of the header (AS first), after every other edit of the Verdict.
// Thread-safety: per message, like Session.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "filter/auth/arc_seal/sealer.h"
#include "filter/core/consumers.h"
#include "filter/core/engine.h"
#include "filter/core/outcome.h"
#include "filter/core/verdict.h"

namespace am::core {

std::unique_ptr<arcseal::Sealing> startArcSeal(const Snapshot& snap, const std::vector<std::string>& rcpts,
                                               const std::vector<std::string>& signHeaders, const Clock& clock);

// The chain status to seal: the ARC verifier's cv and highest instance (arc::ChainResult).
arcseal::ChainStatus chainStatus(const MessageOutcome& o);

struct SealResult {
  std::vector<HeaderEdit> edits;  // empty when not sealed
  LogExtra logFields;             // arc.seal=yes arc.seal.i=N, or arc.seal=no arc.seal.reason=..., for the log line
};
SealResult sealEdits(const MessageOutcome& o, arcseal::Sealing& s, std::string_view authservId);

}  // namespace am::core
