// filter/auth/dkim/opendkim_verifier.cpp — OpenDkimVerifier (process-wide libopendkim setup) and
// OpenDkimVerification (one message). See opendkim_verifier.h for the contract and classify.h for the result table.
//
// Time: libopendkim's verifier reads time() for t=/x= and ignores DKIM_OPTS_FIXEDTIME
// (measured), so the library is given a clock drift of kLibraryClockDrift (it then never
// judges realistic timestamps) and the injected Clock decides, in the prescreen hook.
#include "filter/auth/dkim/opendkim_verifier.h"

#include <cstring>

#include <algorithm>

#include "common/strings.h"
#include "filter/auth/dkim/opendkim_classify.h"

namespace am::dkim {
namespace {

// Large enough that libopendkim never flags a real signature as expired or future, small
// enough that t= - drift does not wrap for any t= after 2001-09-09 (t=1000000000).
constexpr uint64_t kLibraryClockDrift = 1000000000;

// libopendkim sets up hashing state for every DKIM-Signature field it sees (10,000 fields cost
// seconds). Fields beyond this many are not given to it; they are never verified anyway.
constexpr unsigned kMaxSignatureFieldsToLibrary = 50;

u_char* uc(const char* s) { return reinterpret_cast<u_char*>(const_cast<char*>(s)); }

std::string tagValue(DKIM_SIGINFO* sig, const char* tag) {
  u_char* v = dkim_sig_gettagvalue(sig, false, uc(tag));
  return v != nullptr ? std::string(reinterpret_cast<char*>(v)) : std::string();
}

DKIM_CBSTAT prescreenHook(DKIM* dkim, DKIM_SIGINFO** sigs, int nsigs) {
  auto* v = static_cast<OpenDkimVerification*>(dkim_get_user_context(dkim));
  if (v == nullptr) return DKIM_CBSTAT_CONTINUE;
  try {
    v->prescreen(sigs, nsigs);
  } catch (...) {
    return DKIM_CBSTAT_ERROR;
  }
  return DKIM_CBSTAT_CONTINUE;
}

bool isSignatureHeader(std::string_view name) { return iequals(trim(name), "DKIM-Signature"); }

}  // namespace

// ---------------------------------------------------------------- Library

OpenDkimVerifier::OpenDkimVerifier(Resolver& dns, VerifyOptions o, const Clock& clock)
    : opts_(std::move(o)), clock_(clock), bridge_(std::make_unique<DnsBridge>(dns)) {}

OpenDkimVerifier::~OpenDkimVerifier() = default;

std::unique_ptr<OpenDkimVerifier> OpenDkimVerifier::create(Resolver& dns, VerifyOptions o, const Clock& clock,
                                         std::string* err) {
  std::unique_ptr<OpenDkimVerifier> lib(new OpenDkimVerifier(dns, std::move(o), clock));
  if (!lib->init(err)) return nullptr;
  return lib;
}

bool OpenDkimVerifier::init(std::string* err) {
  auto fail = [err](const char* what) {
    if (err != nullptr) *err = what;
    return false;
  };
  lib_.reset(dkim_init(nullptr, nullptr));
  if (!lib_) return fail("dkim_init failed");
  u_int flags = DKIM_LIBFLAGS_BADSIGHANDLES;  // report malformed signatures instead of hiding them
  uint64_t drift = kLibraryClockDrift;
  u_int minBits = opts_.minKeyBits;
  if (dkim_options(lib_.get(), DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) != DKIM_STAT_OK ||
      dkim_options(lib_.get(), DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift, sizeof drift) != DKIM_STAT_OK ||
      dkim_options(lib_.get(), DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minBits, sizeof minBits) != DKIM_STAT_OK)
    return fail("dkim_options failed");
  if (dkim_set_prescreen(lib_.get(), prescreenHook) != DKIM_STAT_OK) return fail("dkim_set_prescreen failed");
  if (!bridge_->install(lib_.get())) return fail("dkim_dns_init failed");
  return true;
}

std::unique_ptr<Verification> OpenDkimVerifier::startVerify(std::string_view jobId) {
  return std::unique_ptr<Verification>(new OpenDkimVerification(*this, jobId));
}

// ---------------------------------------------------------------- Verification

OpenDkimVerification::OpenDkimVerification(OpenDkimVerifier& lib, std::string_view jobId) : lib_(lib), jobId_(jobId) {
  DKIM_STAT st = DKIM_STAT_OK;
  dkim_.reset(dkim_verify(lib_.raw(), uc(jobId_.c_str()), nullptr, &st));
  if (!dkim_) {
    unusable_ = true;
    failReason_ = "verifier unavailable";
    return;
  }
  dkim_set_user_context(dkim_.get(), this);
}

OpenDkimVerification::~OpenDkimVerification() = default;

void OpenDkimVerification::header(std::string_view name, std::string_view value) {
  if (finished_ || eohDone_) return;
  if (isSignatureHeader(name)) {
    const unsigned cap = std::max(lib_.options().maxSignatures, kMaxSignatureFieldsToLibrary);
    if (signatureHeaders_ >= cap) return;  // not reported, not worth libopendkim's work
    if (signatureHeaders_ < lib_.options().maxSignatures) sigTags_.push_back(parseTagList(value));
    ++signatureHeaders_;
  }
  if (unusable_) return;
  std::string field = headerForLibopendkim(name, value);
  (void)dkim_header(dkim_.get(), uc(field.c_str()), field.size());
}

std::string OpenDkimVerification::timeProblem(const TagList& tags) const {
  const int64_t now = lib_.clock().unixSeconds();
  const int64_t skew = lib_.options().clockSkew;
  const std::string* x = tags.get("x");
  const std::string* t = tags.get("t");
  auto xv = x != nullptr ? parseDecimal(*x) : std::nullopt;
  auto tv = t != nullptr ? parseDecimal(*t) : std::nullopt;
  if (xv && static_cast<int64_t>(*xv) + skew < now) return "signature expired";
  if (tv && static_cast<int64_t>(*tv) > now + skew) return "signature timestamp in the future";
  return "";
}

void OpenDkimVerification::prescreen(DKIM_SIGINFO** sigs, int nsigs) {
  const unsigned max = lib_.options().maxSignatures;
  preReasons_.assign(static_cast<size_t>(std::max(nsigs, 0)), std::string());
  const bool aligned = static_cast<size_t>(nsigs) == signatureHeaders_;
  for (int i = 0; i < nsigs; ++i) {
    if (static_cast<unsigned>(i) >= max) {
      dkim_sig_ignore(sigs[i]);  // not verified, no DNS query, not reported
      continue;
    }
    if (dkim_sig_geterror(sigs[i]) != DKIM_SIGERROR_UNKNOWN) continue;  // already invalid
    bool tagsBad = aligned && !checkSignatureTags(sigTags_[i]).empty();
    TagList fromLib;
    if (!aligned) fromLib = parseTagList("t=" + tagValue(sigs[i], "t") + ";x=" + tagValue(sigs[i], "x"));
    std::string why = tagsBad ? std::string("tags") : timeProblem(aligned ? sigTags_[i] : fromLib);
    if (!why.empty()) {
      preReasons_[i] = why;
      dkim_sig_ignore(sigs[i]);  // no key lookup for a signature we reject anyway
    }
  }
}

void OpenDkimVerification::endOfHeaders() {
  if (eohDone_) return;
  eohDone_ = true;
  if (unusable_) return;
  DnsLogScope scope(&dnsLog_);
  DKIM_STAT st = dkim_eoh(dkim_.get());
  if (st == DKIM_STAT_NOSIG && signatureHeaders_ == 0) {
    noSignatures_ = true;
  } else if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG) {
    const char* e = dkim_geterror(dkim_.get());
    failReason_ = e != nullptr && *e != '\0' ? e : dkim_getresultstr(st);
    DKIM_SIGINFO** sigs = nullptr;
    int n = 0;
    if (dkim_getsiglist(dkim_.get(), &sigs, &n) != DKIM_STAT_OK || n == 0) unusable_ = true;
  }
  if (!unusable_ && !noSignatures_) startBodyCounters();
}

