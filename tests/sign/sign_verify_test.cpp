// tests/sign/sign_verify_test.cpp — signatures made by am::dkim verify in two independent
// verifiers (dkimpy via dkim_verify.py, and libopendkim), for both algorithms and all four
// canonicalizations; tampering fails; dual signing; oversigning; never-signed headers; bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "common/strings.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "sign_test_util.h"

namespace am::signtest {
namespace {

using dkim::Canon;
using policy::KeyEntry;

// Zone-file record → (DNS name without the final dot, TXT data with the strings joined).
std::pair<std::string, std::string> parseZone(const std::string& rec) {
  std::string name = rec.substr(0, rec.find(' '));
  if (!name.empty() && name.back() == '.') name.pop_back();
  std::string txt;
  size_t p = rec.find('"');
  while (p != std::string::npos) {
    size_t e = rec.find('"', p + 1);
    txt += rec.substr(p + 1, e - p - 1);
    p = rec.find('"', e + 1);
  }
  return {name, txt};
}

struct Keys {
  TempDir dir;
  policy::SigningTable table;
  std::unique_ptr<dkim::KeyStore> store;
  KeyMap dns;
};

class SignVerify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    std::string err;
    auto rsa = dkim::keygen("example.com", "rsa2026", KeyEntry::Alg::Rsa, 2048, keys_->dir.path(), &err);
    auto ed = dkim::keygen("example.com", "ed2026", KeyEntry::Alg::Ed25519, 0, keys_->dir.path(), &err);
    ASSERT_TRUE(rsa && ed) << err;
    keys_->dns.insert(parseZone(rsa->dnsRecord));
    keys_->dns.insert(parseZone(ed->dnsRecord));
    auto& t = keys_->table;
    ASSERT_TRUE(policy::parseSigningDirective("key", {"rsa", "example.com", "rsa2026", rsa->privateKeyPath, "rsa"}, t, err)) << err;
    ASSERT_TRUE(policy::parseSigningDirective("key", {"ed", "Example.COM.", "ed2026", ed->privateKeyPath, "ed25519"}, t, err)) << err;
    ASSERT_TRUE(policy::parseSigningDirective("sign", {"example.com", "rsa,ed"}, t, err)) << err;
    std::vector<std::string> errors;
    keys_->store = dkim::KeyStore::load(t, errors);
    ASSERT_TRUE(keys_->store) << (errors.empty() ? "" : errors[0]);
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }
  const KeyEntry* key(const char* name) { return keys_->table.findKey(name); }
  std::unique_ptr<dkim::Signing> start(std::vector<const KeyEntry*> ks, const dkim::SignOptions& o = {}) {
    std::string err;
    auto s = dkim::startSigning(*keys_->store, ks, o, clock_, "example.com", &err);
    EXPECT_TRUE(s) << err;
    return s;
  }
  static Keys* keys_;
  FixedClock clock_{1763892000};
};
Keys* SignVerify::keys_ = nullptr;

struct Variant {
  const char* key;
  Canon h, b;
};

class SignVerifyVariants : public SignVerify, public ::testing::WithParamInterface<Variant> {};

TEST_P(SignVerifyVariants, VerifiesInDkimpyAndLibopendkimAndTamperingFails) {
  dkim::SignOptions o;
  o.headerCanon = GetParam().h;
  o.bodyCanon = GetParam().b;
  auto s = start({key(GetParam().key)}, o);
  ASSERT_TRUE(s);
  Message m = sampleMessage();
  auto sigs = signMessage(*s, m);
  ASSERT_EQ(sigs.size(), 1u) << (s->errors().empty() ? "" : s->errors()[0]);
  EXPECT_EQ(sigs[0].find('\r'), std::string::npos);
  EXPECT_EQ(tagValue(sigs[0], "c"), std::string(dkim::canonName(o.headerCanon)) + "/" + dkim::canonName(o.bodyCanon));
  Message bodyChanged = m;
  bodyChanged.body.replace(0, 5, "Howdy");
  Message subjectChanged = m;
  subjectChanged.headers[3].second = " A different subject";
  std::string out;
  auto res = verifyAllWithDkimpy({assemble(m, sigs), assemble(bodyChanged, sigs), assemble(subjectChanged, sigs)},
                                 keys_->dns, &out);
  EXPECT_TRUE(res[0]) << out << "\n" << sigs[0];
  EXPECT_FALSE(res[1]) << out;
  EXPECT_FALSE(res[2]) << out;
  int total = 0;
  EXPECT_EQ(verifyWithLibopendkim(m, sigs, keys_->dns, &total), 1);
  EXPECT_EQ(total, 1);
  EXPECT_EQ(verifyWithLibopendkim(bodyChanged, sigs, keys_->dns, &total), 0);
  EXPECT_EQ(verifyWithLibopendkim(subjectChanged, sigs, keys_->dns, &total), 0);
}

