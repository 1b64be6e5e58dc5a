// filter/auth/arc_seal/sealer.cpp — builds and signs one ARC set (see sealer.h).
#include "filter/auth/arc_seal/sealer.h"

#include <algorithm>

#include "common/strings.h"
#include "filter/auth/arc_seal/arc_headers.h"
#include "filter/auth/dkim/primitives/base64.h"
#include "filter/auth/dkim_sign/signer.h"

namespace am::arcseal {
namespace {

constexpr size_t kMaxHeaderBytes = 4 * 1024 * 1024;
constexpr unsigned kMaxInstance = 50;  // RFC 8617 §4.2.1
constexpr size_t kFoldAt = 76;

bool containsName(const std::vector<std::string>& v, std::string_view name) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return iequals(s, name); });
}

bool neverSigned(std::string_view name) {
  return arcKind(name).has_value() || iequals(name, "Authentication-Results");
}

// A tag list laid out for a header value: tags separated by "; ", folded with CRLF+TAB before a
// tag that would pass kFoldAt, never inside a tag. The b= tag stands on a line of its own, so
// the text with an empty b= (what is signed) and the text with the signature lay out the other
// tags alike. No fold inside b= either: a later ARC-Seal signs this field with its b= value,
// where relaxed canonicalization keeps a fold as a space; unfolded, the field is the ARC test
// suite's standard form ("exactly one space after separator semi-colons") and the suite's
// expected seals come out byte for byte.
std::string layout(std::string_view headerName, const std::vector<std::string>& tags, std::string_view b) {
  std::string out;
  size_t col = headerName.size() + 2;
  bool breakNext = false;
  for (size_t i = 0; i < tags.size(); ++i) {
    bool isB = tags[i] == "b=";
    std::string piece = tags[i];
    if (isB) piece += b;  // never folded inside (see above)
    if (i + 1 < tags.size()) piece += ';';
    if (i > 0) {
      if (isB || breakNext || col + 1 + piece.size() > kFoldAt) {
        out += "\r\n\t";
        col = 8;
      } else {
        out += ' ';
        ++col;
      }
    }
    out += piece;
    col += piece.size();
    breakNext = isB;
  }
  return out;
}

std::string crlfToLf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\r') out += c;
  return out;
}

}  // namespace

std::vector<std::string> defaultSealHeaders() { return dkim::defaultSignHeaders(); }

Sealing::Sealing(SealKey key, SealOptions o, const am::Clock& clock)
    : key_(std::move(key)), opts_(std::move(o)), now_(clock.unixSeconds()),
      body_(std::make_unique<dkim::BodyHasher>(dkim::Canon::Relaxed, EVP_sha256(), std::nullopt)) {
  opts_.signHeaders.erase(std::remove_if(opts_.signHeaders.begin(), opts_.signHeaders.end(),
                                         [](const std::string& n) { return n.empty() || neverSigned(n); }),
                          opts_.signHeaders.end());
  if (!containsName(opts_.signHeaders, "From")) opts_.signHeaders.insert(opts_.signHeaders.begin(), "From");
}

Sealing::~Sealing() = default;

void Sealing::header(std::string_view name, std::string_view value) {
  if (finished_ || tooBig_) return;
  std::string_view n = trim(name);
  auto kind = arcKind(n);
  if (!kind && (iequals(n, "Authentication-Results") || !containsName(opts_.signHeaders, n))) return;
  bytes_ += name.size() + value.size();
  if (bytes_ > kMaxHeaderBytes) {
    tooBig_ = true;
    fields_.clear();
    return;
  }
  Field f{std::string(n), std::string(value), kind ? static_cast<int>(*kind) : -1, std::nullopt};
  if (kind) f.instance = arcInstance(*kind, value);
  fields_.push_back(std::move(f));
}

void Sealing::body(std::string_view chunk) {
  if (!finished_) body_->feed(chunk);
}

// h=: each configured name as often as it is present, in configured order (RFC 6376 §5.4.2).
std::vector<std::string> Sealing::hList() const {
  std::vector<std::string> h, seen;
  for (const auto& n : opts_.signHeaders) {
    if (containsName(seen, n)) continue;
    seen.push_back(n);
    for (const auto& f : fields_)
      if (f.kind < 0 && iequals(f.name, n)) h.push_back(toLower(n));
  }
  return h;
}

std::string Sealing::buildAms(unsigned inst, const std::string& bh64, std::string* err) const {
  auto h = hList();
  std::string hTag = "h=";
  for (size_t i = 0; i < h.size(); ++i) hTag += (i ? ":" : "") + h[i];
  std::vector<std::string> tags = {std::string("a=") + dkim::algName(key_.key->alg), "b=", "bh=" + bh64,
                                   "c=relaxed/relaxed", "d=" + key_.domain, hTag,
                                   "i=" + std::to_string(inst), "s=" + key_.selector,
                                   "t=" + std::to_string(now_)};
  // The i-th occurrence of a name selects the i-th field from the bottom.
  std::vector<dkim::HeaderField> sel;
  std::vector<std::pair<std::string, size_t>> used;
  for (const auto& n : h) {
    auto u = std::find_if(used.begin(), used.end(), [&](const auto& p) { return p.first == n; });
    if (u == used.end()) u = used.insert(used.end(), {n, 0});
    size_t skip = u->second++;
    for (auto it = fields_.rbegin(); it != fields_.rend(); ++it)
      if (it->kind < 0 && iequals(it->name, n) && skip-- == 0) {
        sel.push_back({it->name, it->value});
        break;
      }
  }
  const std::string name = "ARC-Message-Signature";
  auto b = dkim::signHeaderFieldsAs(*key_.key, dkim::Canon::Relaxed, sel, name, " " + layout(name, tags, {}));
  if (!b) {
    *err = "signing the ARC-Message-Signature failed";
    return {};
  }
  return crlfToLf(layout(name, tags, *b));
}

