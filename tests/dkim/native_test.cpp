// tests/dkim/native_test.cpp — native-engine pieces (part of dkim_native_tests):
//   BodyHash      the streaming body hasher agrees with the reference canonicalizer
//                 (reference_canon.h, independent code) for random bodies, any
//                 chunking, both canonicalizations, with and without l=
//   KeyCache      one decode per distinct p=, FWS-insensitive, bounded, failures cached
//   NativeKeys    an 8192-bit RSA key (record ~1.4 KB, beyond libopendkim's 1024-byte buffer)
//                 verifies; a verifier decodes each key once across messages and threads;
//   NativeSig     header selection bottom-up and oversigning; b= emptying
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "tests/support/memorydns/memory_resolver.h"
#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/key_cache.h"
#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/native_verifier.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "reference_canon.h"
#include "test_util.h"

#ifndef AM_DKIM_TEST_DATA_DIR
#error "AM_DKIM_TEST_DATA_DIR must be defined"
#endif

namespace am::dkim::test {
namespace {

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string randomBody(std::mt19937& rng) {
  static const char* kPieces[] = {"a", "word", " ", "  ", "\t", " \t", "\r\n", "\n", "\r", "\r\n\r\n", "x\r", "."};
  std::string b;
  int n = std::uniform_int_distribution<int>(0, 60)(rng);
  for (int i = 0; i < n; ++i) b += kPieces[std::uniform_int_distribution<int>(0, 11)(rng)];
  return b;
}

TEST(BodyHash, AgreesWithReferenceCanonicalizerForRandomBodiesAndChunks) {
  std::mt19937 rng(7);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ASSERT_NE(md, nullptr);
  int compared = 0;
  for (int round = 0; round < 400; ++round) {
    std::string body = randomBody(rng);
    for (Canon c : {Canon::Simple, Canon::Relaxed}) {
      std::string canon;
      ref::BodyCanonicalizer ref(c, [&](std::string_view s) { canon.append(s); });
      ref.feed(body);
      ref.finish();
      std::optional<uint64_t> limit;
      if (round % 3 == 0) limit = std::uniform_int_distribution<uint64_t>(0, canon.size() + 2)(rng);
      BodyHasher h(c, md, limit);
      for (size_t off = 0; off < body.size();) {
        size_t n = std::uniform_int_distribution<size_t>(1, 7)(rng);
        h.feed(std::string_view(body).substr(off, n));
        off += n;
      }
      std::string got = h.finish();
      std::string want = sha256(limit ? std::string_view(canon).substr(0, std::min<size_t>(*limit, canon.size())) : canon);
      ASSERT_EQ(got, want) << "round " << round << " canon " << canonName(c) << " body '" << body << "'";
      EXPECT_EQ(h.total(), canon.size()) << "round " << round;
      ++compared;
    }
  }
  EVP_MD_free(md);
  EXPECT_EQ(compared, 800);
}

// Long bodies in big chunks: spans hashed straight from the chunk (>= 512 bytes), the 16 KiB
// buffer filling up, squeezed lines longer than the 2 KiB stack buffer, and a line or CRLF split
// across chunks anywhere.
std::string longBody(std::mt19937& rng) {
  static const char* kPieces[] = {"word ", "words", "  ", "\t", " \t ", "\r\n", "\n", "\r", "\r\n\r\n\r\n", "x \r\n"};
  std::string b;
  const int n = std::uniform_int_distribution<int>(0, 12000)(rng);
  const bool plain = rng() % 2 == 0;  // mostly ordinary text lines, or every kind of piece
  for (int i = 0; i < n; ++i) {
    int k = std::uniform_int_distribution<int>(0, 9)(rng);
    if (plain && k > 1) k = (k % 4 == 0) ? 5 : 0;
    if (i % 997 == 0) b += std::string(3000, 'y') + "  " + std::string(2500, 'z');  // a very long line
    b += kPieces[k];
  }
  return b;
}

TEST(BodyHash, AgreesWithReferenceCanonicalizerForLongBodiesAndBigChunks) {
  std::mt19937 rng(11);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ASSERT_NE(md, nullptr);
  int compared = 0;
  for (int round = 0; round < 40; ++round) {
    std::string body = longBody(rng);
    for (Canon c : {Canon::Simple, Canon::Relaxed}) {
      std::string canon;
      ref::BodyCanonicalizer ref(c, [&](std::string_view s) { canon.append(s); });
      ref.feed(body);
      ref.finish();
      std::optional<uint64_t> limit;
      if (round % 4 == 0) limit = std::uniform_int_distribution<uint64_t>(0, canon.size() + 2)(rng);
      BodyHasher h(c, md, limit);
      for (size_t off = 0; off < body.size();) {
        size_t n = std::uniform_int_distribution<size_t>(1, round % 2 ? 70000 : 3000)(rng);
        h.feed(std::string_view(body).substr(off, n));
        off += n;
      }
      std::string got = h.finish();
      std::string want = sha256(limit ? std::string_view(canon).substr(0, std::min<size_t>(*limit, canon.size())) : canon);
      ASSERT_EQ(got, want) << "round " << round << " canon " << canonName(c) << " size " << body.size();
      EXPECT_EQ(h.total(), canon.size()) << "round " << round;
      ++compared;
    }
  }
  EVP_MD_free(md);
  EXPECT_EQ(compared, 80);
}

// Every position of a double space or a tab in lines of 1..70 bytes (the fast check works on
// 16-byte blocks plus an overlapping last block): relaxed output equals the reference.
TEST(BodyHash, RelaxedSpacingAtEveryPositionOfShortAndLongLines) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ASSERT_NE(md, nullptr);
  int compared = 0;
  for (size_t len = 1; len <= 70; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (const char* odd : {"  ", "\t", " "}) {
        std::string line(len, 'a');
        line.replace(at, std::min(std::strlen(odd), len - at), odd, std::min(std::strlen(odd), len - at));
        std::string body = line + "\r\n" + line + "\n";
        std::string canon;
        ref::BodyCanonicalizer ref(Canon::Relaxed, [&](std::string_view s) { canon.append(s); });
        ref.feed(body);
        ref.finish();
        BodyHasher h(Canon::Relaxed, md, std::nullopt);
        h.feed(body);
        ASSERT_EQ(h.finish(), sha256(canon)) << "len " << len << " at " << at << " '" << line << "'";
        ++compared;
      }
    }
  }
  EVP_MD_free(md);
  EXPECT_EQ(compared, 3 * 70 * 71 / 2);
}

