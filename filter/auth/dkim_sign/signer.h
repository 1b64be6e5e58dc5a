// filter/auth/dkim_sign/signer.h — DKIM signing of one message with cached keys (RFC 6376,
// RFC 8463 ed25519-sha256, rsa-sha256).
//
// The core decides WHETHER to sign and with which keys (SigningTable::lookup); this signs.
// Feed headers as the MTA delivers them (leading space, LF folding), then the body in any
// chunks; finish() returns one DKIM-Signature header VALUE per key, LF-folded, no CR, no
// leading space, ready for smfi_insheader(ctx, 0, "DKIM-Signature", value). All signatures of
// a message share one body hash (same body canonicalization).
// Memory: only headers named in the sign list are kept; the body is canonicalized and hashed
// as it streams (BodyHasher, the verifier's own, bounded buffer), so memory does not grow with
// body size. Canonicalization and base64 are the DKIM primitives (filter/auth/dkim/primitives).
// Never signed: Authentication-Results (ours or anyone's), even if configured.
// Errors (no From header, headers over 4 MiB, an OpenSSL failure) are values: finish() returns
// fewer or no signatures and errors() says why. No exception is thrown for message input.
// Ownership: a Signing borrows its KeyStore, which must outlive it.
// Thread-safety: one Signing per message, one thread at a time; KeyStore shared read-only.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim_sign/keystore.h"
#include "policy/signing_table.h"

namespace am::dkim {

std::vector<std::string> defaultSignHeaders();

struct SignOptions {
  Canon headerCanon = Canon::Relaxed;
  Canon bodyCanon = Canon::Relaxed;
  std::vector<std::string> signHeaders = defaultSignHeaders();
  std::vector<std::string> oversignHeaders = {"From"};  // signed once more than present
  int64_t expireSeconds = 0;                              // > 0: add x= = t + expireSeconds
};

// "relaxed", "simple", "relaxed/simple", ... (OpenDKIM's Canonicalization syntax; a single
// word sets the header form and leaves the body simple, as OpenDKIM does).
bool parseCanonicalization(std::string_view spec, SignOptions& o, std::string* err);

// One header field as the MTA delivers it (the value keeps its leading space; LF or CRLF
// folding).
struct HeaderField {
  std::string_view name, value;
};

// The signing step of RFC 6376 §5.5 on its own: the SHA-256 digest of the canonical `fields`
// (the header fields h= selects, in h= order) followed by the canonical DKIM-Signature field
// whose value is `sigValue` (b= empty; hashed without its trailing CRLF), signed with `key`
// (RSA PKCS#1 v1.5, or Ed25519 over the digest as RFC 8463 §3 says). Returns the signature in
// base64 (unfolded), or nullopt when OpenSSL fails. Signing::finish() signs through it; the
// tests check it against the RFC 8463 A.3 signatures (both algorithms are deterministic).
std::optional<std::string> signHeaderFields(const LoadedKey& key, Canon headerCanon,
                                            const std::vector<HeaderField>& fields, std::string_view sigValue);
// The same step for a signature field of another name (ARC-Message-Signature, ARC-Seal: RFC 8617
// §5.1.1 signs them exactly as DKIM signs its own field).
std::optional<std::string> signHeaderFieldsAs(const LoadedKey& key, Canon headerCanon,
                                              const std::vector<HeaderField>& fields, std::string_view sigName,
                                              std::string_view sigValue);

class Signing {
 public:
  struct KeyRef {
    const LoadedKey* key;
    std::string domain;  // d= (sender domain when the KeyTable said "%")
  };
  Signing(std::vector<KeyRef> keys, const SignOptions& o, const am::Clock& clock);
  ~Signing();
  Signing(const Signing&) = delete;
  Signing& operator=(const Signing&) = delete;

  void header(std::string_view name, std::string_view value);
  void endOfHeaders();
  void body(std::string_view chunk);
  std::vector<std::string> finish();  // call once
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Hdr {
    std::string name, value;
  };
  std::vector<HeaderField> selectFields(const std::vector<std::string>& hlist) const;
  std::vector<std::string> buildHList() const;
  std::string signOne(const KeyRef& k, const std::vector<std::string>& hlist, const std::string& bh);

  std::vector<KeyRef> keys_;
  SignOptions opts_;
  int64_t now_;
  std::vector<Hdr> headers_;
  size_t headerBytes_ = 0;
  bool tooBig_ = false;
  bool finished_ = false;
  std::unique_ptr<BodyHasher> body_;  // SHA-256 of the canonical body
  std::vector<std::string> errors_;
};

// nullptr (and *error set) if no key can be used: a key missing from the store, or a "%"
// key without a sender domain. `senderDomain` fills d= for KeyTable entries whose domain is "%".
std::unique_ptr<Signing> startSigning(const KeyStore& store, const std::vector<const policy::KeyEntry*>& keys,
                                      const SignOptions& o, const am::Clock& clock,
                                      std::string_view senderDomain = {}, std::string* error = nullptr);

}  // namespace am::dkim