// The fields of sets 1..n in instance order, AAR, AMS, AS each; false unless each instance has
// exactly one of each.
bool Sealing::previousSets(unsigned n, std::vector<const Field*>& out) const {
  static constexpr ArcKind kOrder[] = {ArcKind::AuthResults, ArcKind::MessageSignature, ArcKind::Seal};
  for (unsigned i = 1; i <= n; ++i)
    for (ArcKind k : kOrder) {
      const Field* found = nullptr;
      for (const auto& f : fields_) {
        if (f.kind != static_cast<int>(k) || f.instance != i) continue;
        if (found) return false;
        found = &f;
      }
      if (!found) return false;
      out.push_back(found);
    }
  return true;
}

std::string Sealing::buildAs(unsigned inst, Cv cv, const std::string& aar, const std::string& ams,
                             std::string* err) const {
  std::vector<const Field*> prev;
  if (cv != Cv::Fail && !previousSets(inst - 1, prev)) {
    *err = "the ARC sets in the header are incomplete or repeated, but the chain status is cv=" +
           std::string(toString(cv));
    return {};
  }
  std::vector<dkim::HeaderField> fields;
  for (const Field* f : prev) fields.push_back({f->name, f->value});
  fields.push_back({"ARC-Authentication-Results", aar});
  fields.push_back({"ARC-Message-Signature", ams});
  std::vector<std::string> tags = {std::string("a=") + dkim::algName(key_.key->alg), "b=",
                                   std::string("cv=") + toString(cv), "d=" + key_.domain,
                                   "i=" + std::to_string(inst), "s=" + key_.selector,
                                   "t=" + std::to_string(now_)};
  const std::string name = "ARC-Seal";
  auto b = dkim::signHeaderFieldsAs(*key_.key, dkim::Canon::Relaxed, fields, name, " " + layout(name, tags, {}));
  if (!b) {
    *err = "signing the ARC-Seal failed";
    return {};
  }
  return crlfToLf(layout(name, tags, *b));
}

SealOutcome Sealing::finish(const ChainStatus& chain, std::string_view authservId, std::string_view results) {
  SealOutcome r;
  if (finished_) return {std::nullopt, "finish() called twice"};
  finished_ = true;
  const std::string bh = body_->finish();
  if (!key_.key || !key_.key->pkey) return {std::nullopt, "no sealing key"};
  if (bh.size() != 32) return {std::nullopt, "body hash failed"};
  if (tooBig_) return {std::nullopt, "header fields exceed 4 MiB"};
  unsigned highest = 0, newestSeal = 0;
  for (const auto& f : fields_)
    if (f.instance) {
      highest = std::max(highest, *f.instance);
      if (f.kind == static_cast<int>(ArcKind::Seal)) newestSeal = std::max(newestSeal, *f.instance);
    }
  for (const auto& f : fields_)  // RFC 8617 §5.1 step 1
    if (f.kind == static_cast<int>(ArcKind::Seal) && f.instance == newestSeal && newestSeal > 0 &&
        sealCv(f.value) == "fail")
      return {std::nullopt, "the most recent ARC-Seal (i=" + std::to_string(newestSeal) +
                                ") says cv=fail: the chain has ended"};
  if (chain.cv != Cv::Fail && chain.lastInstance != highest)
    return {std::nullopt, "chain status i=" + std::to_string(chain.lastInstance) + " cv=" + toString(chain.cv) +
                              " does not match the header (highest i=" + std::to_string(highest) + ")"};
  unsigned inst = std::max(highest, chain.lastInstance) + 1;
  if (inst > kMaxInstance) return {std::nullopt, "the chain already has 50 sets"};
  if (std::none_of(fields_.begin(), fields_.end(), [](const Field& f) { return f.kind < 0 && iequals(f.name, "From"); }))
    return {std::nullopt, "no From header field"};
  std::string res = crlfToLf(trim(results));
  SealedSet s;
  s.instance = inst;
  s.aar = "i=" + std::to_string(inst) + "; " + std::string(trim(authservId)) + "; " + (res.empty() ? "none" : res);
  std::string err;
  s.ams = buildAms(inst, dkim::base64Encode(bh), &err);
  if (!s.ams.empty()) s.as = buildAs(inst, chain.cv, s.aar, s.ams, &err);
  if (s.ams.empty() || s.as.empty()) return {std::nullopt, err};
  r.set = std::move(s);
  return r;
}

}  // namespace am::arcseal
