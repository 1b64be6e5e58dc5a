// tests/dkim/interop_test.cpp — signatures made by Debian's dkimpy (rsa-sha256 2048-bit and
// ed25519-sha256, keys generated with openssl in a temp dir at test time, relaxed and simple)
// must verify; tampering, wrong/revoked keys, DNS failures, policy limits and the injected
// clock must give the right result and reason.
#include <gtest/gtest.h>

#include "common/strings.h"
#include "test_util.h"

namespace am::dkim::test {
namespace {

const char* kMessage =
    "From: Alice Example <alice@example.com>\n"
    "To: bob@example.org\n"
    "Subject: interop\n"
    "\tfolded subject line\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <interop@example.com>\n"
    "\n"
    "Hello Bob,\n"
    "  two  spaces\tand a tab  \n"
    "\n"
    "\n";

struct Keys {
  std::string privFile;    // what dkimpy reads (PEM for RSA, base64 seed for ed25519)
  std::string dnsRecord;   // the TXT record to publish
};

std::string b64(const std::string& bin) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bin.size(); i += 3) {
    unsigned v = (uint8_t)bin[i] << 16 | (uint8_t)bin[i + 1] << 8 | (uint8_t)bin[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(t[(v >> s) & 63]);
  }
  if (i + 1 == bin.size()) {
    unsigned v = (uint8_t)bin[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bin.size()) {
    unsigned v = (uint8_t)bin[i] << 16 | (uint8_t)bin[i + 1] << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

std::optional<Keys> makeKeys(const TempDir& dir, const std::string& alg, const std::string& name, int bits = 2048) {
  const std::string pem = dir.file(name + ".pem");
  std::vector<std::string> gen{"/usr/bin/openssl", "genpkey", "-out", pem};
  if (alg == "rsa") gen.insert(gen.end(), {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + std::to_string(bits)});
  else gen.insert(gen.end(), {"-algorithm", "ed25519"});
  if (!run(gen, "")) return std::nullopt;
  auto pub = run({"/usr/bin/openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"}, "");
  if (!pub) return std::nullopt;
  if (alg == "rsa") return Keys{pem, "v=DKIM1; k=rsa; p=" + b64(*pub)};
  auto priv = run({"/usr/bin/openssl", "pkey", "-in", pem, "-outform", "DER"}, "");
  if (!priv || priv->size() < 32 || pub->size() < 32) return std::nullopt;
  const std::string seedFile = dir.file(name + ".seed");
  writeFile(seedFile, b64(priv->substr(priv->size() - 32)));  // PKCS#8 ends with the seed
  return Keys{seedFile, "v=DKIM1; k=ed25519; p=" + b64(pub->substr(pub->size() - 32))};
}

// One temp dir and key set for the whole suite: key generation is the slow part.
class Interop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    rsa_ = new std::optional<Keys>(makeKeys(*dir_, "rsa", "rsa"));
    ed_ = new std::optional<Keys>(makeKeys(*dir_, "ed25519", "ed"));
    other_ = new std::optional<Keys>(makeKeys(*dir_, "rsa", "other"));
  }
  static void TearDownTestSuite() {
    delete rsa_; delete ed_; delete other_; delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(rsa_->has_value() && ed_->has_value() && other_->has_value()) << "openssl key generation failed";
    dns_.addTxt("rsa._domainkey.example.com", (*rsa_)->dnsRecord);
    dns_.addTxt("ed._domainkey.example.com", (*ed_)->dnsRecord);
  }
  std::unique_ptr<Verifier> lib(VerifyOptions o = {}) {
    auto l = makeVerifier(dns_, std::move(o), clock_);
    EXPECT_TRUE(l);
    return l;
  }
  std::string sign(const std::string& msg, const std::string& sel, const std::string& hc = "relaxed",
                   const std::string& bc = "relaxed", const std::string& alg = "") {
    const Keys& k = sel == "ed" ? **ed_ : **rsa_;
    auto s = dkimpySign(msg, k.privFile, sel, "example.com", hc, bc,
                        alg.empty() ? (sel == "ed" ? "ed25519-sha256" : "rsa-sha256") : alg);
    EXPECT_TRUE(s.has_value());
    return s.value_or("");
  }
  static TempDir* dir_;
  static std::optional<Keys>* rsa_;
  static std::optional<Keys>* ed_;
  static std::optional<Keys>* other_;
  InMemoryResolver dns_;
  FixedClock clock_{SystemClock::instance().unixSeconds()};
};
TempDir* Interop::dir_ = nullptr;
std::optional<Keys>* Interop::rsa_ = nullptr;
std::optional<Keys>* Interop::ed_ = nullptr;
std::optional<Keys>* Interop::other_ = nullptr;

TEST_F(Interop, PassesForEveryAlgorithmAndCanonicalization) {
  auto l = lib();
  for (const char* sel : {"rsa", "ed"}) {
    for (const char* hc : {"relaxed", "simple"}) {
      for (const char* bc : {"relaxed", "simple"}) {
        SCOPED_TRACE(std::string(sel) + " c=" + hc + "/" + bc);
        std::string s = sign(kMessage, sel, hc, bc);
        auto r = verify(*l, parseMessage(s));
        ASSERT_EQ(r.size(), 1u) << describe(r);
        EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
        EXPECT_EQ(r[0].domain, "example.com");
        EXPECT_EQ(r[0].selector, sel);
        EXPECT_EQ(r[0].identity, "@example.com");
        EXPECT_EQ(r[0].algorithm, std::string(sel) == "ed" ? "ed25519-sha256" : "rsa-sha256");
        EXPECT_EQ(r[0].keyBits, std::string(sel) == "ed" ? 0u : 2048u);
        size_t b = s.find(" b=");
        if (b == std::string::npos) b = s.find(";b=");
        ASSERT_NE(b, std::string::npos);
        std::string bval = s.substr(b + 3, 20);
        bval.erase(std::remove_if(bval.begin(), bval.end(), [](char c) { return c == ' ' || c == '\r' || c == '\n' || c == '\t'; }), bval.end());
        EXPECT_EQ(r[0].bPrefix, bval.substr(0, 8));
      }
    }
  }
}

TEST_F(Interop, TwoSignaturesAreReportedInHeaderOrder) {
  auto l = lib();
  std::string s = sign(sign(kMessage, "rsa"), "ed");  // dkimpy prepends: ed25519 ends up on top
  auto r = verify(*l, parseMessage(s));
  ASSERT_EQ(r.size(), 2u) << describe(r);
  EXPECT_EQ(r[0].selector, "ed");
  EXPECT_EQ(r[1].selector, "rsa");
  EXPECT_EQ(r[0].result, DkimResult::Pass);
  EXPECT_EQ(r[1].result, DkimResult::Pass);
}

TEST_F(Interop, TamperedHeaderFails) {
  auto l = lib();
  for (const char* sel : {"rsa", "ed"}) {
    std::string s = sign(kMessage, sel);
    s.replace(s.find("Subject: interop"), 16, "Subject: INTEROP");
    auto r = verify(*l, parseMessage(s));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].result, DkimResult::Fail) << describe(r);
    EXPECT_EQ(r[0].reason, "signature mismatch");
  }
}