void OpenDkimVerification::startBodyCounters() {
  if (lib_.options().bodyLength != VerifyOptions::BodyLength::Fail) return;
  for (const auto& t : sigTags_)
    if (t.get("l") != nullptr) countBody_ = true;
}

void OpenDkimVerification::feedBody(const char* data, size_t len) {
  if (len == 0) return;
  (void)dkim_body(dkim_.get(), reinterpret_cast<u_char*>(const_cast<char*>(data)), len);
  if (countBody_) {
    simpleLen_.feed(std::string_view(data, len));
    relaxedLen_.feed(std::string_view(data, len));
  }
}

void OpenDkimVerification::body(std::string_view chunk) {
  if (finished_) return;
  if (!eohDone_) endOfHeaders();
  if (unusable_ || noSignatures_ || chunk.empty()) return;
  // libopendkim canonicalizes CRLF lines: turn bare LFs into CRLF without copying the chunk.
  // memchr finds the line ends (a byte loop here was ~3% of the benchmark's instructions).
  size_t start = 0;
  for (size_t i = 0; i < chunk.size(); ++i) {
    const void* lf = std::memchr(chunk.data() + i, '\n', chunk.size() - i);
    if (lf == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(lf) - chunk.data());
    const bool crBefore = i > 0 ? chunk[i - 1] == '\r' : lastWasCR_;
    if (crBefore) continue;
    feedBody(chunk.data() + start, i - start);
    feedBody("\r\n", 2);
    start = i + 1;
  }
  feedBody(chunk.data() + start, chunk.size() - start);
  lastWasCR_ = chunk.back() == '\r';
  lastByte_ = chunk.back();
  bodySeen_ = true;
}

