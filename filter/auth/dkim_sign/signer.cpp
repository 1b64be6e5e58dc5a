// filter/auth/dkim_sign/signer.cpp — builds and signs DKIM-Signature header fields with the
// EVP_PKEYs cached in a KeyStore. Canonicalization and base64 are the DKIM primitives.
#include "filter/auth/dkim_sign/signer.h"

#include <algorithm>
#include <array>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "common/strings.h"
#include "filter/auth/dkim/primitives/base64.h"

namespace am::dkim {
namespace {

constexpr size_t kMaxHeaderBytes = 4 * 1024 * 1024;
constexpr size_t kFoldAt = 76;

bool neverSigned(std::string_view name) { return iequals(name, "Authentication-Results"); }

bool containsName(const std::vector<std::string>& v, std::string_view name) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return iequals(s, name); });
}

// Appends pieces to a header value, folding with CRLF+TAB before a piece that would pass kFoldAt.
struct Folder {
  std::string out;
  size_t col = 16;  // "DKIM-Signature: "
  void add(std::string_view piece, bool spaceBefore) {
    if (col + piece.size() + (spaceBefore ? 1 : 0) > kFoldAt && col > 8) {
      out += "\r\n\t";
      col = 8;
    } else if (spaceBefore) {
      out += ' ';
      ++col;
    }
    out += piece;
    col += piece.size();
  }
};

std::string crlfToLf(std::string s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\r') out += c;
  return out;
}

std::optional<std::array<unsigned char, 32>> sha256(std::string_view data) {
  std::array<unsigned char, 32> h{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_sha256(), nullptr) != 1 || len != 32)
    return std::nullopt;
  return h;
}

// RSA PKCS#1 v1.5 over the SHA-256 digest, or Ed25519 over the digest bytes (RFC 8463 §3).
std::optional<std::string> signDigest(const LoadedKey& k, const std::array<unsigned char, 32>& h) {
  std::vector<unsigned char> sig;
  size_t len = 0;
  if (k.alg == Alg::Ed25519) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, k.pkey.get()) != 1) return std::nullopt;
    sig.resize(64);
    len = sig.size();
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, h.data(), h.size()) != 1) return std::nullopt;
  } else {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(k.pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &len, h.data(), h.size()) != 1)
      return std::nullopt;
    sig.resize(len);
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, h.data(), h.size()) != 1) return std::nullopt;
  }
  return base64Encode(sig.data(), len);
}

}  // namespace

std::vector<std::string> defaultSignHeaders() {
  return {"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
          "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description",
          "Sender", "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
          "Resent-Message-ID", "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post",
          "List-Subscribe", "List-Post", "List-Owner", "List-Archive"};
}

bool parseCanonicalization(std::string_view spec, SignOptions& o, std::string* err) {
  auto parts = split(spec, "/", false);
  auto one = [](std::string_view w, Canon& c) {
    auto v = parseCanonName(trim(w));
    if (v) c = *v;
    return v.has_value();
  };
  Canon h = Canon::Simple, b = Canon::Simple;
  bool ok = (parts.size() == 1 || parts.size() == 2) && one(parts[0], h) && (parts.size() == 1 || one(parts[1], b));
  if (!ok) {
    if (err) *err = "canonicalization must be simple|relaxed[/simple|relaxed], not '" + std::string(spec) + "'";
    return false;
  }
  o.headerCanon = h;
  o.bodyCanon = b;
  return true;
}

Signing::Signing(std::vector<KeyRef> keys, const SignOptions& o, const am::Clock& clock)
    : keys_(std::move(keys)), opts_(o), now_(clock.unixSeconds()),
      body_(std::make_unique<BodyHasher>(opts_.bodyCanon, EVP_sha256(), std::nullopt)) {
  auto drop = [](std::vector<std::string>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](const std::string& n) { return neverSigned(n) || n.empty(); }),
            v.end());
  };
  drop(opts_.signHeaders);
  drop(opts_.oversignHeaders);
  if (!containsName(opts_.signHeaders, "From")) opts_.signHeaders.insert(opts_.signHeaders.begin(), "From");
  if (!body_->ok()) errors_.push_back("cannot initialise SHA-256");
}

Signing::~Signing() = default;

void Signing::header(std::string_view name, std::string_view value) {
  if (finished_ || tooBig_) return;
  std::string_view n = trim(name);
  if (neverSigned(n)) return;
  if (!containsName(opts_.signHeaders, n) && !containsName(opts_.oversignHeaders, n)) return;
  headerBytes_ += name.size() + value.size();
  if (headerBytes_ > kMaxHeaderBytes) {
    tooBig_ = true;
    headers_.clear();
    return;
  }
  headers_.push_back({std::string(n), std::string(value)});
}

void Signing::endOfHeaders() {}

void Signing::body(std::string_view chunk) {
  if (!finished_) body_->feed(chunk);
}

std::vector<std::string> Signing::buildHList() const {
  std::vector<std::string> names = opts_.signHeaders;
  for (const auto& n : opts_.oversignHeaders)
    if (!containsName(names, n)) names.push_back(n);
  std::vector<std::string> h, seen;
  for (const auto& n : names) {
    if (containsName(seen, n)) continue;
    seen.push_back(n);
    size_t count = static_cast<size_t>(std::count_if(headers_.begin(), headers_.end(),
                                                     [&](const Hdr& x) { return iequals(x.name, n); }));
    if (containsName(opts_.oversignHeaders, n)) ++count;
    for (size_t i = 0; i < count; ++i) h.push_back(n);
  }
  return h;
}

