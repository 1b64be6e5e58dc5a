// filter/auth/dkim/classify.h — turns what an engine found about one signature into an RFC 8601
// result and a short reason (one table, no formatting ladders). Engine-neutral: the facts are
// SigError values and plain flags; the libopendkim engine maps its own codes onto them.
// Precedence, first match wins:
//   1. our tag-list check failed (duplicates, bad syntax)        → permerror
//   2. the signature header is rejected (missing tags, bad c=/a=/q=, i= outside d=)
//                                                                  → permerror
//   3. time: expired / in the future by the injected clock        → permerror
//   4. key retrieval: temporary DNS failure → temperror; no key, revoked, bad or over-long key
//      record → permerror
//   5. algorithm not in VerifyOptions::algorithms                 → policy
//   6. RSA key shorter than minKeyBits                            → policy
//   7. cryptography: header signature or body hash mismatch       → fail (neutral for t=y keys)
//   8. l= leaves unsigned body and BodyLength::Fail               → policy
//   9. otherwise                                                  → pass
// Pure function; thread-safe.
#pragma once
#include <string>
#include <utility>

#include "common/auth_types.h"
#include "filter/auth/dkim/key_lookup.h"
#include "filter/auth/dkim/primitives/sig_error.h"

namespace am::dkim {

enum class BodyHashCheck { NotChecked, Match, Mismatch };

struct SigFacts {
  std::string tagProblem;        // from checkSignatureTags(); empty if fine
  std::string timeProblem;       // from the clock check; empty if fine
  SigError error = SigError::None;
  std::string otherText;         // the engine's reason when error is SigError::Other
  bool processed = false;        // the key was obtained and the signature taken to the crypto stage
  bool headerVerified = false;   // the header signature verified
  bool testKey = false;          // the key record says t=y
  BodyHashCheck bodyHash = BodyHashCheck::NotChecked;
  std::string algorithm;         // a= as written
  bool algorithmAccepted = true;
  bool ed25519 = false;
  unsigned keyBits = 0;
  unsigned minKeyBits = 1024;
  const DnsLookup* lookup = nullptr;  // the key lookup, when one was made
  bool unsignedBodyRejected = false;  // l= policy verdict
};

std::pair<DkimResult, std::string> classify(const SigFacts& f);

// Fills out.result, out.reason (classify()) and out.keyBits (0 for Ed25519) from the facts.
void applyVerdict(DkimOutput& out, const SigFacts& f);

}  // namespace am::dkim
