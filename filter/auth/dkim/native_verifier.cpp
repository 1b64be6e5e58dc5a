// filter/auth/dkim/native_verifier.cpp — the native DKIM engine (see native_verifier.h).
#include "filter/auth/dkim/native_verifier.h"

#include <openssl/rsa.h>

#include <algorithm>

#include "common/strings.h"

namespace am::dkim {
namespace {

bool isSignatureHeader(std::string_view name) { return iequals(trim(name), "DKIM-Signature"); }

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

struct Digest {
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
};

bool digest(const EVP_MD* md, std::string_view data, Digest& out) {
  return EVP_Digest(data.data(), data.size(), out.bytes, &out.len, md, nullptr) == 1;
}

bool verifyRsa(EVP_PKEY* key, const EVP_MD* md, const Digest& hash, const std::string& sig) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1)
    return false;
  return EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         hash.bytes, hash.len) == 1;
}

// RFC 8463 §3: PureEdDSA over the SHA-256 hash of the header data.
bool verifyEd25519(EVP_PKEY* key, const Digest& hash, const std::string& sig) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key, nullptr) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          hash.bytes, hash.len) == 1;
}

}  // namespace

// ---------------------------------------------------------------- NativeVerifier

NativeVerifier::NativeVerifier(Resolver& dns, VerifyOptions o, const Clock& clock)
    : dns_(dns), opts_(std::move(o)), clock_(clock) {}

std::unique_ptr<NativeVerifier> NativeVerifier::create(Resolver& dns, VerifyOptions o, const Clock& clock,
                                                       std::string* err) {
  std::unique_ptr<NativeVerifier> v(new NativeVerifier(dns, std::move(o), clock));
  v->sha1_.reset(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  v->sha256_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!v->sha1_ || !v->sha256_) {
    if (err != nullptr) *err = "OpenSSL provides no SHA-1/SHA-256";
    return nullptr;
  }
  return v;
}

std::unique_ptr<Verification> NativeVerifier::startVerify(std::string_view /*jobId*/) {
  return std::make_unique<NativeVerification>(*this);
}

// ---------------------------------------------------------------- NativeVerification

void NativeVerification::header(std::string_view name, std::string_view value) {
  if (eohDone_ || finished_) return;
  headers_.add(name, value);
  if (isSignatureHeader(name) && sigs_.size() < v_.options().maxSignatures) {
    if (sigs_.empty()) sigs_.reserve(std::min<size_t>(v_.options().maxSignatures, 4));
    Sig s;
    s.spec = parseSignature(name, value);
    sigs_.push_back(std::move(s));
  }
}

void NativeVerification::endOfHeaders() {
  if (eohDone_) return;
  eohDone_ = true;
  for (Sig& s : sigs_) checkSignature(s);
}

void NativeVerification::checkSignature(Sig& s) {
  const VerifyOptions& o = v_.options();
  SigFacts& f = s.facts;
  f.tagProblem = s.spec.tagProblem;
  f.error = s.spec.error;
  f.algorithm = s.spec.algorithm;
  f.algorithmAccepted = contains(o.algorithms, s.spec.algorithm);
  f.ed25519 = s.spec.algorithm == "ed25519-sha256";
  f.minKeyBits = o.minKeyBits;
  if (!f.tagProblem.empty() || f.error != SigError::None) return;
  const int64_t now = v_.clock().unixSeconds();
  auto x = s.spec.tags.get("x") != nullptr ? parseDecimal(*s.spec.tags.get("x")) : std::nullopt;
  auto t = s.spec.tags.get("t") != nullptr ? parseDecimal(*s.spec.tags.get("t")) : std::nullopt;
  if (x && static_cast<int64_t>(*x) + o.clockSkew < now) f.timeProblem = "signature expired";
  else if (t && static_cast<int64_t>(*t) > now + o.clockSkew) f.timeProblem = "signature timestamp in the future";
  if (!f.timeProblem.empty()) return;  // no key lookup for a signature rejected anyway
  fetchKey(s);
  if (f.error != SigError::None) return;
  f.processed = true;
  if (!f.algorithmAccepted || (!f.ed25519 && f.keyBits < f.minKeyBits)) return;  // policy: no crypto
  verifyHeader(s);
  s.hasher = hasherFor(s.spec);
}