TEST(BodyHash, Rfc6376Section345Example) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  BodyHasher relaxed(Canon::Relaxed, md, std::nullopt), simple(Canon::Simple, md, std::nullopt);
  relaxed.feed(body);
  simple.feed(body);
  EXPECT_EQ(relaxed.finish(), sha256(" C\r\nD E\r\n"));
  EXPECT_EQ(simple.finish(), sha256(" C \r\nD \t E\r\n"));
  EVP_MD_free(md);
}

TEST(KeyCache, DecodesEachKeyOnceAndIgnoresFolding) {
  EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  std::string txt = publicKeyTxt(ed.get()).value_or("");
  std::string p = txt.substr(txt.find("p=") + 2);
  KeyCache cache(3);
  auto a = cache.get(KeyType::Ed25519, p);
  auto b = cache.get(KeyType::Ed25519, p.substr(0, 10) + " \r\n\t" + p.substr(10));
  ASSERT_TRUE(a->pkey);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(cache.decodes(), 1u);
  auto bad = cache.get(KeyType::Rsa, "AAAA");
  EXPECT_FALSE(bad->pkey);
  EXPECT_EQ(cache.get(KeyType::Rsa, "AAAA").get(), bad.get());  // failures are cached too
  EXPECT_EQ(cache.decodes(), 2u);
  for (const char* junk : {"QUJD", "REVG", "R0hJ", "SktM"}) cache.get(KeyType::Rsa, junk);
  EXPECT_LE(cache.size(), 3u);
  EXPECT_TRUE(a->pkey);  // held by the caller: eviction never frees a key in use
}

TEST(KeyCache, OversizedKeyRecordsAreNotKept) {
  KeyCache cache(100);
  // ~60 KB of base64: more than any key we decode (16 KiB); a hostile record must not be stored.
  for (char c : {'A', 'B', 'C'}) {
    auto k = cache.get(KeyType::Rsa, std::string(60000, c));
    EXPECT_FALSE(k->pkey);
  }
  EXPECT_EQ(cache.size(), 0u);
}

TEST(NativeKeys, Rsa8192KeyVerifies) {
  BioPtr bio(BIO_new_file((std::string(AM_DKIM_TEST_DATA_DIR) + "/rsa8192.pem").c_str(), "r"));
  ASSERT_TRUE(bio);
  LoadedKey key;
  key.pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key.pkey);
  key.domain = "example.com";
  key.selector = "big";
  key.alg = Alg::Rsa;
  key.bits = 8192;
  std::string txt = publicKeyTxt(key.pkey.get()).value_or("");
  ASSERT_GT(txt.size(), 1024u);
  FixedClock clock(1767225600);
  Signing s({{&key, "example.com"}}, SignOptions{}, clock);
  Message m;
  m.headers = {{"From", " a@example.com"}, {"Subject", " big key"}};
  m.body = "hello\r\n";
  for (auto& [n, v] : m.headers) s.header(n, v);
  s.endOfHeaders();
  s.body(m.body);
  auto sigs = s.finish();
  ASSERT_EQ(sigs.size(), 1u);
  m.headers.insert(m.headers.begin(), {"DKIM-Signature", " " + sigs[0]});
  InMemoryResolver dns;
  dns.addTxt("big._domainkey.example.com", txt);
  auto v = createVerifier(false, dns, VerifyOptions{}, clock, nullptr);
  auto r = verify(*v, m);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
  EXPECT_EQ(r[0].keyBits, 8192u);
}

