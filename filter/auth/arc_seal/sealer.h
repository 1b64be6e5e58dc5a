// filter/auth/arc_seal/sealer.h — ARC sealing of one message (RFC 8617 §5.1): the
// ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal of the next instance, signed
// rsa-sha256 or ed25519-sha256 with a key of the DKIM key store.
//
// Feed every header field as the MTA delivers it (leading space, LF or CRLF folding), then the
// body in any chunks; finish() takes the chain status (the verifier's cv and highest instance),
// our authserv-id and results, and returns three header VALUES (LF-folded, no CR, no leading
// space) to insert at the top of the header, AS above AMS above AAR.
// What §5.1 decides here:
//   - the most recent ARC-Seal says cv=fail → the chain is over, nothing is added (step 1);
//   - the new instance is one above the highest present; past 50 (§4.2.1) nothing is added;
//   - cv=pass/none → the AS covers every earlier set in instance order, then ours (§5.1.1);
//     the chain in the header must then be complete (one AAR, AMS and AS per instance);
//   - cv=fail → the AS covers our own set only, "as if this newest ARC Set was the only set
//     present" (§5.1.2).
// The AMS is c=relaxed/relaxed over the configured header names that are present (never
// ARC-Seal, never Authentication-Results) and the whole body; the AS is relaxed too (§5.1.1).
// Tags are written in alphabetical order, as the ARC test suite lays them out.
// Memory: only ARC header fields and the header fields the AMS signs are kept (at most 4 MiB);
// the body is hashed as it streams (BodyHasher).
// Errors are values: finish() returns no set and a reason. Nothing throws on message input.
// Ownership: borrows the LoadedKey (its KeyStore must outlive the Sealing).
// Thread-safety: one Sealing per message, one thread at a time.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "filter/auth/arc/chain.h"
#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim_sign/keystore.h"

namespace am::arcseal {

// The chain validation status is the verifier's type (header only: no link to am_arc).
using Cv = arc::Cv;
using arc::toString;

// What the verifier found: the chain validation status to seal and the highest instance it saw
// (0 when there is no chain).
struct ChainStatus {
  Cv cv = Cv::None;
  unsigned lastInstance = 0;
};

struct SealKey {
  const dkim::LoadedKey* key = nullptr;
  std::string domain, selector;  // d=, s=
};

// The header names the AMS signs by default: DKIM signing's list (From, Subject, Date, ...).
std::vector<std::string> defaultSealHeaders();

struct SealOptions {
  std::vector<std::string> signHeaders = defaultSealHeaders();
};

struct SealedSet {
  unsigned instance = 0;
  std::string aar, ams, as;  // header values
};

struct SealOutcome {
  std::optional<SealedSet> set;  // nullopt: nothing to add
  std::string reason;            // why not (empty when sealed)
};

class Sealing {
 public:
  Sealing(SealKey key, SealOptions o, const am::Clock& clock);
  ~Sealing();
  Sealing(const Sealing&) = delete;
  Sealing& operator=(const Sealing&) = delete;

  void header(std::string_view name, std::string_view value);
  void body(std::string_view chunk);
  // authservId/results: our Authentication-Results, e.g. "mx.example.org" and
  // "arc=pass; spf=pass smtp.mailfrom=...; dkim=pass header.d=...". Call once.
  SealOutcome finish(const ChainStatus& chain, std::string_view authservId, std::string_view results);

 private:
  struct Field {
    std::string name, value;
    int kind = -1;           // ArcKind, or -1 for a signed non-ARC header field
    std::optional<unsigned> instance;
  };
  std::vector<std::string> hList() const;
  std::string buildAms(unsigned inst, const std::string& bh64, std::string* err) const;
  std::string buildAs(unsigned inst, Cv cv, const std::string& aar, const std::string& ams, std::string* err) const;
  bool previousSets(unsigned n, std::vector<const Field*>& out) const;

  SealKey key_;
  SealOptions opts_;
  int64_t now_;
  std::vector<Field> fields_;
  size_t bytes_ = 0;
  bool tooBig_ = false;
  bool finished_ = false;
  std::unique_ptr<dkim::BodyHasher> body_;
};

}  // namespace am::arcseal
