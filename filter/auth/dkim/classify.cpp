// filter/auth/dkim/classify.cpp — result/reason table for one DKIM signature (see classify.h).
#include "filter/auth/dkim/classify.h"

#include "filter/auth/dkim/handles.h"

namespace am::dkim {
namespace {

using Verdict = std::pair<DkimResult, std::string>;

bool isKeyStageError(int e) {
  switch (e) {
    case DKIM_SIGERROR_NOKEY: case DKIM_SIGERROR_DNSSYNTAX: case DKIM_SIGERROR_KEYFAIL:
    case DKIM_SIGERROR_MULTIREPLY: case DKIM_SIGERROR_KEYVERSION: case DKIM_SIGERROR_KEYUNKNOWNHASH:
    case DKIM_SIGERROR_KEYHASHMISMATCH: case DKIM_SIGERROR_NOTEMAILKEY:
    case DKIM_SIGERROR_KEYTYPEMISSING: case DKIM_SIGERROR_KEYTYPEUNKNOWN:
    case DKIM_SIGERROR_KEYREVOKED: case DKIM_SIGERROR_KEYDECODE:
      return true;
    default:
      return false;
  }
}

// Errors that are about the message or signature after the key was fetched.
bool isVerifyStageError(int e) {
  return e == DKIM_SIGERROR_OK || e == DKIM_SIGERROR_UNKNOWN || e == DKIM_SIGERROR_BADSIG ||
         e == DKIM_SIGERROR_KEYTOOSMALL || e == DKIM_SIGERROR_TOOLARGE_L || isKeyStageError(e);
}

std::string libText(int e) {
  const char* s = dkim_sig_geterrorstr(e);
  return s != nullptr ? s : "signature error " + std::to_string(e);
}

Verdict headerStage(const SigFacts& f) {
  switch (f.libError) {
    case DKIM_SIGERROR_VERSION: case DKIM_SIGERROR_MISSING_V: case DKIM_SIGERROR_EMPTY_V:
      return {DkimResult::PermError, "unsupported or missing signature version (v=)"};
    case DKIM_SIGERROR_INVALID_A:
      return {DkimResult::PermError, "unsupported algorithm (a=" + f.algorithm + ")"};
    case DKIM_SIGERROR_DOMAIN:
      return {DkimResult::PermError, "i= not within d="};
    case DKIM_SIGERROR_EXPIRED: case DKIM_SIGERROR_FUTURE:
      return {DkimResult::PermError, "signature timestamp out of range"};
    case DKIM_SIGERROR_TIMESTAMPS:
      return {DkimResult::PermError, "x= earlier than t="};
    default:
      return {DkimResult::PermError, libText(f.libError)};
  }
}

Verdict keyStage(const SigFacts& f) {
  if (f.lookup != nullptr && (f.lookup->tooLongForLibrary() || f.lookup->replyOverflow))
    return {DkimResult::PermError, "key record too long"};
  switch (f.libError) {
    case DKIM_SIGERROR_KEYFAIL:
      return {DkimResult::TempError, "key lookup failed (temporary DNS error)"};
    case DKIM_SIGERROR_NOKEY:
      if (f.lookup != nullptr && f.lookup->status == DnsStatus::PermFail)
        return {DkimResult::PermError, "key lookup failed (permanent DNS error)"};
      return {DkimResult::PermError, "key not found"};
    case DKIM_SIGERROR_KEYREVOKED:
      return {DkimResult::PermError, "key revoked"};
    case DKIM_SIGERROR_MULTIREPLY:
      return {DkimResult::PermError, "multiple key records"};
    default:
      return {DkimResult::PermError, "key record invalid: " + libText(f.libError)};
  }
}

Verdict cryptoStage(const SigFacts& f) {
  const bool testing = (f.flags & DKIM_SIGFLAG_TESTKEY) != 0;
  Verdict v{DkimResult::Pass, testing ? "key in testing mode (t=y)" : ""};
  if ((f.flags & DKIM_SIGFLAG_PASSED) != 0 && f.bodyHash != DKIM_SIGBH_MATCH)
    v = {DkimResult::Fail, "body hash mismatch"};  // headers verify, body was changed
  else if ((f.flags & DKIM_SIGFLAG_PASSED) == 0 || f.libError == DKIM_SIGERROR_BADSIG)
    v = {DkimResult::Fail, "signature mismatch"};
  if (v.first == DkimResult::Fail && testing)
    return {DkimResult::Neutral, v.second + "; key in testing mode (t=y)"};
  return v;
}

}  // namespace

Verdict classify(const SigFacts& f) {
  if (!f.tagProblem.empty()) return {DkimResult::PermError, f.tagProblem};
  if (!isVerifyStageError(f.libError)) return headerStage(f);
  if (!f.timeProblem.empty()) return {DkimResult::PermError, f.timeProblem};
  if (isKeyStageError(f.libError) ||
      (f.lookup != nullptr && (f.lookup->tooLongForLibrary() || f.lookup->replyOverflow) &&
       f.libError != DKIM_SIGERROR_OK && f.libError != DKIM_SIGERROR_UNKNOWN))
    return keyStage(f);
  if ((f.flags & DKIM_SIGFLAG_PROCESSED) == 0)
    return {DkimResult::TempError, "signature not verified (internal error)"};
  if (!f.algorithmAccepted)
    return {DkimResult::Policy, "algorithm not accepted (" + f.algorithm + ")"};
  if (f.libError == DKIM_SIGERROR_KEYTOOSMALL || (!f.ed25519 && f.keyBits < f.minKeyBits))
    return {DkimResult::Policy, "key too small (" + std::to_string(f.keyBits) + " bits)"};
  if (f.libError == DKIM_SIGERROR_TOOLARGE_L)
    return {DkimResult::PermError, "l= exceeds body length"};
  Verdict v = cryptoStage(f);
  if (v.first == DkimResult::Pass && f.unsignedBodyRejected)
    return {DkimResult::Policy, "l= leaves unsigned body content"};
  return v;
}

}  // namespace am::dkim
