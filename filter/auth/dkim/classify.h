// filter/auth/dkim/classify.h — turns what libopendkim and our own checks found about one
// signature into an RFC 8601 result and a short reason (one table, no formatting ladders).
// Precedence, first match wins:
//   1. our tag-list check failed (duplicates, bad syntax)        → permerror
//   2. libopendkim rejected the signature header (missing tags, bad c=/a=/q=, i= outside d=)
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
#include "filter/auth/dkim/dns_bridge.h"

namespace am::dkim {

struct SigFacts {
  std::string tagProblem;        // from checkSignatureTags(); empty if fine
  std::string timeProblem;       // from the clock check; empty if fine
  int libError = -1;             // dkim_sig_geterror()
  unsigned flags = 0;            // dkim_sig_getflags()
  int bodyHash = -1;             // dkim_sig_getbh()
  std::string algorithm;         // a= as written
  bool algorithmAccepted = true;
  bool ed25519 = false;
  unsigned keyBits = 0;
  unsigned minKeyBits = 1024;
  const DnsLookup* lookup = nullptr;  // the key lookup, when one was made
  bool unsignedBodyRejected = false;  // l= policy verdict
};

std::pair<DkimResult, std::string> classify(const SigFacts& f);

}  // namespace am::dkim