TEST_F(Interop, TamperedBodyFails) {
  auto l = lib();
  for (const char* sel : {"rsa", "ed"}) {
    std::string s = sign(kMessage, sel);
    s.replace(s.find("Hello Bob"), 9, "Hello Eve");
    auto r = verify(*l, parseMessage(s));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].result, DkimResult::Fail) << describe(r);
    EXPECT_EQ(r[0].reason, "body hash mismatch");
  }
}

TEST_F(Interop, WrongKeyFails) {
  dns_.addTxt("wrong._domainkey.example.com", (*other_)->dnsRecord);
  auto l = lib();
  std::string s = sign(kMessage, "rsa");
  s.replace(s.find("s=rsa"), 5, "s=wrong");  // the signature names a selector holding another key
  auto r = verify(*l, parseMessage(s));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Fail) << describe(r);
  EXPECT_EQ(r[0].reason, "signature mismatch");
}

TEST_F(Interop, RevokedKeyIsPermerror) {
  dns_.clear();
  dns_.addTxt("rsa._domainkey.example.com", "v=DKIM1; k=rsa; p=");
  auto l = lib();
  auto r = verify(*l, parseMessage(sign(kMessage, "rsa")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "key revoked");
}

TEST_F(Interop, DnsOutcomesMapToTemperrorAndPermerror) {
  std::string s = sign(kMessage, "rsa");
  dns_.setStatus("rsa._domainkey.example.com", RrType::TXT, DnsStatus::TempFail);
  auto l = lib();
  auto r = verify(*l, parseMessage(s));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::TempError) << describe(r);
  EXPECT_EQ(r[0].reason, "key lookup failed (temporary DNS error)");

  dns_.clear();  // NXDOMAIN
  r = verify(*l, parseMessage(s));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "key not found");
}

