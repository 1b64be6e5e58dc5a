// filter/auth/arc/chain.h — the result of validating a message's ARC chain (RFC 8617 §5.2): the
// chain validation status, the newest instance, the oldest instance whose AMS still verifies,
// what the newest set's sealer and its ARC-Authentication-Results claim, and one line of
// details per set for the log. Produced by arc::Verification::finish() (verifier.h); read by the
// MessageOutcome consumers, the policy step (trusted sealers) and the ARC sealer (cv= and i= of
// the set it adds).
// Plain values; thread-safe to read.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace am::arc {

// Chain validation status (RFC 8617 §4.4): none (no ARC sets), pass, fail.
// Also the cv= the ARC sealer (filter/auth/arc_seal) writes: one type for both sides.
enum class Cv { None, Pass, Fail };
inline const char* toString(Cv cv) {  // "none", "pass", "fail"
  switch (cv) {
    case Cv::Pass: return "pass";
    case Cv::Fail: return "fail";
    case Cv::None: break;
  }
  return "none";
}

// One result of an ARC-Authentication-Results header, e.g. {"dmarc", "pass", {{"header.from",
// "example.org"}}}. Methods, results and property names lower-cased; values verbatim.
struct AarResult {
  std::string method;
  std::string result;
  std::vector<std::pair<std::string, std::string>> props;  // "ptype.name", value
  const std::string* prop(std::string_view name) const;     // first with that name, or null
};

// What one ARC set looked like, for the log line ("i=2 as=pass ams=pass d=lists.example").
struct SetDetail {
  int instance = 0;
  std::string sealDomain, sealSelector;  // AS d=, s=
  std::string amsDomain, amsSelector;    // AMS d=, s=
  std::string seal = "-";                // "pass", "fail", "-" (not checked)
  std::string ams = "-";                 // "pass", "fail", "-" (not checked)
  std::string reason;                    // first problem found in this set, if any
};

struct ChainResult {
  Cv cv = Cv::None;
  int lastInstance = 0;   // N, the highest instance (0 when there is no ARC set)
  // RFC 8617 §5.2 step 5 and §10.1 header.oldest-pass: 0 when every AMS (1..N) verifies, else
  // the lowest instance k such that the AMS of k..N all verify. Meaningful when cv is Pass.
  int oldestPass = 0;
  std::string reason;     // why the chain failed (empty when it passed or there is none)
  // The newest set (instance N), when the chain passed: the sealer (AS d=) and what its
  // ARC-Authentication-Results say.
  std::string sealer;
  std::string aarAuthservId;
  std::vector<AarResult> aarResults;
  std::vector<SetDetail> sets;  // in instance order, as far as the structure could be read
};

}  // namespace am::arc
