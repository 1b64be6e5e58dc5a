// filter/auth/dkim/native_sig.cpp — DKIM-Signature parsing/checks, header hash input (see
// native_sig.h).
#include "filter/auth/dkim/native_sig.h"

#include <algorithm>

#include "common/strings.h"
#include "filter/auth/dkim/primitives/base64.h"

namespace am::dkim {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// dkim-quoted-printable (RFC 6376 §2.11): =XX escapes; whitespace is folding and dropped.
std::string qpDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=' && i + 2 < s.size() + 0 && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

bool parseCanon(std::string_view v, SigSpec& s) {
  size_t slash = v.find('/');
  std::string_view h = v.substr(0, slash);
  std::string_view b = slash == std::string_view::npos ? std::string_view("simple") : v.substr(slash + 1);
  auto hc = parseCanonName(h), bc = parseCanonName(b);
  if (!hc) { s.error = SigError::HeaderCanonUnknown; return false; }
  if (!bc) { s.error = SigError::BodyCanonUnknown; return false; }
  s.headerCanon = *hc;
  s.bodyCanon = *bc;
  return true;
}

// Calls f(element) for each element of a colon-separated list, trimmed, empty ones skipped;
// stops early when f returns true. Returns whether it did.
template <class F>
bool anyListed(std::string_view list, F&& f) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t colon = list.find(':', start);
    if (colon == std::string_view::npos) colon = list.size();
    std::string_view e = trim(list.substr(start, colon - start));
    if (!e.empty() && f(e)) return true;
    start = colon + 1;
  }
  return false;
}

bool parseAlgorithm(SigSpec& s) {
  if (s.algorithm == "rsa-sha256") { s.keyType = KeyType::Rsa; s.hash = HashAlg::Sha256; return true; }
  if (s.algorithm == "ed25519-sha256") { s.keyType = KeyType::Ed25519; s.hash = HashAlg::Sha256; return true; }
  if (s.algorithm == "rsa-sha1") { s.keyType = KeyType::Rsa; s.hash = HashAlg::Sha1; return true; }
  s.error = SigError::AlgorithmUnknown;
  return false;
}

// A required tag: missing → `missing`, empty → `empty`.
const std::string* required(SigSpec& s, const char* tag, SigError missing, SigError empty) {
  const std::string* v = s.tags.get(tag);
  if (v == nullptr) { s.error = missing; return nullptr; }
  if (trim(*v).empty()) { s.error = empty; return nullptr; }
  return v;
}

bool withinDomain(std::string_view sub, std::string_view dom) {
  if (sub.size() == dom.size()) return iequals(sub, dom);
  return sub.size() > dom.size() && sub[sub.size() - dom.size() - 1] == '.' &&
         iequals(sub.substr(sub.size() - dom.size()), dom);
}

// q= is a colon-separated list of methods; the signature is usable when dns/txt is one of them.
bool dnsQueryListed(std::string_view q) {
  return anyListed(q, [](std::string_view m) { return iequals(m, "dns/txt") || iequals(m, "dns"); });
}

// The h= names, lowercase, in order.
void parseSignedHeaders(std::string_view h, std::vector<std::string>& out) {
  out.reserve(static_cast<size_t>(std::count(h.begin(), h.end(), ':')) + 1);
  anyListed(h, [&](std::string_view n) {
    out.emplace_back(n);
    for (char& c : out.back()) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return false;
  });
}

// The first 8 non-whitespace characters of b= (for the Authentication-Results header.b).
std::string bPrefixOf(std::string_view b) {
  std::string out;
  for (char c : b) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    out += c;
    if (out.size() == 8) break;
  }
  return out;
}

// The header-stage checks, in the order that yields one error per signature.
void checkHeaderStage(SigSpec& s) {
  const std::string* v = s.tags.get("v");
  if (v == nullptr) { s.error = SigError::VersionMissing; return; }
  if (v->empty()) { s.error = SigError::VersionEmpty; return; }
  if (*v != "1") { s.error = SigError::VersionUnsupported; return; }
  if (required(s, "a", SigError::AlgorithmMissing, SigError::AlgorithmUnknown) == nullptr || !parseAlgorithm(s)) return;
  const std::string* b = required(s, "b", SigError::SignatureMissing, SigError::SignatureEmpty);
  if (b == nullptr) return;
  auto sig = base64Decode(*b);
  if (!sig || sig->empty()) { s.error = SigError::SignatureCorrupt; return; }
  s.signature = std::move(*sig);
  const std::string* bh = required(s, "bh", SigError::BodyHashMissing, SigError::BodyHashEmpty);
  if (bh == nullptr) return;
  auto bhv = base64Decode(*bh);
  if (!bhv || bhv->empty()) { s.error = SigError::BodyHashCorrupt; return; }
  s.bodyHash = std::move(*bhv);
  if (const std::string* c = s.tags.get("c"); c != nullptr && !parseCanon(*c, s)) return;
  if (required(s, "d", SigError::DomainMissing, SigError::DomainEmpty) == nullptr) return;
  const std::string* h = required(s, "h", SigError::HeadersMissing, SigError::HeadersEmpty);
  if (h == nullptr) return;
  parseSignedHeaders(*h, s.signedHeaders);
  if (std::find(s.signedHeaders.begin(), s.signedHeaders.end(), "from") == s.signedHeaders.end()) {
    s.error = SigError::FromNotSigned;
    return;
  }
  if (const std::string* i = s.tags.get("i")) {
    size_t at = s.identity.rfind('@');
    s.identityDomain = at == std::string::npos ? std::string() : toLower(s.identity.substr(at + 1));
    if (at == std::string::npos || !withinDomain(s.identityDomain, s.domain)) { s.error = SigError::IdentityOutsideDomain; return; }
    (void)i;
  }
  if (const std::string* l = s.tags.get("l")) {
    s.length = parseDecimal(*l);
    if (!s.length) { s.error = SigError::LengthInvalid; return; }
  }
  if (const std::string* q = s.tags.get("q"); q != nullptr && !dnsQueryListed(*q)) {
    s.error = SigError::QueryMethodUnknown;
    return;
  }
  if (required(s, "s", SigError::SelectorMissing, SigError::SelectorEmpty) == nullptr) return;
  auto t = s.tags.get("t") != nullptr ? parseDecimal(*s.tags.get("t")) : std::nullopt;
  auto x = s.tags.get("x") != nullptr ? parseDecimal(*s.tags.get("x")) : std::nullopt;
  if (t && x && *x < *t) s.error = SigError::TimestampOrder;
}

}  // namespace

