// filter/auth/dkim/opendkim_verifier.h — the libopendkim engine behind the Verifier interface
// (verifier.h): DKIM signature verification (RFC 6376, RFC 8301, RFC 8463) through libopendkim,
// with key lookups answered by am::Resolver. Selected by `DKIMVerifier libopendkim`.
//
// OpenDkimVerifier is created once per process (it owns the DKIM_LIB, its options and the DNS bridge)
// and hands out one Verification per message. A Verification is fed the header fields as the
// MTA delivers them (SMFIP_HDR_LEADSPC: leading space kept, LF folding), then body chunks as
// they arrive (never buffered whole), and finish() returns one am::DkimOutput per
// DKIM-Signature field (up to maxSignatures, in header order) with an RFC 8601 result and a
// short reason. Untrusted input never throws or asserts: it becomes a result value.
//
// Ownership: OpenDkimVerifier borrows the Resolver and the Clock (both must outlive it) and owns the
// DKIM_LIB. A Verification borrows its OpenDkimVerifier (must outlive it) and owns its DKIM handle.
// Thread-safety: OpenDkimVerifier::startVerify() and raw() may be called from many threads once
// create() has returned (all library options are set inside create()). One Verification is
// used by one thread at a time (any thread; no thread affinity).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth_types.h"
#include "common/clock.h"
#include "common/dns.h"
#include "filter/auth/dkim/body_length.h"
#include "filter/auth/dkim/dns_bridge.h"
#include "filter/auth/dkim/handles.h"
#include "filter/auth/dkim/primitives/tag_list.h"
#include "filter/auth/dkim/verifier.h"

namespace am::dkim {

class OpenDkimVerification;

class OpenDkimVerifier final : public Verifier {
 public:
  // Returns null and sets *err (if given) when libopendkim cannot be initialised.
  static std::unique_ptr<OpenDkimVerifier> create(Resolver& dns, VerifyOptions o, const Clock& clock,
                                         std::string* err);
  ~OpenDkimVerifier() override;
  OpenDkimVerifier(const OpenDkimVerifier&) = delete;
  OpenDkimVerifier& operator=(const OpenDkimVerifier&) = delete;

  std::unique_ptr<Verification> startVerify(std::string_view jobId) override;  // never null
  DKIM_LIB* raw() { return lib_.get(); }                               // for filter/auth/dkim_sign
  const VerifyOptions& options() const override { return opts_; }
  const Clock& clock() const override { return clock_; }

 private:
  OpenDkimVerifier(Resolver& dns, VerifyOptions o, const Clock& clock);
  bool init(std::string* err);

  VerifyOptions opts_;
  const Clock& clock_;
  std::unique_ptr<DnsBridge> bridge_;  // referenced by lib_'s DNS hooks: declared first, dies last
  DkimLibPtr lib_;
};

class OpenDkimVerification final : public Verification {
 public:
  ~OpenDkimVerification() override;
  OpenDkimVerification(const OpenDkimVerification&) = delete;
  OpenDkimVerification& operator=(const OpenDkimVerification&) = delete;

  void header(std::string_view name, std::string_view value) override;
  void endOfHeaders() override;
  void body(std::string_view chunk) override;
  std::vector<DkimOutput> finish() override;

  // Called by libopendkim's prescreen hook (internal; public for the C callback only).
  void prescreen(DKIM_SIGINFO** sigs, int nsigs);

 private:
  friend class OpenDkimVerifier;
  OpenDkimVerification(OpenDkimVerifier& lib, std::string_view jobId);
  void feedBody(const char* data, size_t len);
  void startBodyCounters();
  std::vector<DkimOutput> collect();
  DkimOutput describe(DKIM_SIGINFO* sig, size_t index, bool aligned);
  std::string timeProblem(const TagList& tags) const;
  bool unsignedBodyRejected(const TagList& tags) const;
  std::vector<DkimOutput> unusableResults() const;

  OpenDkimVerifier& lib_;
  std::string jobId_;  // libopendkim keeps a pointer to it: must live as long as dkim_
  DkimPtr dkim_;
  DnsLog dnsLog_;
  std::vector<std::string> preReasons_;  // per signature index: time verdict made in prescreen
  std::vector<TagList> sigTags_;         // our parse of the first maxSignatures DKIM-Signatures
  BodyLengthCounter simpleLen_{BodyCanon::Simple};
  BodyLengthCounter relaxedLen_{BodyCanon::Relaxed};
  bool countBody_ = false;
  unsigned signatureHeaders_ = 0;    // DKIM-Signature fields handed to libopendkim
  bool eohDone_ = false;
  bool noSignatures_ = false;
  bool unusable_ = false;            // libopendkim refused the message (reason in failReason_)
  std::string failReason_;
  bool lastWasCR_ = false;
  bool bodySeen_ = false;
  char lastByte_ = '\n';
  bool finished_ = false;
  std::vector<DkimOutput> results_;
};

}  // namespace am::dkim
