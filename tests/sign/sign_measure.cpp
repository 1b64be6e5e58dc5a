// tests/sign/sign_measure.cpp — measurement tool (not a test): per-message cost of DKIM signing
// with libopendkim (which decodes the PEM key in every dkim_sign()) versus am::dkim with a
// cached EVP_PKEY, plus the bare PEM decode cost. Numbers go into docs/signing.md.
// usage: sign_measure [ITERATIONS]   (build without sanitizers for meaningful figures)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <openssl/pem.h>

#include "filter/auth/dkim/handles.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "sign_test_util.h"

using namespace am;
using Steady = std::chrono::steady_clock;

namespace {

double usSince(Steady::time_point t0, int n) {
  return std::chrono::duration<double, std::micro>(Steady::now() - t0).count() / n;
}

void measure(dkim::Alg alg, int n) {
  signtest::TempDir dir;
  std::string err;
  auto r = dkim::keygen("example.com", "m", alg, 2048, dir.path(), &err);
  if (!r) { std::fprintf(stderr, "keygen: %s\n", err.c_str()); std::exit(1); }
  std::string pem = signtest::readFile(r->privateKeyPath);
  const char* name = alg == dkim::Alg::Rsa ? "rsa-2048" : "ed25519";

  auto t0 = Steady::now();
  for (int i = 0; i < n; ++i) {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    EVP_PKEY_free(k);
    BIO_free(b);
  }
  double decode = usSince(t0, n);

  signtest::Message m = signtest::sampleMessage();
  while (m.body.size() < 4096) m.body += "Some ordinary body text for a four kilobyte message body.\r\n";

  policy::SigningTable t;
  policy::parseSigningDirective("key", {"k", "example.com", "m", r->privateKeyPath}, t, err);
  std::vector<std::string> errors;
  auto store = dkim::KeyStore::load(t, errors);
  FixedClock clock(1763892000);
  t0 = Steady::now();
  for (int i = 0; i < n; ++i) {
    auto s = dkim::startSigning(*store, {&t.keys[0]}, {}, clock);
    if (signtest::signMessage(*s, m).size() != 1) std::exit(2);
  }
  double ours = usSince(t0, n);

  dkim::DkimLibPtr lib(dkim_init(nullptr, nullptr));
  t0 = Steady::now();
  for (int i = 0; i < n; ++i) {
    DKIM_STAT st;
    dkim::DkimPtr d(dkim_sign(lib.get(), reinterpret_cast<const u_char*>("m"), nullptr,
                              reinterpret_cast<dkim_sigkey_t>(pem.data()), reinterpret_cast<const u_char*>("m"),
                              reinterpret_cast<const u_char*>("example.com"), DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
                              alg == dkim::Alg::Rsa ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256, -1, &st));
    for (const auto& [hn, hv] : m.headers) {
      std::string h = dkim::headerForLibopendkim(hn, hv);
      dkim_header(d.get(), reinterpret_cast<u_char*>(h.data()), h.size());
    }
    dkim_eoh(d.get());
    dkim_body(d.get(), reinterpret_cast<u_char*>(m.body.data()), m.body.size());
    dkim_eom(d.get(), nullptr);
    u_char* hv = nullptr;
    size_t hl = 0;
    if (dkim_getsighdr_d(d.get(), 16, &hv, &hl) != DKIM_STAT_OK) std::exit(3);
  }
  double odk = usSince(t0, n);
  std::printf("%-9s PEM decode %7.1f us | libopendkim sign 4 KiB %7.1f us (%6.0f/s) | am::dkim cached key %7.1f us (%6.0f/s)\n",
              name, decode, odk, 1e6 / odk, ours, 1e6 / ours);
}

}  // namespace

// Body canonicalization + SHA-256 throughput of one signing (relaxed body), 64 KiB chunks.
void measureBody() {
  signtest::TempDir dir;
  std::string err;
  auto r = dkim::keygen("example.com", "b", dkim::Alg::Ed25519, 0, dir.path(), &err);
  policy::SigningTable t;
  policy::parseSigningDirective("key", {"k", "example.com", "b", r->privateKeyPath}, t, err);
  std::vector<std::string> errors;
  auto store = dkim::KeyStore::load(t, errors);
  FixedClock clock(1763892000);
  std::string chunk;
  while (chunk.size() < 65536) chunk += "Body line with  some   spaces and text, typical of mail.  \r\n";
  for (dkim::Canon c : {dkim::Canon::Simple, dkim::Canon::Relaxed}) {
    dkim::SignOptions o;
    o.bodyCanon = c;
    auto s = dkim::startSigning(*store, {&t.keys[0]}, o, clock);
    s->header("From", " a@example.com");
    const int kChunks = 1600;  // ~100 MiB
    auto t0 = Steady::now();
    for (int i = 0; i < kChunks; ++i) s->body(chunk);
    s->finish();
    double sec = std::chrono::duration<double>(Steady::now() - t0).count();
    std::printf("body %-7s canonicalize+hash: %6.0f MB/s\n", dkim::canonName(c), kChunks * chunk.size() / sec / 1e6);
  }
}

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  measureBody();
  measure(dkim::Alg::Rsa, n);
  measure(dkim::Alg::Ed25519, n);
}