std::optional<std::string> signHeaderFields(const LoadedKey& key, Canon headerCanon,
                                            const std::vector<HeaderField>& fields, std::string_view sigValue) {
  return signHeaderFieldsAs(key, headerCanon, fields, "DKIM-Signature", sigValue);
}

std::optional<std::string> signHeaderFieldsAs(const LoadedKey& key, Canon headerCanon,
                                              const std::vector<HeaderField>& fields, std::string_view sigName,
                                              std::string_view sigValue) {
  std::string data;
  for (const auto& f : fields) appendCanonHeader(data, headerCanon, f.name, f.value);
  appendCanonHeader(data, headerCanon, sigName, sigValue);
  data.resize(data.size() - 2);  // the signature field is hashed without its CRLF
  auto digest = sha256(data);
  std::optional<std::string> b;
  if (digest) b = signDigest(key, *digest);
  ERR_clear_error();
  return b;
}

// RFC 6376 §5.4.2: the i-th occurrence of a name in h= selects the i-th instance from the
// bottom; an occurrence with no instance left contributes nothing (oversigning).
std::vector<HeaderField> Signing::selectFields(const std::vector<std::string>& hlist) const {
  std::vector<HeaderField> fields;
  std::vector<std::pair<std::string, size_t>> used;
  for (const auto& n : hlist) {
    std::string key = toLower(n);
    auto u = std::find_if(used.begin(), used.end(), [&](const auto& p) { return p.first == key; });
    if (u == used.end()) u = used.insert(used.end(), {key, 0});
    size_t skip = u->second++;
    for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
      if (!iequals(it->name, n)) continue;
      if (skip-- == 0) {
        fields.push_back({it->name, it->value});
        break;
      }
    }
  }
  return fields;
}

std::string Signing::signOne(const KeyRef& k, const std::vector<std::string>& hlist, const std::string& bh) {
  Folder f;
  f.add("v=1;", false);
  f.add(std::string("a=") + algName(k.key->alg) + ";", true);
  f.add(std::string("c=") + canonName(opts_.headerCanon) + "/" + canonName(opts_.bodyCanon) + ";", true);
  f.add("d=" + k.domain + ";", true);
  f.add("s=" + k.key->selector + ";", true);
  f.add("t=" + std::to_string(now_) + ";", true);
  if (opts_.expireSeconds > 0) f.add("x=" + std::to_string(now_ + opts_.expireSeconds) + ";", true);
  for (size_t i = 0; i < hlist.size(); ++i)
    f.add((i == 0 ? "h=" : "") + hlist[i] + (i + 1 == hlist.size() ? ";" : ":"), i == 0);
  f.add("bh=" + bh + ";", true);
  f.out += "\r\n\tb=";
  auto b = signHeaderFields(*k.key, opts_.headerCanon, selectFields(hlist), " " + f.out);
  if (!b) return {};
  for (size_t i = 0; i < b->size(); i += 72) {
    if (i > 0) f.out += "\r\n\t";
    f.out.append(*b, i, 72);
  }
  return crlfToLf(std::move(f.out));
}

std::vector<std::string> Signing::finish() {
  std::vector<std::string> out;
  if (finished_) return out;
  finished_ = true;
  const std::string bh = body_->finish();
  if (bh.size() != 32) {
    errors_.push_back("body hash failed; not signed");
    return out;
  }
  if (tooBig_) {
    errors_.push_back("signed headers exceed 4 MiB; not signed");
    return out;
  }
  if (std::none_of(headers_.begin(), headers_.end(), [](const Hdr& h) { return iequals(h.name, "From"); })) {
    errors_.push_back("message has no From header; not signed");
    return out;
  }
  auto hlist = buildHList();
  std::string bh64 = base64Encode(bh);
  for (const auto& k : keys_) {
    std::string v = signOne(k, hlist, bh64);
    if (v.empty()) errors_.push_back("signing with key '" + k.key->name + "' failed");
    else out.push_back(std::move(v));
  }
  return out;
}

std::unique_ptr<Signing> startSigning(const KeyStore& store, const std::vector<const policy::KeyEntry*>& keys,
                                      const SignOptions& o, const am::Clock& clock, std::string_view senderDomain,
                                      std::string* error) {
  std::vector<Signing::KeyRef> refs;
  std::string errs;
  for (const auto* e : keys) {
    const LoadedKey* k = e ? store.find(*e) : nullptr;
    if (!k) {
      errs += (errs.empty() ? "" : "; ") + std::string("key '") + (e ? e->name : "?") + "' is not loaded";
      continue;
    }
    std::string d = k->domain == "%" ? normalizeDomain(senderDomain) : k->domain;
    if (d.empty()) {
      errs += (errs.empty() ? "" : "; ") + std::string("key '") + k->name + "' needs the sender domain";
      continue;
    }
    refs.push_back({k, std::move(d)});
  }
  if (error) *error = errs;
  if (refs.empty()) return nullptr;
  return std::make_unique<Signing>(std::move(refs), o, clock);
}

}  // namespace am::dkim
