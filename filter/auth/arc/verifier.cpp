// filter/auth/arc/verifier.cpp — ARC chain validation (see verifier.h).
#include "filter/auth/arc/verifier.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "common/strings.h"
#include "filter/auth/arc/headers.h"
#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim/primitives/key_record.h"

namespace am::arc {

struct Field {
  Kind kind;
  std::string name, value;
};

struct Set {
  std::optional<Seal> seal;
  std::optional<MessageSignature> ams;
  std::optional<AuthResults> aar;
  const Field* sealField = nullptr;
  const Field* amsField = nullptr;
  const Field* aarField = nullptr;
  bool amsHeaderOk = false;
  int hasher = -1;  // index into hashers when the AMS body hash is needed
};

struct KeyMemo {
  std::string name;
  dkim::KeyType type;
  std::shared_ptr<const dkim::PublicKey> key;
  std::string error;
};

struct VerificationState {
  explicit VerificationState(Verifier& v) : v(v) {}
  Verifier& v;
  dkim::HeaderIndex headers;
  std::vector<Field> arc;
  bool tooMany = false;
  bool eoh = false, finished = false;
  int n = 0;                       // newest instance once the structure is known
  std::array<Set, kMaxInstance + 1> sets{};
  std::vector<std::unique_ptr<dkim::BodyHasher>> hashers;
  std::vector<std::string> digests;
  std::vector<KeyMemo> keyMemo;
  std::string buf;
  ChainResult result;
  bool decided = false;            // result.cv is final (a fault before the body hashes)

  void fail(std::string why) {
    result.cv = Cv::Fail;
    result.reason = std::move(why);
    decided = true;
  }
  bool readStructure();
  std::shared_ptr<const dkim::PublicKey> key(const std::string& domain, const std::string& selector,
                                             dkim::KeyType type, std::string& err);
  bool verifySignature(const std::string& domain, const std::string& selector, dkim::KeyType type,
                       std::string_view data, const std::string& sig, std::string& err);
  bool verifyAmsHeader(int i);
  bool verifySeal(int i, std::string& err);
  int hasherFor(const dkim::SigSpec& spec);
  void run();
};

namespace {

const char* kindName(Kind k) {
  switch (k) {
    case Kind::Seal: return "ARC-Seal";
    case Kind::MessageSignature: return "ARC-Message-Signature";
    case Kind::AuthResults: return "ARC-Authentication-Results";
    case Kind::None: break;
  }
  return "?";
}

constexpr size_t kMaxFields = 3 * kMaxInstance;

}  // namespace

// ---------------------------------------------------------------- Verifier

std::unique_ptr<Verifier> Verifier::create(Resolver& dns, VerifyOptions o, std::string* err) {
  std::unique_ptr<Verifier> v(new Verifier(dns, o));
  v->sha256_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!v->sha256_) {
    if (err != nullptr) *err = "OpenSSL provides no SHA-256";
    return nullptr;
  }
  return v;
}

std::unique_ptr<Verification> Verifier::startVerify() { return std::make_unique<Verification>(*this); }

// ---------------------------------------------------------------- Verification

Verification::Verification(Verifier& v) : s_(std::make_unique<VerificationState>(v)) {}
Verification::~Verification() = default;

void Verification::header(std::string_view name, std::string_view value) {
  if (s_->eoh) return;
  s_->headers.add(name, value);
  Kind k = kindOf(name);
  if (k == Kind::None) return;
  if (s_->arc.size() >= kMaxFields) {
    s_->tooMany = true;
    return;
  }
  if (s_->arc.empty()) s_->arc.reserve(6);
  s_->arc.push_back({k, std::string(name), std::string(value)});
}

void Verification::endOfHeaders() {
  if (s_->eoh) return;
  s_->eoh = true;
  s_->run();
}

void Verification::body(std::string_view chunk) {
  if (s_->finished) return;
  if (!s_->eoh) endOfHeaders();
  for (auto& h : s_->hashers) h->feed(chunk);
}

ChainResult Verification::finish() {
  VerificationState& s = *s_;
  if (s.finished) return s.result;
  if (!s.eoh) endOfHeaders();
  s.finished = true;
  for (auto& h : s.hashers) s.digests.push_back(h->finish());
  if (s.decided || s.n == 0) return s.result;
  auto bodyOk = [&s](int i) {
    const Set& set = s.sets[static_cast<size_t>(i)];
    if (!set.amsHeaderOk || set.hasher < 0) return false;
    const std::string& d = s.digests[static_cast<size_t>(set.hasher)];
    return !d.empty() && d == set.ams->spec.bodyHash;
  };
  SetDetail& newest = s.result.sets[static_cast<size_t>(s.n - 1)];
  if (!bodyOk(s.n)) {
    newest.ams = "fail";
    newest.reason = "body hash mismatch";
    s.fail("ARC-Message-Signature i=" + std::to_string(s.n) + ": body hash mismatch");
    return s.result;
  }
  newest.ams = "pass";
  s.result.oldestPass = 0;
  for (int i = s.n - 1; i >= 1; --i) {
    SetDetail& d = s.result.sets[static_cast<size_t>(i - 1)];
    if (!bodyOk(i)) {
      if (d.ams == "pass" || d.ams == "-") d.ams = "fail";
      if (d.reason.empty()) d.reason = s.sets[static_cast<size_t>(i)].amsHeaderOk ? "body hash mismatch" : "not verified";
      s.result.oldestPass = i + 1;
      break;
    }
    d.ams = "pass";
  }
  s.result.cv = Cv::Pass;
  const Set& top = s.sets[static_cast<size_t>(s.n)];
  s.result.sealer = top.seal->domain;
  s.result.aarAuthservId = top.aar->authservId;
  s.result.aarResults = top.aar->results;
  return s.result;
}