void NativeVerification::fetchKey(Sig& s) {
  SigFacts& f = s.facts;
  std::string& name = s.lookup.name;
  name.reserve(s.spec.selector.size() + 12 + s.spec.domain.size());
  name.append(s.spec.selector).append("._domainkey.").append(s.spec.domain);
  for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  s.haveLookup = true;
  f.lookup = nullptr;  // set in result(): Sig may move until then
  TxtAnswer a;
  try {
    a = v_.resolver().txt(s.lookup.name);
  } catch (...) {
    a.status = DnsStatus::TempFail;
  }
  s.lookup.status = a.status;
  s.lookup.records = a.records.size();
  if (a.status == DnsStatus::TempFail) { f.error = SigError::KeyTempFail; return; }
  if (a.status != DnsStatus::Ok || a.records.empty()) { f.error = SigError::KeyNotFound; return; }
  if (a.records.size() > 1) { f.error = SigError::KeyMultiple; return; }
  KeyRecordUse use;
  f.error = checkKeyRecord(parseTagViews(a.records[0]), s.spec.hash, s.spec.keyType, use);
  if (f.error != SigError::None) return;
  s.key = v_.keys().get(s.spec.keyType, use.p);
  if (!s.key->pkey) { f.error = SigError::KeyDecode; return; }
  f.keyBits = s.key->bits;
  f.testKey = use.testing;
  if (use.strict && s.spec.identityDomain != s.spec.domain) f.error = SigError::SubdomainNotAllowed;
}

void NativeVerification::verifyHeader(Sig& s) {
  const EVP_MD* md = v_.md(s.spec.hash);
  headers_.hashInputInto(hashBuf_, s.spec);
  s.headerHashBytes = hashBuf_.size();
  Digest hash;
  bool ok = digest(md, hashBuf_, hash) &&
            (s.spec.keyType == KeyType::Rsa ? verifyRsa(s.key->pkey.get(), md, hash, s.spec.signature)
                                            : verifyEd25519(s.key->pkey.get(), hash, s.spec.signature));
  s.facts.headerVerified = ok;
  s.facts.error = ok ? SigError::None : SigError::BadSignature;
}

int NativeVerification::hasherFor(const SigSpec& spec) {
  const EVP_MD* md = v_.md(spec.hash);
  for (size_t i = 0; i < hashers_.size(); ++i)
    if (hashers_[i]->canon() == spec.bodyCanon && hashers_[i]->md() == md && hashers_[i]->limit() == spec.length)
      return static_cast<int>(i);
  hashers_.push_back(std::make_unique<BodyHasher>(spec.bodyCanon, md, spec.length));
  return static_cast<int>(hashers_.size() - 1);
}

void NativeVerification::body(std::string_view chunk) {
  if (finished_) return;
  if (!eohDone_) endOfHeaders();
  for (auto& h : hashers_) h->feed(chunk);
}

// The digests are taken once; the outputs are built afresh on every call (result() is a pure
// function of the facts it sets), so the first call returns them without a copy.
std::vector<DkimOutput> NativeVerification::finish() {
  if (!finished_) {
    if (!eohDone_) endOfHeaders();
    finished_ = true;
    digests_.reserve(hashers_.size());
    for (auto& h : hashers_) digests_.push_back(h->finish());
  }
  std::vector<DkimOutput> out;
  out.reserve(sigs_.size());
  for (Sig& s : sigs_) out.push_back(result(s));
  return out;
}

DkimOutput NativeVerification::result(Sig& s) {
  SigFacts& f = s.facts;
  f.lookup = s.haveLookup ? &s.lookup : nullptr;
  if (s.hasher >= 0) {
    const BodyHasher& h = *hashers_[static_cast<size_t>(s.hasher)];
    const std::string& d = digests_[static_cast<size_t>(s.hasher)];
    f.bodyHash = !d.empty() && d == s.spec.bodyHash ? BodyHashCheck::Match : BodyHashCheck::Mismatch;
    if (s.spec.length && h.total() < *s.spec.length) f.error = SigError::LengthExceedsBody;
    f.unsignedBodyRejected = s.spec.length && v_.options().bodyLength == VerifyOptions::BodyLength::Fail &&
                             h.total() > *s.spec.length;
  }
  DkimOutput out;
  out.headerHashBytes = s.headerHashBytes;
  if (s.hasher >= 0) {
    const BodyHasher& h = *hashers_[static_cast<size_t>(s.hasher)];
    out.bodyHashBytes = s.spec.length ? std::min<uint64_t>(h.total(), *s.spec.length) : h.total();
  }
  out.domain = s.spec.domain;
  out.selector = s.spec.selector;
  out.algorithm = s.spec.algorithm;
  out.bPrefix = s.spec.bPrefix;
  out.identity = s.spec.identity;
  applyVerdict(out, f);
  return out;
}

}  // namespace am::dkim
