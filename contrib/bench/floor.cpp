// contrib/bench/floor.cpp — see floor.h.
#include "contrib/bench/floor.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <time.h>

#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/primitives/canon.h"

namespace am::bench {
namespace {

double threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string sha256(std::string_view d) {
  unsigned char h[32];
  SHA256(reinterpret_cast<const unsigned char*>(d.data()), d.size(), h);
  return std::string(reinterpret_cast<char*>(h), 32);
}

// RSA: sign/verify the headers with SHA-256 inside; Ed25519: over SHA-256(headers) (RFC 8463).
bool verify(EVP_PKEY* k, bool ed, const std::string& hdrs, const std::string& sig) {
  am::dkim::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string data = ed ? sha256(hdrs) : std::string();
  const std::string& in = ed ? data : hdrs;
  return EVP_DigestVerifyInit(ctx.get(), nullptr, ed ? nullptr : EVP_sha256(), nullptr, k) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(in.data()), in.size()) == 1;
}

bool sign(EVP_PKEY* k, bool ed, const std::string& hdrs, std::string& sig) {
  am::dkim::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string data = ed ? sha256(hdrs) : hdrs;
  auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, ed ? nullptr : EVP_sha256(), nullptr, k) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, p, data.size()) != 1)
    return false;
  sig.resize(len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, p, data.size()) != 1)
    return false;
  sig.resize(len);
  return true;
}

}  // namespace

FloorInput prepareFloor(const Corpus& corpus) {
  FloorInput in;
  in.corpusMessages = corpus.messages.size();
  for (auto& bm : corpus.messages) {
    if (bm.sigs.empty()) continue;
    FloorInput::Message p;
    am::dkim::BodyHasher bc(am::dkim::Canon::Relaxed, nullptr, std::nullopt);  // canonical bytes only
    bc.copyTo(&p.body);
    bc.feed(bm.msg.body);
    bc.finish();
    for (auto& [n, v] : bm.msg.headers) p.headers += am::dkim::canonHeader(am::dkim::Canon::Relaxed, n, " " + v);
    for (auto& s : bm.sigs) {
      auto it = in.keys.find(s.keyPath);
      if (it == in.keys.end()) {
        auto k = am::dkim::loadKeyFile(s.keyPath, std::nullopt, &in.error);
        if (!k) return in;
        it = in.keys.emplace(s.keyPath, std::move(*k)).first;
      }
      std::string sig;
      if (!sign(it->second.pkey.get(), s.ed25519, p.headers, sig)) {
        in.error = "floor: signing failed";
        return in;
      }
      p.sigs.emplace_back(it->second.pkey.get(), sig);
      p.ed.push_back(s.ed25519);
    }
    in.messages.push_back(std::move(p));
  }
  return in;
}

FloorResult measureFloor(const FloorInput& in) {
  FloorResult fr;
  fr.error = in.error;
  double t0 = threadCpu();
  for (auto& p : in.messages) {
    volatile char sink = sha256(p.body)[0];
    (void)sink;
    fr.hashedBytes += p.body.size();
    for (size_t i = 0; i < p.sigs.size(); ++i) {
      if (!verify(p.sigs[i].first, p.ed[i], p.headers, p.sigs[i].second)) fr.error = "floor: verify failed";
      (p.ed[i] ? fr.edVerifies : fr.rsaVerifies)++;
    }
  }
  fr.cpuSeconds = threadCpu() - t0;
  return fr;
}

}  // namespace am::bench