std::string variantName(const ::testing::TestParamInfo<Variant>& i) {
  return std::string(i.param.key) + "_" + dkim::canonName(i.param.h) + "_" + dkim::canonName(i.param.b);
}

INSTANTIATE_TEST_SUITE_P(
    AllCanonicalizations, SignVerifyVariants,
    ::testing::Values(Variant{"rsa", Canon::Simple, Canon::Simple}, Variant{"rsa", Canon::Relaxed, Canon::Relaxed},
                      Variant{"rsa", Canon::Relaxed, Canon::Simple}, Variant{"rsa", Canon::Simple, Canon::Relaxed},
                      Variant{"ed", Canon::Simple, Canon::Simple}, Variant{"ed", Canon::Relaxed, Canon::Relaxed},
                      Variant{"ed", Canon::Relaxed, Canon::Simple}, Variant{"ed", Canon::Simple, Canon::Relaxed}),
    variantName);

TEST_F(SignVerify, DualSigningFromTableLookupBothVerify) {
  auto ks = keys_->table.lookup("Alice@EXAMPLE.com.");
  ASSERT_EQ(ks.size(), 2u);
  auto s = start(ks);
  ASSERT_TRUE(s);
  Message m = sampleMessage();
  auto sigs = signMessage(*s, m);
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(tagValue(sigs[0], "a"), "rsa-sha256");
  EXPECT_EQ(tagValue(sigs[1], "a"), "ed25519-sha256");
  EXPECT_EQ(tagValue(sigs[1], "d"), "example.com");
  EXPECT_EQ(tagValue(sigs[0], "bh"), tagValue(sigs[1], "bh"));
  std::string out;
  EXPECT_TRUE(verifyWithDkimpy(assemble(m, sigs), keys_->dns, &out)) << out;
  EXPECT_NE(out.find("(2 signatures)"), std::string::npos) << out;
  int total = 0;
  EXPECT_EQ(verifyWithLibopendkim(m, sigs, keys_->dns, &total), 2);
  EXPECT_EQ(total, 2);
}

TEST_F(SignVerify, FromOversignedAndConfiguredOversignsAppearInH) {
  dkim::SignOptions o;
  o.oversignHeaders = {"From", "To", "List-Id"};
  auto s = start({key("rsa")}, o);
  Message m = sampleMessage();
  m.headers.push_back({"To", " dave@example.org"});  // two To instances
  auto sigs = signMessage(*s, m);
  ASSERT_EQ(sigs.size(), 1u);
  auto h = hList(sigs[0]);
  auto count = [&](const char* n) { return std::count(h.begin(), h.end(), std::string(n)); };
  EXPECT_EQ(count("From"), 2);
  EXPECT_EQ(count("To"), 3);
  EXPECT_EQ(count("List-Id"), 1);   // oversigned though absent: one null entry
  EXPECT_EQ(count("Subject"), 1);   // plain signed
  EXPECT_EQ(count("Cc"), 0);        // absent, not oversigned: left out
  std::string out;
  EXPECT_TRUE(verifyWithDkimpy(assemble(m, sigs), keys_->dns, &out)) << out;
  int passing = 0;
  EXPECT_EQ(verifyWithLibopendkim(m, sigs, keys_->dns, &passing), 1);
  // An added From (the attack oversigning stops) breaks the signature.
  Message extra = m;
  extra.headers.insert(extra.headers.begin(), {"From", " mallory@evil.example"});
  EXPECT_FALSE(verifyWithDkimpy(assemble(extra, sigs), keys_->dns, &out)) << out;
  int total = 0;
  EXPECT_EQ(verifyWithLibopendkim(extra, sigs, keys_->dns, &total), 0);
}

TEST_F(SignVerify, AuthenticationResultsIsNeverSignedEvenIfConfigured) {
  dkim::SignOptions o;
  o.signHeaders.push_back("Authentication-Results");
  o.oversignHeaders.push_back("authentication-results");
  auto s = start({key("ed")}, o);
  Message m = sampleMessage();
  auto sigs = signMessage(*s, m);
  ASSERT_EQ(sigs.size(), 1u);
  for (const auto& n : hList(sigs[0])) EXPECT_FALSE(am::iequals(n, "Authentication-Results")) << sigs[0];
  Message changed = m;  // a downstream MTA rewrites AR: the signature still holds
  changed.headers.back().second = " other.example; dkim=pass";
  std::string out;
  EXPECT_TRUE(verifyWithDkimpy(assemble(changed, sigs), keys_->dns, &out)) << out;
  int total = 0;
  EXPECT_EQ(verifyWithLibopendkim(changed, sigs, keys_->dns, &total), 1);
}