// finish() twice gives the same outputs: a passing signature, one over another body, one
// without a key, and one with an l= added (header hash broken, l= shorter than the body).
TEST(NativeVerification, FinishIsIdempotent) {
  LoadedKey ed;
  ed.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ed.domain = "example.com";
  ed.selector = "e";
  ed.alg = Alg::Ed25519;
  FixedClock clock(1767225600);
  Message m;
  m.headers = {{"From", " a@example.com"}, {"Subject", " twice"}};
  m.body = "body\r\nmore\r\n";
  auto sign = [&](const std::string& body) {
    Signing s({{&ed, "example.com"}}, SignOptions{}, clock);
    for (auto& [n, v] : m.headers) s.header(n, v);
    s.endOfHeaders();
    s.body(body);
    return s.finish().at(0);
  };
  std::vector<std::string> sigs = {sign(m.body), sign("other\r\n"), "", "l=6; "};
  sigs[2] = sigs[0];
  sigs[2].replace(sigs[2].find("s=e;"), 4, "s=nokey;");
  sigs[3] += sigs[0];
  for (auto it = sigs.rbegin(); it != sigs.rend(); ++it) m.headers.insert(m.headers.begin(), {"DKIM-Signature", " " + *it});
  InMemoryResolver dns;
  dns.addTxt("e._domainkey.example.com", publicKeyTxt(ed.pkey.get()).value_or(""));
  VerifyOptions o;
  o.bodyLength = VerifyOptions::BodyLength::Fail;
  auto v = createVerifier(false, dns, o, clock, nullptr);
  auto job = v->startVerify("twice");
  for (const auto& [n, val] : m.headers) job->header(n, val);
  job->endOfHeaders();
  job->body(m.body);
  auto first = job->finish();
  auto second = job->finish();
  ASSERT_EQ(first.size(), 4u);
  ASSERT_EQ(second.size(), first.size());
  EXPECT_EQ(first[0].result, DkimResult::Pass) << describe(first);
  EXPECT_EQ(first[1].result, DkimResult::Fail) << describe(first);
  EXPECT_EQ(first[2].result, DkimResult::PermError) << describe(first);
  EXPECT_NE(first[3].result, DkimResult::Pass) << describe(first);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(second[i].result, first[i].result) << i;
    EXPECT_EQ(second[i].reason, first[i].reason) << i;
    EXPECT_EQ(second[i].domain, first[i].domain) << i;
    EXPECT_EQ(second[i].selector, first[i].selector) << i;
    EXPECT_EQ(second[i].identity, first[i].identity) << i;
    EXPECT_EQ(second[i].bPrefix, first[i].bPrefix) << i;
    EXPECT_EQ(second[i].keyBits, first[i].keyBits) << i;
    EXPECT_EQ(second[i].headerHashBytes, first[i].headerHashBytes) << i;
  }
  // What LogDebug reports: the header-hash input (the selected fields plus the signature with an
  // empty b=) and the canonical body bytes hashed ("body\r\nmore\r\n" = 12; l=6 caps at 6).
  EXPECT_GT(first[0].headerHashBytes, 100u);  // "from:a@example.com\r\nsubject:twice\r\ndkim-signature:..."
  EXPECT_EQ(first[0].bodyHashBytes, 12u);
  EXPECT_EQ(first[3].bodyHashBytes, 6u);
}

TEST(NativeKeys, EachKeyIsDecodedOnceAcrossMessagesAndThreads) {
  LoadedKey rsa, ed;
  rsa.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  ed.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  rsa.domain = ed.domain = "example.com";
  rsa.selector = "r";
  ed.selector = "e";
  rsa.alg = Alg::Rsa;
  ed.alg = Alg::Ed25519;
  FixedClock clock(1767225600);
  InMemoryResolver dns;
  dns.addTxt("r._domainkey.example.com", publicKeyTxt(rsa.pkey.get()).value_or(""));
  dns.addTxt("e._domainkey.example.com", publicKeyTxt(ed.pkey.get()).value_or(""));
  Message m;
  m.headers = {{"From", " a@example.com"}, {"Subject", " cached"}};
  m.body = "body\r\n";
  Signing s({{&rsa, "example.com"}, {&ed, "example.com"}}, SignOptions{}, clock);
  for (auto& [n, v] : m.headers) s.header(n, v);
  s.endOfHeaders();
  s.body(m.body);
  auto sigs = s.finish();
  ASSERT_EQ(sigs.size(), 2u);
  for (auto it = sigs.rbegin(); it != sigs.rend(); ++it) m.headers.insert(m.headers.begin(), {"DKIM-Signature", " " + *it});
  auto v = NativeVerifier::create(dns, VerifyOptions{}, clock, nullptr);
  ASSERT_TRUE(v);
  for (const auto& o : verify(*v, m)) EXPECT_EQ(o.result, DkimResult::Pass) << o.reason;
  EXPECT_EQ(v->keys().decodes(), 2u);  // first message: one decode per key
  std::atomic<int> passes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        for (const auto& o : verify(*v, m)) passes += o.result == DkimResult::Pass;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(passes.load(), 40);
  EXPECT_EQ(v->keys().size(), 2u);
  EXPECT_EQ(v->keys().decodes(), 2u);  // 20 more messages on 4 threads: no decode at all
}

