// filter/auth/dkim/native_verifier.h — the native DKIM engine (RFC 6376, RFC 8301, RFC 8463)
// behind the Verifier interface (verifier.h): OpenSSL directly, no libopendkim handle.
//
// Per message: header fields are kept (indexed by name) until end of headers; then each of the
// first maxSignatures DKIM-Signature fields is checked (tags, time by the injected Clock), its
// key fetched through am::Resolver::txt() and decoded once per distinct p= (KeyCache, shared by
// all messages), and its header hash verified at once. The body then streams through one
// BodyHasher per distinct (body canonicalization, hash, l=); finish() compares body hashes and
// classifies every signature with the same table as the libopendkim engine (classify.h, fed
// with engine-neutral SigError values, so reasons read the same). No libopendkim header here.
// Ownership: NativeVerifier borrows the Resolver and Clock (must outlive it) and owns the key
// cache and the fetched EVP_MDs; a NativeVerification borrows its NativeVerifier.
// Thread-safety: NativeVerifier::startVerify() from many threads; one NativeVerification is used
// by one thread at a time.
#pragma once
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/classify.h"
#include "filter/auth/dkim/key_cache.h"
#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/verifier.h"

namespace am::dkim {

class NativeVerifier final : public Verifier {
 public:
  // Null (and *err set) when OpenSSL cannot provide SHA-1/SHA-256.
  static std::unique_ptr<NativeVerifier> create(Resolver& dns, VerifyOptions o, const Clock& clock,
                                                std::string* err);
  std::unique_ptr<Verification> startVerify(std::string_view jobId) override;
  const VerifyOptions& options() const override { return opts_; }
  const Clock& clock() const override { return clock_; }

  Resolver& resolver() const { return dns_; }
  KeyCache& keys() { return keys_; }
  const EVP_MD* md(HashAlg h) const { return h == HashAlg::Sha1 ? sha1_.get() : sha256_.get(); }

 private:
  NativeVerifier(Resolver& dns, VerifyOptions o, const Clock& clock);
  Resolver& dns_;
  VerifyOptions opts_;
  const Clock& clock_;
  KeyCache keys_;
  EvpMdPtr sha1_, sha256_;
};

class NativeVerification final : public Verification {
 public:
  explicit NativeVerification(NativeVerifier& v) : v_(v) {}
  void header(std::string_view name, std::string_view value) override;
  void endOfHeaders() override;
  void body(std::string_view chunk) override;
  std::vector<DkimOutput> finish() override;

 private:
  struct Sig {
    SigSpec spec;
    SigFacts facts;
    DnsLookup lookup;
    bool haveLookup = false;
    std::shared_ptr<const PublicKey> key;
    int hasher = -1;        // index into hashers_ when the body hash is needed
    size_t headerHashBytes = 0;  // length of the header-hash input (LogDebug)
  };
  void checkSignature(Sig& s);
  void fetchKey(Sig& s);
  void verifyHeader(Sig& s);
  int hasherFor(const SigSpec& spec);
  DkimOutput result(Sig& s);

  NativeVerifier& v_;
  HeaderIndex headers_;
  std::string hashBuf_;  // header-hash input, reused across signatures
  std::vector<Sig> sigs_;
  std::vector<std::unique_ptr<BodyHasher>> hashers_;
  std::vector<std::string> digests_;  // per hasher, set by the first finish()
  bool eohDone_ = false;
  bool finished_ = false;
};

}  // namespace am::dkim