SigSpec parseSignature(std::string_view name, std::string_view value) {
  SigSpec s;
  s.name = std::string(name);
  s.value = std::string(value);
  s.tags = parseTagList(value);
  s.tagProblem = checkSignatureTags(s.tags);
  if (const std::string* d = s.tags.get("d")) s.domain = toLower(*d);
  if (const std::string* sel = s.tags.get("s")) s.selector = *sel;
  if (const std::string* a = s.tags.get("a")) s.algorithm = toLower(*a);
  if (const std::string* b = s.tags.get("b")) s.bPrefix = bPrefixOf(*b);
  if (const std::string* i = s.tags.get("i")) {
    s.identity = qpDecode(*i);
  } else {
    s.identity.reserve(s.domain.size() + 1);
    s.identity += '@';
    s.identity += s.domain;
  }
  s.identityDomain = s.domain;
  if (s.tagProblem.empty()) checkHeaderStage(s);
  return s;
}

void appendWithEmptyB(std::string& out, std::string_view value) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t semi = value.find(';', start);
    size_t end = semi == std::string_view::npos ? value.size() : semi;
    std::string_view spec = value.substr(start, end - start);
    size_t eq = spec.find('=');
    if (eq != std::string_view::npos && trim(spec.substr(0, eq)) == "b") out.append(spec.substr(0, eq + 1));
    else out.append(spec);
    if (semi == std::string_view::npos) break;
    out += ';';
    start = semi + 1;
  }
}

std::string withEmptyB(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  appendWithEmptyB(out, value);
  return out;
}

namespace {
constexpr size_t kTypicalFields = 32;       // header fields of an ordinary message
constexpr size_t kTypicalHeaderBytes = 8192;
}  // namespace

HeaderIndex::HeaderIndex() = default;

void HeaderIndex::add(std::string_view name, std::string_view value) {
  if (fields_.empty()) {
    fields_.reserve(kTypicalFields);
    text_.reserve(kTypicalHeaderBytes);
  }
  std::string_view key = trim(name);
  Field f{};
  f.name = text_.size();
  f.nameLen = name.size();
  text_.append(name);
  f.lower = text_.size();
  f.lowerLen = key.size();
  for (char c : key) text_ += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  f.value = text_.size();
  f.valueLen = value.size();
  text_.append(value);
  fields_.push_back(f);
  indexed_ = false;
}

void HeaderIndex::buildIndex() const {
  const size_t n = fields_.size();
  byName_.resize(2 * n);
  for (size_t i = 0; i < n; ++i) byName_[i] = i;
  std::sort(byName_.begin(), byName_.begin() + static_cast<std::ptrdiff_t>(n), [this](size_t a, size_t b) {
    int c = lowerName(a).compare(lowerName(b));
    return c != 0 ? c < 0 : a < b;
  });
  indexed_ = true;
}

std::string HeaderIndex::hashInput(const SigSpec& sig) const {
  std::string out;
  hashInputInto(out, sig);
  return out;
}

void HeaderIndex::hashInputInto(std::string& out, const SigSpec& sig) const {
  if (!indexed_) buildIndex();
  const size_t n = fields_.size();
  const auto order = byName_.begin(), orderEnd = byName_.begin() + static_cast<std::ptrdiff_t>(n);
  std::fill(orderEnd, byName_.end(), 0);  // per name (at its first slot): instances consumed from the bottom
  out.clear();
  out.reserve(text_.size() + sig.value.size() + 64);  // canonical forms are no longer than the fields (+CRs)
  for (const auto& name : sig.signedHeaders) {
    auto first = std::lower_bound(order, orderEnd, name, [this](size_t f, const std::string& v) { return lowerName(f) < v; });
    auto last = std::upper_bound(first, orderEnd, name, [this](const std::string& v, size_t f) { return v < lowerName(f); });
    size_t& k = *(orderEnd + (first - order));
    if (first == last || k >= static_cast<size_t>(last - first)) continue;  // absent or oversigned
    const Field& f = fields_[*(last - 1 - static_cast<std::ptrdiff_t>(k))];
    ++k;
    appendCanonHeader(out, sig.headerCanon, at(f.name, f.nameLen), at(f.value, f.valueLen));
  }
  scratch_.clear();
  scratch_.reserve(sig.value.size());
  appendWithEmptyB(scratch_, sig.value);
  appendCanonHeader(out, sig.headerCanon, sig.name, scratch_);
  out.resize(out.size() - 2);  // the signature field is hashed without its CRLF
}

}  // namespace am::dkim
