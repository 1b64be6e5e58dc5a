// tests/dkim/tools/dkim_bench.cpp — measurement tool (not a test, not in CTest): per-message CPU
// cost of DKIM verification through each engine (native, libopendkim) against the crypto floor
// (SHA-256 of the canonicalized body once per message, plus per signature the header hash and an
// RSA-2048 / Ed25519 verification with an already-decoded key). Messages are corpus-like:
// seeded, 2 KB–1 MB (mostly small), signed by our signer with rsa-sha256, ed25519-sha256 or both,
// relaxed/relaxed, fed in 64 KiB chunks as Postfix sends them. Keys come from an in-memory
// resolver, so DNS costs nothing here. Figures go into docs/dkim.md.
// usage: dkim_bench [MESSAGES] [ROUNDS] [native|libopendkim|both]   (build with -DAM_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release)
// Allocation count: when run with an LD_PRELOAD library that defines `long mcount_get(void)`
// (a counting malloc wrapper, kept outside the repo), each engine line also gives mallocs/message.
#include <openssl/rsa.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tests/support/memorydns/memory_resolver.h"
#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "test_util.h"

using namespace am;
using namespace am::dkim;

extern "C" long mcount_get() __attribute__((weak));  // from an optional LD_PRELOAD counter


namespace {

double cpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Signed {
  test::Message msg;
  std::vector<bool> ed;  // per signature
};

LoadedKey makeKey(bool ed, const char* selector) {
  LoadedKey k;
  k.domain = "example.com";
  k.selector = selector;
  k.alg = ed ? Alg::Ed25519 : Alg::Rsa;
  k.bits = ed ? 256 : 2048;
  k.pkey.reset(ed ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519") : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  return k;
}

size_t pickSize(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  double r = u(rng);
  if (r < 0.70) return 2000 + static_cast<size_t>(u(rng) * 6000);
  if (r < 0.95) return 8000 + static_cast<size_t>(u(rng) * 56000);
  return 64000 + static_cast<size_t>(u(rng) * 960000);
}

std::string bodyOf(std::mt19937& rng, size_t size) {
  static const char* kWords[] = {"the", "message", "authentication", "of", "mail", "is", "a", "DKIM",
                                 "signature", "verifies", "body", "and", "headers,", "relaxed", "x"};
  std::string b;
  b.reserve(size + 100);
  std::string line;
  while (b.size() < size) {
    line += kWords[rng() % 15];
    line += ' ';
    if (line.size() > 70) {
      line.pop_back();
      b += line + "\r\n";
      line.clear();
    }
  }
  return b;
}

std::vector<Signed> corpus(size_t n, const LoadedKey& rsa, const LoadedKey& ed, int64_t now) {
  std::mt19937 rng(42);
  std::vector<Signed> out;
  FixedClock clock(now);
  for (size_t i = 0; i < n; ++i) {
    Signed s;
    auto& h = s.msg.headers;
    for (int r = 0; r < 3; ++r)
      h.push_back({"Received", " from relay" + std::to_string(r) + ".example.net (relay [192.0.2." +
                                   std::to_string(r) + "])\n\tby mx.example.org with ESMTPS id " + std::to_string(rng())});
    h.push_back({"From", " Sender Name <sender@example.com>"});
    h.push_back({"To", " rcpt@example.org"});
    h.push_back({"Subject", " corpus message " + std::to_string(i)});
    h.push_back({"Date", " Mon, 23 Nov 2026 16:00:00 +0000"});
    h.push_back({"Message-ID", " <" + std::to_string(rng()) + "@example.com>"});
    h.push_back({"MIME-Version", " 1.0"});
    h.push_back({"Content-Type", " text/plain; charset=utf-8"});
    s.msg.body = bodyOf(rng, pickSize(rng));
    int kind = static_cast<int>(rng() % 10);  // 5 rsa, 3 ed25519, 2 both
    std::vector<Signing::KeyRef> keys;
    if (kind < 5 || kind >= 8) { keys.push_back({&rsa, "example.com"}); s.ed.push_back(false); }
    if (kind >= 5) { keys.push_back({&ed, "example.com"}); s.ed.push_back(true); }
    Signing sign(keys, SignOptions{}, clock);
    for (auto& [n2, v] : h) sign.header(n2, v);
    sign.endOfHeaders();
    sign.body(s.msg.body);
    auto sigs = sign.finish();
    for (auto it = sigs.rbegin(); it != sigs.rend(); ++it) h.insert(h.begin(), {"DKIM-Signature", " " + *it});
    out.push_back(std::move(s));
  }
  return out;
}

// CPU seconds for one pass; counts passing signatures into *passes.
double runEngine(Verifier& v, const std::vector<Signed>& msgs, size_t* passes) {
  *passes = 0;
  double t0 = cpuNow();
  for (const auto& m : msgs) {
    auto r = test::verify(v, m.msg, 65536);
    for (auto& o : r) *passes += o.result == DkimResult::Pass;
  }
  return cpuNow() - t0;
}

struct FloorInput {
  std::string bodyCanon;
  std::vector<std::string> headerInputs;
  std::vector<EVP_PKEY*> keys;
  std::vector<std::string> sigs;
  std::vector<bool> ed;
};

double floorSeconds(const std::vector<Signed>& msgs, EVP_PKEY* rsaPub, EVP_PKEY* edPub) {
  std::vector<FloorInput> in;
  for (const auto& m : msgs) {
    FloorInput f;
    BodyHasher c(Canon::Relaxed, nullptr, std::nullopt);  // canonical bytes only
    c.copyTo(&f.bodyCanon);
    c.feed(m.msg.body);
    c.finish();
    HeaderIndex idx;
    for (auto& [n, v] : m.msg.headers) idx.add(n, v);
    for (size_t i = 0; i < m.ed.size(); ++i) {
      SigSpec spec = parseSignature("DKIM-Signature", m.msg.headers[i].second);
      f.headerInputs.push_back(idx.hashInput(spec));
      f.sigs.push_back(spec.signature);
      f.keys.push_back(m.ed[i] ? edPub : rsaPub);
      f.ed.push_back(m.ed[i]);
    }
    in.push_back(std::move(f));
  }
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  size_t ok = 0;
  double t0 = cpuNow();
  for (const auto& f : in) {
    unsigned char h[32];
    unsigned int hl = 0;
    EVP_Digest(f.bodyCanon.data(), f.bodyCanon.size(), h, &hl, md, nullptr);
    for (size_t i = 0; i < f.sigs.size(); ++i) {
      EVP_Digest(f.headerInputs[i].data(), f.headerInputs[i].size(), h, &hl, md, nullptr);
      const auto* sig = reinterpret_cast<const unsigned char*>(f.sigs[i].data());
      if (f.ed[i]) {
        EVP_MD_CTX* c = EVP_MD_CTX_new();
        EVP_DigestVerifyInit_ex(c, nullptr, nullptr, nullptr, nullptr, f.keys[i], nullptr);
        ok += EVP_DigestVerify(c, sig, f.sigs[i].size(), h, hl) == 1;
        EVP_MD_CTX_free(c);
      } else {
        EVP_PKEY_CTX* c = EVP_PKEY_CTX_new_from_pkey(nullptr, f.keys[i], nullptr);
        EVP_PKEY_verify_init(c);
        EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
        EVP_PKEY_CTX_set_signature_md(c, md);
        ok += EVP_PKEY_verify(c, sig, f.sigs[i].size(), h, hl) == 1;
        EVP_PKEY_CTX_free(c);
      }
    }
  }
  double t = cpuNow() - t0;
  EVP_MD_free(md);
  std::fprintf(stderr, "floor: %zu verifications ok\n", ok);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? static_cast<size_t>(std::atol(argv[1])) : 1000;
  const int rounds = std::max(1, argc > 2 ? std::atoi(argv[2]) : 3);
  const std::string which = argc > 3 ? argv[3] : "both";
  const int64_t now = 1767225600;
  LoadedKey rsa = makeKey(false, "rsa"), ed = makeKey(true, "ed");
  auto msgs = corpus(n, rsa, ed, now);
  size_t bytes = 0, sigCount = 0;
  for (auto& m : msgs) {
    bytes += m.msg.body.size();
    sigCount += m.ed.size();
  }
  InMemoryResolver dns;
  dns.addTxt("rsa._domainkey.example.com", publicKeyTxt(rsa.pkey.get()).value_or(""));
  dns.addTxt("ed._domainkey.example.com", publicKeyTxt(ed.pkey.get()).value_or(""));
  FixedClock clock(now + 60);
  std::printf("%zu messages, %zu signatures, %.1f MB of body\n", n, sigCount, static_cast<double>(bytes) / 1e6);
  double floorBest = 1e9;
  for (int r = 0; r < rounds; ++r) floorBest = std::min(floorBest, floorSeconds(msgs, rsa.pkey.get(), ed.pkey.get()));
  std::printf("%-12s %10.1f us/message\n", "crypto floor", floorBest / static_cast<double>(n) * 1e6);
  for (bool lib : {false, true}) {
    if (which != "both" && which != (lib ? "libopendkim" : "native")) continue;
    auto v = createVerifier(lib, dns, VerifyOptions{}, clock, nullptr);
    if (!v) return 1;
    size_t passes = 0;
    double cold = runEngine(*v, msgs, &passes);
    double best = cold;
    const long m0 = mcount_get != nullptr ? mcount_get() : 0;
    for (int r = 1; r < rounds; ++r) best = std::min(best, runEngine(*v, msgs, &passes));
    if (mcount_get != nullptr && rounds > 1)
      std::printf("%-12s %10.1f mallocs/message (warm passes)\n", lib ? "libopendkim" : "native",
                  static_cast<double>(mcount_get() - m0) / static_cast<double>(n * static_cast<size_t>(rounds - 1)));
    std::printf("%-12s %10.1f us/message (first pass %.1f)  %.2fx floor  passes %zu/%zu\n",
                lib ? "libopendkim" : "native", best / static_cast<double>(n) * 1e6,
                cold / static_cast<double>(n) * 1e6, best / floorBest, passes, sigCount);
  }
  return 0;
}
