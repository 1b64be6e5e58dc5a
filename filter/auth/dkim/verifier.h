// filter/auth/dkim/verifier.h — the engine-neutral DKIM verification interface (RFC 6376,
// RFC 8301, RFC 8463) and the factory that picks an engine.
//
// A Verifier is created once per process and hands out one Verification per message. A
// Verification is fed the header fields as the MTA delivers them (SMFIP_HDR_LEADSPC: leading
// space kept, LF folding), then body chunks as they arrive (never buffered whole), and finish()
// returns one am::DkimOutput per DKIM-Signature field (up to maxSignatures, in header order)
// with an RFC 8601 result and a short reason. Untrusted input never throws or asserts.
//
// Engines: NativeVerifier (native_verifier.h, OpenSSL directly, decoded-key cache; the default)
// and OpenDkimVerifier (opendkim_verifier.h, libopendkim). Both give the same results and
// reasons for everything the tests check; docs/dkim.md lists the known differences.
//
// Ownership: a Verifier borrows the Resolver and the Clock (both must outlive it); a
// Verification borrows its Verifier (must outlive it).
// Thread-safety: Verifier::startVerify() may be called from many threads once created. One
// Verification is used by one thread at a time (any thread).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth_types.h"
#include "common/clock.h"
#include "common/dns.h"

namespace am::dkim {

struct VerifyOptions {
  unsigned maxSignatures = 5;        // signatures beyond this are not verified nor reported
  unsigned minKeyBits = 1024;        // RSA keys below → DkimResult::Policy ("key too small")
  std::vector<std::string> algorithms{"rsa-sha256", "ed25519-sha256"};  // others → Policy
  enum class BodyLength { Accept, Fail } bodyLength = BodyLength::Accept;  // l= leaving unsigned body
  int64_t clockSkew = 300;           // seconds of tolerance for t= (future) and x= (expired)
};

class Verification {
 public:
  virtual ~Verification() = default;
  virtual void header(std::string_view name, std::string_view value) = 0;  // leading space kept
  virtual void endOfHeaders() = 0;
  virtual void body(std::string_view chunk) = 0;                            // any chunking
  virtual std::vector<DkimOutput> finish() = 0;                             // idempotent
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual std::unique_ptr<Verification> startVerify(std::string_view jobId) = 0;  // never null
  virtual const VerifyOptions& options() const = 0;
  virtual const Clock& clock() const = 0;
};

// The libopendkim engine when `libopendkim`, else the native one. Null (and *err set, if
// given) when the engine cannot be initialised.
std::unique_ptr<Verifier> createVerifier(bool libopendkim, Resolver& dns, VerifyOptions o,
                                         const Clock& clock, std::string* err);

}  // namespace am::dkim
