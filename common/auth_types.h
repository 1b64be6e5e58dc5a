// common/auth_types.h — the RFC vocabulary every component shares: SPF and DKIM outputs as
// values (RFC 7208 §2.6, RFC 8601 §2.7). Produced by filter/auth/*, consumed by policy/ and the
// Authentication-Results writer. Pure values, thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace am {

enum class SpfResult { None, Neutral, Pass, Fail, SoftFail, TempError, PermError };
const char* toString(SpfResult r);  // "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"

enum class SpfIdentity { MailFrom, Helo };

struct SpfOutput {
  SpfResult result = SpfResult::None;
  SpfIdentity identity = SpfIdentity::MailFrom;
  std::string domain;       // the domain checked (MAIL FROM domain, or HELO name)
  std::string sender;       // full identity checked: local@domain (postmaster@helo for null senders)
  std::string explanation;  // expanded exp= text on fail, else empty
  std::string reason;       // short human reason: matched mechanism or error ("void lookup limit")
  bool checked = false;     // false when skipped (authenticated/internal client, no identity)
};

enum class DkimResult { None, Pass, Fail, Neutral, Policy, TempError, PermError };
const char* toString(DkimResult r);  // RFC 8601 names

struct DkimOutput {
  DkimResult result = DkimResult::None;
  std::string domain;     // d= (lowercase)
  std::string identity;   // i= (or "@" + d= when absent)
  std::string selector;   // s=
  std::string algorithm;  // a= e.g. "rsa-sha256", "ed25519-sha256"
  std::string bPrefix;    // first 8 characters of b=
  unsigned keyBits = 0;   // 0 when unknown or ed25519
  std::string reason;     // "body hash mismatch", "key not found", ...
  // For LogDebug (native engine; 0 when not known): the length of the canonicalized header-hash
  // input and the number of canonicalized body bytes hashed.
  size_t headerHashBytes = 0;
  uint64_t bodyHashBytes = 0;
};

}  // namespace am