TEST_F(SignVerify, NoFromHeaderMeansNoSignatureAndAnError) {
  auto s = start({key("rsa"), key("ed")});
  Message m = sampleMessage();
  m.headers.erase(m.headers.begin() + 1);
  auto sigs = signMessage(*s, m);
  EXPECT_TRUE(sigs.empty());
  ASSERT_FALSE(s->errors().empty());
  EXPECT_NE(s->errors()[0].find("no From"), std::string::npos);
}

TEST_F(SignVerify, EightBitHeaderAndEmptyBodySignAndVerify) {
  for (Canon c : {Canon::Simple, Canon::Relaxed}) {
    dkim::SignOptions o;
    o.headerCanon = o.bodyCanon = c;
    auto s = start({key("rsa")}, o);
    Message m = sampleMessage();
    m.headers[3].second = " Gr\xc3\xbc\xc3\x9f""e aus K\xc3\xb6ln";
    m.body.clear();
    auto sigs = signMessage(*s, m);
    ASSERT_EQ(sigs.size(), 1u);
    std::string out;
    EXPECT_TRUE(verifyWithDkimpy(assemble(m, sigs), keys_->dns, &out)) << out;
    int total = 0;
    EXPECT_EQ(verifyWithLibopendkim(m, sigs, keys_->dns, &total), 1);
  }
}

TEST_F(SignVerify, ChunkedBodyGivesTheSameSignatureAsOneChunk) {
  Message m = sampleMessage();
  auto whole = start({key("ed")});
  auto sigsWhole = signMessage(*whole, m);
  auto chunked = start({key("ed")});
  for (const auto& [n, v] : m.headers) chunked->header(n, v);
  chunked->endOfHeaders();
  for (char c : m.body) chunked->body(std::string_view(&c, 1));
  auto sigsChunked = chunked->finish();
  ASSERT_EQ(sigsWhole.size(), 1u);
  ASSERT_EQ(sigsChunked.size(), 1u);
  EXPECT_EQ(sigsWhole[0], sigsChunked[0]);  // Ed25519 is deterministic
}

TEST_F(SignVerify, ConcurrentSigningWithOneKeyStoreGivesTheVerifiedSignatures) {
  Message m = sampleMessage();
  auto ref = start({key("rsa"), key("ed")});
  auto expected = signMessage(*ref, m);  // both schemes are deterministic
  ASSERT_EQ(expected.size(), 2u);
  std::string out;
  ASSERT_TRUE(verifyWithDkimpy(assemble(m, expected), keys_->dns, &out)) << out;
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto s = dkim::startSigning(*keys_->store, {key("rsa"), key("ed")}, {}, clock_, "example.com");
        auto sigs = signMessage(*s, m);
        if (sigs != expected) got[t] = sigs;  // keep the first mismatch
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_TRUE(g.empty()) << (g.empty() ? "" : g[0]);
}

TEST_F(SignVerify, ExpirationTagAndTimestampComeFromTheClock) {
  dkim::SignOptions o;
  o.expireSeconds = 3600;
  auto s = start({key("rsa")}, o);
  auto sigs = signMessage(*s, sampleMessage());
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_EQ(tagValue(sigs[0], "t"), "1763892000");
  EXPECT_EQ(tagValue(sigs[0], "x"), "1763895600");
}

TEST_F(SignVerify, PercentDomainKeyUsesTheSenderDomain) {
  policy::SigningTable t;
  std::string err;
  ASSERT_TRUE(policy::parseSigningDirective("key", {"any", "%", "ed2026", key("ed")->keyPath, "ed25519"}, t, err));
  std::vector<std::string> errors;
  auto store = dkim::KeyStore::load(t, errors);
  ASSERT_TRUE(store);
  std::string e2;
  EXPECT_FALSE(dkim::startSigning(*store, {t.findKey("any")}, {}, clock_, "", &e2));
  EXPECT_NE(e2.find("sender domain"), std::string::npos);
  auto s = dkim::startSigning(*store, {t.findKey("any")}, {}, clock_, "Other.Example.", &e2);
  ASSERT_TRUE(s);
  auto sigs = signMessage(*s, sampleMessage());
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_EQ(tagValue(sigs[0], "d"), "other.example");
}

TEST_F(SignVerify, KeyNotInStoreIsAnError) {
  KeyEntry stray;
  stray.name = "stray";
  stray.domain = "example.com";
  stray.selector = "x";
  stray.keyPath = "/nonexistent";
  std::string err;
  EXPECT_FALSE(dkim::startSigning(*keys_->store, {&stray}, {}, clock_, "example.com", &err));
  EXPECT_NE(err.find("stray"), std::string::npos);
}

}  // namespace
}  // namespace am::signtest