bool OpenDkimVerification::unsignedBodyRejected(const TagList& tags) const {
  if (!countBody_) return false;
  const std::string* l = tags.get("l");
  if (l == nullptr) return false;
  auto lv = parseDecimal(*l);
  if (!lv) return false;
  const std::string* c = tags.get("c");
  std::string canon = c != nullptr ? toLower(*c) : std::string();
  const bool relaxedBody = canon.size() > 8 && canon.substr(canon.find('/') + 1) == "relaxed";
  const uint64_t total = relaxedBody ? relaxedLen_.total() : simpleLen_.total();
  return total > *lv;
}

std::vector<DkimOutput> OpenDkimVerification::unusableResults() const {
  std::vector<DkimOutput> out;
  const size_t n = std::min<size_t>(signatureHeaders_, lib_.options().maxSignatures);
  for (size_t i = 0; i < n; ++i) {
    DkimOutput o;
    const TagList& t = sigTags_[i];
    if (const std::string* d = t.get("d")) o.domain = toLower(*d);
    if (const std::string* s = t.get("s")) o.selector = *s;
    if (const std::string* a = t.get("a")) o.algorithm = toLower(*a);
    if (const std::string* b = t.get("b")) o.bPrefix = stripWhitespace(*b).substr(0, 8);
    o.identity = "@" + o.domain;
    o.result = dkim_ ? DkimResult::PermError : DkimResult::TempError;
    o.reason = failReason_.empty() ? "message not verifiable" : failReason_;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<DkimOutput> OpenDkimVerification::finish() {
  if (finished_) return results_;
  if (!eohDone_) endOfHeaders();
  finished_ = true;
  if (noSignatures_) return results_;
  if (unusable_) return results_ = unusableResults();
  if (bodySeen_ && lastByte_ != '\n') feedBody("\r\n", 2);  // canonical bodies end in CRLF
  {
    DnsLogScope scope(&dnsLog_);
    (void)dkim_eom(dkim_.get(), nullptr);
  }
  results_ = collect();
  return results_;
}

std::vector<DkimOutput> OpenDkimVerification::collect() {
  std::vector<DkimOutput> out;
  DKIM_SIGINFO** sigs = nullptr;
  int n = 0;
  if (dkim_getsiglist(dkim_.get(), &sigs, &n) != DKIM_STAT_OK || sigs == nullptr) return unusableResults();
  const bool aligned = static_cast<size_t>(n) == signatureHeaders_;
  const size_t count = std::min<size_t>(static_cast<size_t>(n), lib_.options().maxSignatures);
  for (size_t i = 0; i < count; ++i) out.push_back(describe(sigs[i], i, aligned));
  return out;
}

DkimOutput OpenDkimVerification::describe(DKIM_SIGINFO* sig, size_t index, bool aligned) {
  const VerifyOptions& o = lib_.options();
  static const TagList kNoTags;  // when our header list and libopendkim's disagree
  const TagList& tags = aligned ? sigTags_[index] : kNoTags;

  DkimOutput out;
  const u_char* d = dkim_sig_getdomain(sig);
  out.domain = toLower(d != nullptr ? reinterpret_cast<const char*>(d) : tagValue(sig, "d"));
  const u_char* s = dkim_sig_getselector(sig);
  out.selector = s != nullptr ? reinterpret_cast<const char*>(s) : tagValue(sig, "s");
  out.algorithm = toLower(tagValue(sig, "a"));
  out.bPrefix = stripWhitespace(tagValue(sig, "b")).substr(0, 8);
  u_char id[512];
  out.identity = dkim_sig_getidentity(dkim_.get(), sig, id, sizeof id) == DKIM_STAT_OK
                     ? std::string(reinterpret_cast<char*>(id)) : "@" + out.domain;

  SigFacts f;
  if (aligned) f.tagProblem = checkSignatureTags(tags);
  if (index < preReasons_.size() && preReasons_[index] != "tags") f.timeProblem = preReasons_[index];
  setLibopendkimFacts(f, dkim_sig_geterror(sig), dkim_sig_getflags(sig), dkim_sig_getbh(sig));
  f.algorithm = out.algorithm;
  f.algorithmAccepted = std::find(o.algorithms.begin(), o.algorithms.end(), out.algorithm) != o.algorithms.end();
  f.ed25519 = out.algorithm == "ed25519-sha256";
  unsigned bits = 0;
  if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK) f.keyBits = bits;
  f.minKeyBits = o.minKeyBits;
  if (!out.domain.empty() && !out.selector.empty())
    f.lookup = dnsLog_.find(out.selector + "._domainkey." + out.domain);
  f.unsignedBodyRejected = aligned && unsignedBodyRejected(tags);
  applyVerdict(out, f);
  return out;
}

}  // namespace am::dkim