TEST_F(Interop, Sha1IsReportedAsPolicy) {
  auto l = lib();
  auto r = verify(*l, parseMessage(sign(kMessage, "rsa", "relaxed", "relaxed", "rsa-sha1")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Policy) << describe(r);
  EXPECT_EQ(r[0].reason, "algorithm not accepted (rsa-sha1)");
}

TEST_F(Interop, KeyBelowMinimumIsPolicy) {
  VerifyOptions o;
  o.minKeyBits = 4096;
  auto l = lib(o);
  auto r = verify(*l, parseMessage(sign(kMessage, "rsa")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Policy) << describe(r);
  EXPECT_EQ(r[0].reason, "key too small (2048 bits)");
  // ed25519 has no RSA key size: the minimum does not apply.
  r = verify(*l, parseMessage(sign(kMessage, "ed")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
}

TEST_F(Interop, AlgorithmListIsHonoured) {
  VerifyOptions o;
  o.algorithms = {"rsa-sha256"};
  auto l = lib(o);
  auto r = verify(*l, parseMessage(sign(kMessage, "ed")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Policy) << describe(r);
}

TEST_F(Interop, BodyWithoutFinalCrlfVerifies) {
  auto l = lib();
  for (const char* bc : {"simple", "relaxed"}) {
    std::string s = sign("From: a@example.com\nSubject: x\n\nno newline at the end", "rsa", "relaxed", bc);
    ASSERT_EQ(s.substr(s.size() - 3), "end");
    auto r = verify(*l, parseMessage(s));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].result, DkimResult::Pass) << bc << ": " << describe(r);
  }
}

TEST_F(Interop, BareLfBodyAndTinyChunksVerify) {
  auto l = lib();
  for (const char* bc : {"simple", "relaxed"}) {
    Message m = parseMessage(sign(kMessage, "rsa", "simple", bc));
    std::string lf;
    for (char c : m.body)
      if (c != '\r') lf.push_back(c);
    m.body = lf;  // an MTA handing us bare LF line ends
    auto r = verify(*l, m, 1);  // one byte per chunk: CR/LF pairs split across chunks
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].result, DkimResult::Pass) << bc << ": " << describe(r);
  }
}

TEST_F(Interop, LengthLimitedSignatureFollowsBodyLengthOption) {
  auto signedMsg = dkimpySign(kMessage, (*rsa_)->privFile, "rsa", "example.com", "relaxed", "simple",
                              "rsa-sha256", true);
  ASSERT_TRUE(signedMsg);
  std::string extended = *signedMsg + "appended by a mailing list\r\n";
  auto accept = lib();
  auto r = verify(*accept, parseMessage(extended));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
  VerifyOptions o;
  o.bodyLength = VerifyOptions::BodyLength::Fail;
  auto strict = lib(o);
  r = verify(*strict, parseMessage(extended));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Policy) << describe(r);
  EXPECT_EQ(r[0].reason, "l= leaves unsigned body content");
  r = verify(*strict, parseMessage(*signedMsg));  // nothing appended: still a pass
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
}

}  // namespace
}  // namespace am::dkim::test