// ---------------------------------------------------------------- the algorithm

namespace {

template <class T>
int place(std::array<Set, kMaxInstance + 1>& sets, T parsed, std::optional<T> Set::*slot,
          const Field* Set::*field, const Field& f, bool& dup) {
  int i = parsed.instance;
  if (i == 0) return 0;
  Set& s = sets[static_cast<size_t>(i)];
  if ((s.*slot).has_value()) {
    dup = true;
    return i;
  }
  s.*slot = std::move(parsed);
  s.*field = &f;
  return i;
}

}  // namespace

// RFC 8617 §5.2 steps 1–3: the sets, their instances, completeness and cv= values.
bool VerificationState::readStructure() {
  if (tooMany) return fail("more than " + std::to_string(kMaxInstance) + " ARC sets"), false;
  for (const Field& f : arc) {
    int i = 0;
    bool dup = false;
    switch (f.kind) {
      case Kind::Seal: i = place(sets, parseSeal(f.value), &Set::seal, &Set::sealField, f, dup); break;
      case Kind::MessageSignature:
        i = place(sets, parseMessageSignature(f.name, f.value), &Set::ams, &Set::amsField, f, dup);
        break;
      case Kind::AuthResults: i = place(sets, parseAuthResults(f.value), &Set::aar, &Set::aarField, f, dup); break;
      case Kind::None: break;
    }
    if (i == 0) return fail(std::string(kindName(f.kind)) + " without a valid i= tag"), false;
    if (dup) return fail(std::string("duplicate ") + kindName(f.kind) + " i=" + std::to_string(i)), false;
    n = std::max(n, i);
  }
  result.lastInstance = n;
  for (int i = 1; i <= n; ++i) {
    const Set& set = sets[static_cast<size_t>(i)];
    SetDetail d;
    d.instance = i;
    if (set.seal) d.sealDomain = set.seal->domain, d.sealSelector = set.seal->selector;
    if (set.ams) d.amsDomain = set.ams->spec.domain, d.amsSelector = set.ams->spec.selector;
    result.sets.push_back(std::move(d));
  }
  for (int i = 1; i <= n; ++i) {
    const Set& set = sets[static_cast<size_t>(i)];
    const char* missing = !set.seal ? "ARC-Seal" : !set.ams ? "ARC-Message-Signature" : !set.aar ? "ARC-Authentication-Results" : nullptr;
    if (missing) return fail(std::string("set i=") + std::to_string(i) + " has no " + missing), false;
  }
  const Seal& top = *sets[static_cast<size_t>(n)].seal;
  if (top.error.empty() && top.cv == Cv::Fail) return fail("newest ARC-Seal says cv=fail"), false;
  for (int i = 1; i <= n; ++i) {
    const Seal& seal = *sets[static_cast<size_t>(i)].seal;
    SetDetail& d = result.sets[static_cast<size_t>(i - 1)];
    if (!seal.error.empty()) {
      d.seal = "fail", d.reason = seal.error;
      return fail("ARC-Seal i=" + std::to_string(i) + ": " + seal.error), false;
    }
    Cv want = i == 1 ? Cv::None : Cv::Pass;
    if (seal.cv != want) {
      d.seal = "fail", d.reason = std::string("cv=") + toString(seal.cv);
      return fail("ARC-Seal i=" + std::to_string(i) + " has cv=" + toString(seal.cv) + ", not " + toString(want)), false;
    }
  }
  return true;
}

