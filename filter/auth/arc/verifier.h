// filter/auth/arc/verifier.h — ARC chain validation (RFC 8617 §5.2) on the DKIM primitives.
//
// A Verifier is created once per process; it hands out one Verification per message that carries
// ARC header fields (the caller creates none for other mail: non-ARC mail costs nothing). A
// Verification is fed every header field as the MTA delivers it (leading space kept, LF
// folding), then body chunks as they arrive. At end of headers it reads the ARC sets (instances
// 1..50; a gap, a duplicate, a missing field, a bad cv= or an unusable field is a structural
// fault: fail), fetches keys through the one Resolver (selector._domainkey.domain TXT, checked
// with the DKIM key-record rules, decoded once per p= in the shared dkim::KeyCache), verifies the
// header hash of every AMS and every AS, newest first, and sets up one streaming BodyHasher per
// distinct (body canonicalization, l=) among the AMSes that still matter. finish() compares the
// body hashes and answers the ChainResult (chain.h): fail when the newest AMS or any AS does not
// verify, else pass with oldest-pass from the older AMSes.
// Ownership: a Verifier borrows the Resolver (must outlive it) and owns its key cache and
// EVP_MD; a Verification borrows its Verifier.
// Thread-safety: Verifier::startVerify() from many threads; one Verification is used by one
// thread at a time.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "common/dns.h"
#include "filter/auth/arc/chain.h"
#include "filter/auth/dkim/key_cache.h"
#include "filter/auth/dkim/primitives/openssl_ptr.h"

namespace am::arc {

struct VerifyOptions {
  unsigned minKeyBits = 1024;  // RSA keys below fail the signature they serve (RFC 8301)
};

class Verification;

class Verifier {
 public:
  // Null (and *err set) when OpenSSL provides no SHA-256.
  static std::unique_ptr<Verifier> create(Resolver& dns, VerifyOptions o, std::string* err);
  std::unique_ptr<Verification> startVerify();  // never null

  Resolver& resolver() const { return dns_; }
  dkim::KeyCache& keys() { return keys_; }
  const EVP_MD* sha256() const { return sha256_.get(); }
  const VerifyOptions& options() const { return opts_; }

 private:
  Verifier(Resolver& dns, VerifyOptions o) : dns_(dns), opts_(o) {}
  Resolver& dns_;
  VerifyOptions opts_;
  dkim::KeyCache keys_;
  dkim::EvpMdPtr sha256_;
};

struct VerificationState;  // verifier.cpp

class Verification {
 public:
  explicit Verification(Verifier& v);
  ~Verification();
  Verification(const Verification&) = delete;
  Verification& operator=(const Verification&) = delete;

  void header(std::string_view name, std::string_view value);  // every field, in order
  void endOfHeaders();
  void body(std::string_view chunk);                            // any chunking
  ChainResult finish();                                         // idempotent

 private:
  std::unique_ptr<VerificationState> s_;
};

}  // namespace am::arc
