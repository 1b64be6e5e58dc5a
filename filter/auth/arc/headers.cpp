// filter/auth/arc/headers.cpp — parsing of ARC-Seal, ARC-Message-Signature and
// ARC-Authentication-Results values (see headers.h).
#include "filter/auth/arc/headers.h"

#include "common/strings.h"
#include "filter/auth/dkim/primitives/base64.h"
#include "filter/authres/authres.h"

namespace am::arc {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 6376 §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]. The DKIM parser skips empty
// tag-specs; ARC treats one before the last ';' as a syntax error (";;").
bool hasEmptySpec(std::string_view v) {
  std::string_view t = trim(v);
  if (!t.empty() && t.back() == ';') t.remove_suffix(1);
  size_t start = 0;
  while (start <= t.size()) {
    size_t semi = t.find(';', start);
    if (semi == std::string_view::npos) semi = t.size();
    if (trim(t.substr(start, semi - start)).empty()) return true;
    start = semi + 1;
  }
  return false;
}

// The checks AS and AMS share: grammar, duplicates, t=, d=, s=, i=, a=, b=. Returns the error.
std::string commonTags(std::string_view value, const dkim::TagList& tags, int& instance,
                       std::string& algorithm, dkim::KeyType& keyType, std::string& signature) {
  // The instance first: a set whose other tags are bad is still that set (its fault is reported
  // against it), not a field without an instance.
  const std::string* i = tags.get("i");
  if (i == nullptr) return "no i= tag";
  instance = instanceOf(*i);
  if (instance == 0) return "invalid i= tag";
  if (hasEmptySpec(value)) return "empty tag";
  if (std::string e = dkim::checkSignatureTags(tags); !e.empty()) return e;
  const std::string* a = tags.get("a");
  if (a == nullptr) return "no a= tag";
  algorithm = *a;
  if (*a == "rsa-sha256") keyType = dkim::KeyType::Rsa;
  else if (*a == "ed25519-sha256") keyType = dkim::KeyType::Ed25519;
  else return "unsupported algorithm " + a->substr(0, 32);
  for (const char* t : {"d", "s"}) {
    const std::string* v = tags.get(t);
    if (v == nullptr || v->empty()) return std::string("no ") + t + "= tag";
  }
  const std::string* b = tags.get("b");
  if (b == nullptr) return "no b= tag";
  auto sig = dkim::base64Decode(*b);
  if (!sig || sig->empty()) return "b= is not base64";
  signature = std::move(*sig);
  return {};
}

}  // namespace

const std::string* AarResult::prop(std::string_view name) const {
  for (auto& [k, v] : props)
    if (k == name) return &v;
  return nullptr;
}

Kind kindOf(std::string_view name) {
  name = trim(name);
  if (name.size() < 8 || !iequals(name.substr(0, 4), "ARC-")) return Kind::None;
  if (iequals(name, "ARC-Seal")) return Kind::Seal;
  if (iequals(name, "ARC-Message-Signature")) return Kind::MessageSignature;
  if (iequals(name, "ARC-Authentication-Results")) return Kind::AuthResults;
  return Kind::None;
}

int instanceOf(std::string_view v) {
  if (v.empty() || v.size() > 3) return 0;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n >= 1 && n <= kMaxInstance ? n : 0;
}

Seal parseSeal(std::string_view value) {
  Seal s;
  dkim::TagList tags = dkim::parseTagList(value);
  s.error = commonTags(value, tags, s.instance, s.algorithm, s.keyType, s.signature);
  if (const std::string* d = tags.get("d")) s.domain = toLower(*d);
  if (const std::string* sel = tags.get("s")) s.selector = *sel;
  if (!s.error.empty()) return s;
  const std::string* cv = tags.get("cv");
  if (cv == nullptr) s.error = "no cv= tag";
  else if (*cv == "none") s.cv = Cv::None;
  else if (*cv == "pass") s.cv = Cv::Pass;
  else if (*cv == "fail") s.cv = Cv::Fail;
  else s.error = "invalid cv= tag";
  if (s.error.empty() && tags.get("h") != nullptr) s.error = "ARC-Seal has an h= tag";  // RFC 8617 §4.1.3
  return s;
}

MessageSignature parseMessageSignature(std::string_view name, std::string_view value) {
  MessageSignature m;
  dkim::SigSpec& s = m.spec;
  s.name = std::string(name);
  s.value = std::string(value);
  s.tags = dkim::parseTagList(value);
  m.error = commonTags(value, s.tags, m.instance, s.algorithm, s.keyType, s.signature);
  if (const std::string* d = s.tags.get("d")) s.domain = toLower(*d);
  if (const std::string* sel = s.tags.get("s")) s.selector = *sel;
  if (!m.error.empty()) return m;
  s.hash = dkim::HashAlg::Sha256;
  const std::string* bh = s.tags.get("bh");
  auto bodyHash = bh != nullptr ? dkim::base64Decode(*bh) : std::nullopt;
  if (!bodyHash || bodyHash->empty()) return m.error = "bh= missing or not base64", m;
  s.bodyHash = std::move(*bodyHash);
  if (const std::string* c = s.tags.get("c")) {
    std::string_view cs = *c;
    size_t slash = cs.find('/');
    auto h = dkim::parseCanonName(cs.substr(0, slash));
    auto b = slash == std::string_view::npos ? std::optional(dkim::Canon::Simple) : dkim::parseCanonName(cs.substr(slash + 1));
    if (!h || !b) return m.error = "invalid c= tag", m;
    s.headerCanon = *h;
    s.bodyCanon = *b;
  }
  const std::string* h = s.tags.get("h");
  if (h == nullptr) return m.error = "no h= tag", m;
  for (auto& field : split(*h, ":", false)) {
    std::string f = toLower(trim(field));
    if (f == "arc-seal") return m.error = "h= lists ARC-Seal", m;  // RFC 8617 §4.1.2
    s.signedHeaders.push_back(std::move(f));
  }
  if (s.tags.get("l") != nullptr) {
    auto l = dkim::parseDecimal(*s.tags.get("l"));
    if (!l) return m.error = "invalid l= tag", m;
    s.length = l;
  }
  return m;
}

AuthResults parseAuthResults(std::string_view value) {
  AuthResults a;
  size_t p = 0;
  while (p < value.size() && isWsp(value[p])) ++p;
  if (value.substr(p, 2) != "i=") return a.error = "does not start with i=", a;
  p += 2;
  size_t digits = p;
  while (p < value.size() && value[p] >= '0' && value[p] <= '9') ++p;
  a.instance = instanceOf(value.substr(digits, p - digits));
  if (a.instance == 0) return a.error = "invalid i= tag", a;
  while (p < value.size() && isWsp(value[p])) ++p;
  if (p >= value.size() || value[p] != ';') {
    a.instance = 0;
    return a.error = "no ';' after i=", a;
  }
  std::string err;
  auto parsed = authres::parse(value.substr(p + 1), &err);
  if (!parsed) return a.error = "results do not parse: " + err.substr(0, 80), a;
  a.authservId = parsed->authservId;
  for (auto& r : parsed->results) {
    AarResult x{r.method, r.result, {}};
    for (auto& pr : r.props) x.props.emplace_back(pr.ptype + "." + pr.name, pr.value);
    a.results.push_back(std::move(x));
  }
  return a;
}

}  // namespace am::arc
