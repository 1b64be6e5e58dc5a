// tests/dkim/canon_agreement_test.cpp — the signer and the verifier canonicalize every message
// of the external suites (RFC examples, Mail::DKIM corpus, dkimpy data) byte for byte alike
// (part of dkim_native_tests):
//   - each message is signed by our Signing under all four c= combinations, signing every
//     header field it has, and verified by the native engine: a pass means the header-hash
//     input and the canonical body the signer hashed are the very bytes the verifier hashed;
//   - the canonical forms of every header field and of the body (both canonicalizations, fed
//     whole and in 1–7-byte chunks) equal the reference canonicalizer's (reference_canon.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <sstream>

#include "tests/support/memorydns/memory_resolver.h"
#include "common/strings.h"
#include "filter/auth/dkim/native_verifier.h"
#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "reference_canon.h"
#include "test_util.h"

#ifndef AM_TESTDATA_DIR
#error "AM_TESTDATA_DIR must be defined"
#endif

namespace am::dkim::test {
namespace {

const std::string kData = AM_TESTDATA_DIR;
constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

// Column `col` of every data row of a TSV file (rows with fewer columns fail the test).
std::vector<std::string> column(const std::string& path, size_t col, size_t minCols) {
  std::vector<std::string> out;
  std::istringstream in(readFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto row = split(line, "\t", false);
    EXPECT_GE(row.size(), minCols) << path << ": short row: " << line;
    if (row.size() > col) out.push_back(row[col]);
  }
  return out;
}

// Every message file of the three suites, as paths (each once).
std::vector<std::string> suiteMessages() {
  std::set<std::string> files;
  for (const auto& m : column(kData + "/dkim-rfc-examples/expected.tsv", 1, 4))
    files.insert(kData + "/dkim-rfc-examples/" + m);
  for (const auto& m : column(kData + "/dkim-mail-dkim/expected-results.tsv", 0, 6))
    files.insert(kData + "/dkim-mail-dkim/corpus/" + m);
  for (const auto& m : column(kData + "/dkim-dkimpy/vectors.tsv", 1, 5))
    if (m != "-") files.insert(kData + "/dkim-dkimpy/data/" + m);
  return {files.begin(), files.end()};
}

std::string productionBody(Canon c, std::string_view body, std::mt19937* rng) {
  std::string out;
  BodyHasher h(c, nullptr, std::nullopt);
  h.copyTo(&out);
  for (size_t off = 0; off < body.size();) {
    size_t n = rng ? std::uniform_int_distribution<size_t>(1, 7)(*rng) : body.size();
    h.feed(body.substr(off, n));
    off += n;
  }
  h.finish();
  return out;
}

std::string referenceBody(Canon c, std::string_view body) {
  std::string out;
  ref::BodyCanonicalizer r(c, [&](std::string_view s) { out.append(s); });
  r.feed(body);
  r.finish();
  return out;
}

struct Signer {
  LoadedKey key;
  std::string record;
  Signer() {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
    EVP_PKEY* raw = nullptr;
    if (ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 && EVP_PKEY_keygen(ctx.get(), &raw) == 1) key.pkey.reset(raw);
    key.name = "agree";
    key.domain = "canon.test";
    key.selector = "agree";
    key.alg = Alg::Ed25519;
    key.bits = 256;
    if (key.pkey) record = publicKeyTxt(key.pkey.get()).value_or("");
  }
};

TEST(CanonAgreement, SignerAndVerifierAgreeOnEverySuiteMessage) {
  const auto files = suiteMessages();
  ASSERT_GE(files.size(), 90u);  // 3 suites: RFC examples, Mail::DKIM corpus, dkimpy data
  Signer s;
  ASSERT_TRUE(s.key.pkey);
  InMemoryResolver dns;
  dns.addTxt("agree._domainkey.canon.test", s.record);
  FixedClock clock(kNow);
  std::string err;
  auto verifier = NativeVerifier::create(dns, {}, clock, &err);
  ASSERT_TRUE(verifier) << err;
  std::mt19937 rng(20261202);
  size_t roundTrips = 0, fields = 0;
  for (const auto& file : files) {
    Message m = parseMessage(readFile(file));
    if (std::none_of(m.headers.begin(), m.headers.end(), [](const auto& h) { return iequals(trim(h.first), "From"); }))
      m.headers.push_back({"From", " nobody@canon.test"});  // the signer requires one
    std::vector<std::string> names;
    for (const auto& [n, v] : m.headers)
      if (std::none_of(names.begin(), names.end(), [&](const std::string& x) { return iequals(x, trim(n)); }))
        names.emplace_back(trim(n));
    for (Canon hc : {Canon::Simple, Canon::Relaxed}) {
      for (const auto& [n, v] : m.headers) {
        ASSERT_EQ(canonHeader(hc, n, v), ref::canonHeader(hc, n, v)) << file << " field " << n;
        ++fields;
      }
      for (Canon bc : {Canon::Simple, Canon::Relaxed}) {
        SignOptions o;
        o.headerCanon = hc;
        o.bodyCanon = bc;
        o.signHeaders = names;
        Signing sign({{&s.key, "canon.test"}}, o, clock);
        for (const auto& [n, v] : m.headers) sign.header(n, v);
        sign.endOfHeaders();
        sign.body(m.body);
        auto sigs = sign.finish();
        ASSERT_EQ(sigs.size(), 1u) << file << (sign.errors().empty() ? "" : ": " + sign.errors()[0]);
        Message signedMsg = m;
        signedMsg.headers.insert(signedMsg.headers.begin(), {"DKIM-Signature", " " + sigs[0]});
        auto r = verify(*verifier, signedMsg, 1 + roundTrips % 300);
        ASSERT_FALSE(r.empty()) << file;
        EXPECT_EQ(r[0].domain, "canon.test") << file;
        EXPECT_EQ(r[0].result, DkimResult::Pass)
            << file << " c=" << canonName(hc) << "/" << canonName(bc) << ": " << r[0].reason;
        ++roundTrips;
      }
    }
    for (Canon bc : {Canon::Simple, Canon::Relaxed}) {
      const std::string want = referenceBody(bc, m.body);
      ASSERT_EQ(productionBody(bc, m.body, nullptr), want) << file << " " << canonName(bc);
      ASSERT_EQ(productionBody(bc, m.body, &rng), want) << file << " " << canonName(bc) << " (small chunks)";
    }
  }
  EXPECT_EQ(roundTrips, 4 * files.size());
  EXPECT_GT(fields, 0u);
  std::printf("[canon agreement] %zu messages, %zu signatures verified, %zu header fields compared\n", files.size(),
              roundTrips, fields);
}

}  // namespace
}  // namespace am::dkim::test