std::shared_ptr<const dkim::PublicKey> VerificationState::key(const std::string& domain, const std::string& selector,
                                                              dkim::KeyType type, std::string& err) {
  std::string name = toLower(selector) + "._domainkey." + domain;
  for (const KeyMemo& m : keyMemo)
    if (m.name == name && m.type == type) return err = m.error, m.key;
  KeyMemo m{name, type, nullptr, {}};
  TxtAnswer a;
  try {
    a = v.resolver().txt(name);
  } catch (...) {
    a.status = DnsStatus::TempFail;
  }
  dkim::KeyRecordUse use;
  if (a.status == DnsStatus::TempFail) m.error = "key lookup failed temporarily";
  else if (a.status != DnsStatus::Ok || a.records.empty()) m.error = "no key";
  else if (a.records.size() > 1) m.error = "several key records";
  else if (dkim::checkKeyRecord(dkim::parseTagViews(a.records[0]), dkim::HashAlg::Sha256, type, use) != dkim::SigError::None)
    m.error = "unusable key record";
  else if (auto k = v.keys().get(type, use.p); !k->pkey) m.error = "key does not decode";
  else if (type == dkim::KeyType::Rsa && k->bits < v.options().minKeyBits) m.error = "key too small";
  else m.key = std::move(k);
  err = m.error;
  keyMemo.push_back(std::move(m));
  return keyMemo.back().key;
}

// RSA PKCS#1 v1.5 with SHA-256, or Ed25519 over the SHA-256 hash of the data (RFC 8463 §3).
bool VerificationState::verifySignature(const std::string& domain, const std::string& selector, dkim::KeyType type,
                                        std::string_view data, const std::string& sig, std::string& err) {
  auto k = key(domain, selector, type, err);
  if (!k) return false;
  const EVP_MD* md = v.sha256();
  dkim::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = false;
  if (type == dkim::KeyType::Rsa) {
    ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, k->pkey.get(), nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  } else {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ok = ctx && EVP_Digest(data.data(), data.size(), hash, &len, md, nullptr) == 1 &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, k->pkey.get(), nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), hash, len) == 1;
  }
  if (!ok) err = "signature does not verify";
  return ok;
}

bool VerificationState::verifyAmsHeader(int i) {
  Set& set = sets[static_cast<size_t>(i)];
  SetDetail& d = result.sets[static_cast<size_t>(i - 1)];
  if (!set.ams->error.empty()) {
    d.ams = "fail", d.reason = set.ams->error;
    return false;
  }
  const dkim::SigSpec& spec = set.ams->spec;
  headers.hashInputInto(buf, spec);
  std::string err;
  set.amsHeaderOk = verifySignature(spec.domain, spec.selector, spec.keyType, buf, spec.signature, err);
  if (!set.amsHeaderOk) {
    d.ams = "fail", d.reason = err;
    return false;
  }
  set.hasher = hasherFor(spec);
  return true;
}

// RFC 8617 §5.1.1: the seal of set i covers sets 1..i, each AAR, AMS, AS in that order, relaxed;
// its own AS with b= emptied and no final CRLF.
bool VerificationState::verifySeal(int i, std::string& err) {
  buf.clear();
  std::string empty;
  for (int j = 1; j <= i; ++j) {
    const Set& set = sets[static_cast<size_t>(j)];
    for (const Field* f : {set.aarField, set.amsField}) dkim::appendCanonHeader(buf, dkim::Canon::Relaxed, f->name, f->value);
    if (j < i) {
      dkim::appendCanonHeader(buf, dkim::Canon::Relaxed, set.sealField->name, set.sealField->value);
    } else {
      empty.clear();
      dkim::appendWithEmptyB(empty, set.sealField->value);
      dkim::appendCanonHeader(buf, dkim::Canon::Relaxed, set.sealField->name, empty);
      buf.resize(buf.size() - 2);
    }
  }
  const Seal& seal = *sets[static_cast<size_t>(i)].seal;
  bool ok = verifySignature(seal.domain, seal.selector, seal.keyType, buf, seal.signature, err);
  SetDetail& d = result.sets[static_cast<size_t>(i - 1)];
  d.seal = ok ? "pass" : "fail";
  if (!ok && d.reason.empty()) d.reason = "seal: " + err;
  return ok;
}

int VerificationState::hasherFor(const dkim::SigSpec& spec) {
  for (size_t i = 0; i < hashers.size(); ++i)
    if (hashers[i]->canon() == spec.bodyCanon && hashers[i]->limit() == spec.length) return static_cast<int>(i);
  hashers.push_back(std::make_unique<dkim::BodyHasher>(spec.bodyCanon, v.sha256(), spec.length));
  return static_cast<int>(hashers.size() - 1);
}

// Steps 4–6 up to the body: the newest AMS, every AS newest first, then the older AMSes down to
// the first that fails (oldest-pass needs no more).
void VerificationState::run() {
  if (arc.empty() && !tooMany) return;  // cv=none
  if (!readStructure()) return;
  if (!verifyAmsHeader(n)) return fail("ARC-Message-Signature i=" + std::to_string(n) + ": " + result.sets[static_cast<size_t>(n - 1)].reason);
  std::string err;
  for (int i = n; i >= 1; --i)
    if (!verifySeal(i, err)) return fail("ARC-Seal i=" + std::to_string(i) + ": " + err);
  for (int i = n - 1; i >= 1; --i)
    if (!verifyAmsHeader(i)) break;
}

}  // namespace am::arc