TEST(NativeSig, HeaderSelectionIsBottomUpWithOversigning) {
  SigSpec sig = parseSignature("DKIM-Signature", " v=1; a=rsa-sha256; d=x.org; s=s; h=from:x:x:x; bh=AAAA; b=QUJD\n\tREVG");
  ASSERT_EQ(sig.error, SigError::None) << sigErrorText(sig.error);
  sig.headerCanon = Canon::Relaxed;
  HeaderIndex idx;
  idx.add("X", " first");
  idx.add("From", " a@x.org");
  idx.add("x", " second");
  idx.add(sig.name, sig.value);
  EXPECT_EQ(idx.hashInput(sig),
            "from:a@x.org\r\nx:second\r\nx:first\r\n"
            "dkim-signature:v=1; a=rsa-sha256; d=x.org; s=s; h=from:x:x:x; bh=AAAA; b=");
}

TEST(NativeSig, HeaderIndexFollowsFieldsAddedAfterAHashAndIgnoresNameCaseAndSpace) {
  SigSpec sig = parseSignature("DKIM-Signature", " v=1; a=rsa-sha256; d=x.org; s=s; h=From:Subject:subject:to; bh=AAAA; b=QUJD");
  ASSERT_EQ(sig.error, SigError::None) << sigErrorText(sig.error);
  HeaderIndex idx;
  idx.add("SUBJECT ", " one");
  idx.add("From", " a@x.org");
  std::string before = idx.hashInput(sig);  // simple canonicalization keeps names as written
  EXPECT_EQ(before, "From: a@x.org\r\nSUBJECT : one\r\nDKIM-Signature: v=1; a=rsa-sha256; d=x.org; s=s; "
                    "h=From:Subject:subject:to; bh=AAAA; b=");
  idx.add("subject", " two");
  idx.add("To", " b@y.org");
  std::string buf = "stale";
  idx.hashInputInto(buf, sig);
  EXPECT_EQ(buf, "From: a@x.org\r\nsubject: two\r\nSUBJECT : one\r\nTo: b@y.org\r\nDKIM-Signature: v=1; "
                 "a=rsa-sha256; d=x.org; s=s; h=From:Subject:subject:to; bh=AAAA; b=");
  EXPECT_EQ(idx.hashInput(sig), buf);  // a second hash of the same signature starts from the bottom again
}

TEST(NativeSig, ManyFieldsOfOneNameAreSelectedBottomUp) {
  std::string h = "from";
  for (int i = 0; i < 60; ++i) h += ":received";
  SigSpec sig = parseSignature("DKIM-Signature", " v=1; a=rsa-sha256; d=x.org; s=s; h=" + h + "; bh=AAAA; b=QUJD");
  ASSERT_EQ(sig.error, SigError::None) << sigErrorText(sig.error);
  sig.headerCanon = Canon::Relaxed;
  HeaderIndex idx;
  std::string want = "from:a@x.org\r\n";
  for (int i = 0; i < 50; ++i) idx.add(i % 2 ? "Received" : "received", " hop " + std::to_string(i));
  idx.add("From", " a@x.org");
  for (int i = 49; i >= 0; --i) want += "received:hop " + std::to_string(i) + "\r\n";  // 10 more are absent
  want += "dkim-signature:v=1; a=rsa-sha256; d=x.org; s=s; h=" + h + "; bh=AAAA; b=";
  EXPECT_EQ(idx.hashInput(sig), want);
}

TEST(NativeSig, EmptyBKeepsEverythingElse) {
  EXPECT_EQ(withEmptyB(" a=1; b=abc\n\tdef ; bh=xyz"), " a=1; b=; bh=xyz");
  EXPECT_EQ(withEmptyB(" b = abc"), " b =");
  EXPECT_EQ(withEmptyB(" bh=1;b=2"), " bh=1;b=");
}

}  // namespace
}  // namespace am::dkim::test
