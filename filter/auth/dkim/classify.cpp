// filter/auth/dkim/classify.cpp — result/reason table for one DKIM signature (see classify.h).
#include "filter/auth/dkim/classify.h"

namespace am::dkim {
namespace {

using Verdict = std::pair<DkimResult, std::string>;

std::string errorText(const SigFacts& f) {
  if (f.error == SigError::Other) return f.otherText.empty() ? "signature error" : f.otherText;
  return sigErrorText(f.error);
}

Verdict headerStage(const SigFacts& f) {
  switch (f.error) {
    case SigError::VersionUnsupported: case SigError::VersionMissing: case SigError::VersionEmpty:
      return {DkimResult::PermError, "unsupported or missing signature version (v=)"};
    case SigError::AlgorithmUnknown:
      return {DkimResult::PermError, "unsupported algorithm (a=" + f.algorithm + ")"};
    default:
      return {DkimResult::PermError, errorText(f)};
  }
}

bool keyRecordTooLong(const SigFacts& f) {
  return f.lookup != nullptr && (f.lookup->tooLongForLibrary() || f.lookup->replyOverflow);
}

Verdict keyStage(const SigFacts& f) {
  if (keyRecordTooLong(f)) return {DkimResult::PermError, "key record too long"};
  switch (f.error) {
    case SigError::KeyTempFail:
      return {DkimResult::TempError, errorText(f)};
    case SigError::KeyNotFound:
      if (f.lookup != nullptr && f.lookup->status == DnsStatus::PermFail)
        return {DkimResult::PermError, "key lookup failed (permanent DNS error)"};
      return {DkimResult::PermError, errorText(f)};
    case SigError::KeyRevoked: case SigError::KeyMultiple:
      return {DkimResult::PermError, errorText(f)};
    default:
      return {DkimResult::PermError, "key record invalid: " + errorText(f)};
  }
}

Verdict cryptoStage(const SigFacts& f) {
  Verdict v{DkimResult::Pass, f.testKey ? "key in testing mode (t=y)" : ""};
  if (f.headerVerified && f.bodyHash != BodyHashCheck::Match)
    v = {DkimResult::Fail, "body hash mismatch"};  // headers verify, body was changed
  else if (!f.headerVerified || f.error == SigError::BadSignature)
    v = {DkimResult::Fail, "signature mismatch"};
  if (v.first == DkimResult::Fail && f.testKey)
    return {DkimResult::Neutral, v.second + "; key in testing mode (t=y)"};
  return v;
}

}  // namespace

Verdict classify(const SigFacts& f) {
  if (!f.tagProblem.empty()) return {DkimResult::PermError, f.tagProblem};
  if (isHeaderStage(f.error)) return headerStage(f);
  if (!f.timeProblem.empty()) return {DkimResult::PermError, f.timeProblem};
  if (isKeyStage(f.error) || (keyRecordTooLong(f) && f.error != SigError::None)) return keyStage(f);
  if (!f.processed) return {DkimResult::TempError, "signature not verified (internal error)"};
  if (!f.algorithmAccepted)
    return {DkimResult::Policy, "algorithm not accepted (" + f.algorithm + ")"};
  if (f.error == SigError::KeyTooSmall || (!f.ed25519 && f.keyBits < f.minKeyBits))
    return {DkimResult::Policy, "key too small (" + std::to_string(f.keyBits) + " bits)"};
  if (f.error == SigError::LengthExceedsBody) return {DkimResult::PermError, sigErrorText(f.error)};
  Verdict v = cryptoStage(f);
  if (v.first == DkimResult::Pass && f.unsignedBodyRejected)
    return {DkimResult::Policy, "l= leaves unsigned body content"};
  return v;
}

void applyVerdict(DkimOutput& out, const SigFacts& f) {
  out.keyBits = f.ed25519 ? 0 : f.keyBits;
  auto [result, reason] = classify(f);
  out.result = result;
  out.reason = std::move(reason);
}

}  // namespace am::dkim
