// filter/auth/dkim/native_sig.cpp — DKIM-Signature parsing/checks, header hash input, base64
// (see native_sig.h).
#include "filter/auth/dkim/native_sig.h"

#include <algorithm>

#include "common/strings.h"
#include "filter/auth/dkim/handles.h"

namespace am::dkim {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }

int b64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

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
  if (iequals(h, "simple")) s.headerCanon = CanonMode::Simple;
  else if (iequals(h, "relaxed")) s.headerCanon = CanonMode::Relaxed;
  else { s.error = DKIM_SIGERROR_INVALID_HC; return false; }
  if (iequals(b, "simple")) s.bodyCanon = CanonMode::Simple;
  else if (iequals(b, "relaxed")) s.bodyCanon = CanonMode::Relaxed;
  else { s.error = DKIM_SIGERROR_INVALID_BC; return false; }
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
  s.error = DKIM_SIGERROR_INVALID_A;
  return false;
}

// A required tag: missing → `missing`, empty → `empty` (0 when emptiness is allowed).
const std::string* required(SigSpec& s, const char* tag, int missing, int empty) {
  const std::string* v = s.tags.get(tag);
  if (v == nullptr) { s.error = missing; return nullptr; }
  if (empty != 0 && trim(*v).empty()) { s.error = empty; return nullptr; }
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
  if (v == nullptr) { s.error = DKIM_SIGERROR_MISSING_V; return; }
  if (v->empty()) { s.error = DKIM_SIGERROR_EMPTY_V; return; }
  if (*v != "1") { s.error = DKIM_SIGERROR_VERSION; return; }
  if (required(s, "a", DKIM_SIGERROR_MISSING_A, DKIM_SIGERROR_INVALID_A) == nullptr || !parseAlgorithm(s)) return;
  const std::string* b = required(s, "b", DKIM_SIGERROR_MISSING_B, DKIM_SIGERROR_EMPTY_B);
  if (b == nullptr) return;
  auto sig = base64Decode(*b);
  if (!sig || sig->empty()) { s.error = DKIM_SIGERROR_CORRUPT_B; return; }
  s.signature = std::move(*sig);
  const std::string* bh = required(s, "bh", DKIM_SIGERROR_MISSING_BH, DKIM_SIGERROR_EMPTY_BH);
  if (bh == nullptr) return;
  auto bhv = base64Decode(*bh);
  if (!bhv || bhv->empty()) { s.error = DKIM_SIGERROR_CORRUPT_BH; return; }
  s.bodyHash = std::move(*bhv);
  if (const std::string* c = s.tags.get("c"); c != nullptr && !parseCanon(*c, s)) return;
  if (required(s, "d", DKIM_SIGERROR_MISSING_D, DKIM_SIGERROR_EMPTY_D) == nullptr) return;
  const std::string* h = required(s, "h", DKIM_SIGERROR_MISSING_H, DKIM_SIGERROR_EMPTY_H);
  if (h == nullptr) return;
  parseSignedHeaders(*h, s.signedHeaders);
  if (std::find(s.signedHeaders.begin(), s.signedHeaders.end(), "from") == s.signedHeaders.end()) {
    s.error = DKIM_SIGERROR_INVALID_H;
    return;
  }
  if (const std::string* i = s.tags.get("i")) {
    size_t at = s.identity.rfind('@');
    s.identityDomain = at == std::string::npos ? std::string() : toLower(s.identity.substr(at + 1));
    if (at == std::string::npos || !withinDomain(s.identityDomain, s.domain)) { s.error = DKIM_SIGERROR_DOMAIN; return; }
    (void)i;
  }
  if (const std::string* l = s.tags.get("l")) {
    s.length = parseDecimal(*l);
    if (!s.length) { s.error = DKIM_SIGERROR_INVALID_L; return; }
  }
  if (const std::string* q = s.tags.get("q"); q != nullptr && !dnsQueryListed(*q)) {
    s.error = DKIM_SIGERROR_INVALID_Q;
    return;
  }
  if (required(s, "s", DKIM_SIGERROR_MISSING_S, DKIM_SIGERROR_EMPTY_S) == nullptr) return;
  auto t = s.tags.get("t") != nullptr ? parseDecimal(*s.tags.get("t")) : std::nullopt;
  auto x = s.tags.get("x") != nullptr ? parseDecimal(*s.tags.get("x")) : std::nullopt;
  if (t && x && *x < *t) s.error = DKIM_SIGERROR_TIMESTAMPS;
}

}  // namespace

std::optional<std::string> base64Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') { ++pad; continue; }
    int v = b64Value(c);
    if (v < 0 || pad > 0) return std::nullopt;  // bad character, or data after padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

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

void appendCanonHeader(std::string& out, CanonMode c, std::string_view name, std::string_view value) {
  if (c == CanonMode::Simple) {
    out.append(name);
    out += ':';
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r')) out += '\r';
      out += value[i];
    }
    out += "\r\n";
    return;
  }
  for (char ch : trim(name)) out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  out += ':';
  bool wsp = false, any = false;
  for (char ch : value) {
    if (ch == '\r' || ch == '\n') continue;
    if (isWsp(ch)) { wsp = true; continue; }
    if (wsp && any) out += ' ';
    wsp = false;
    any = true;
    out += ch;
  }
  out += "\r\n";
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
