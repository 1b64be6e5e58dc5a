// tests/arc/interop_test.cpp — chains sealed by Debian's python3-dkim (dkim.arc_sign) verify with
// arc::Verifier: one, two and three hops (RSA; and an Ed25519 hop) (a hop that adds a list footer moves oldest-pass), and each
// kind of tampering after the last seal fails: the body, a signed header, an AAR, a seal. A hop
// whose own check said arc=fail seals cv=fail, and the chain fails.
#include <gtest/gtest.h>

#include "test_util.h"
#include "tests/arc/arc_test_util.h"

namespace am::arc::test {
namespace {

struct Interop : ::testing::Test {
  dkim::test::TempDir tmp;
  InMemoryResolver dns;
  std::unique_ptr<Verifier> v;

  void SetUp() override {
    for (const char* hop : {"hop1.example", "hop2.example", "hop3.example"}) {
      std::string record = makeRsaKey(tmp.file(std::string(hop) + ".key"));
      ASSERT_FALSE(record.empty());
      dns.addTxt(std::string("arc._domainkey.") + hop, record);
    }
    v = Verifier::create(dns, {}, nullptr);
  }

  // Adds the hop's Authentication-Results (what it saw) on top and seals as that hop.
  std::string seal(const std::string& msg, const std::string& hop, const std::string& saw) {
    std::string in = "Authentication-Results: " + hop + "; " + saw + "\r\n" + msg;
    auto out = dkimpySeal(in, hop, "arc", tmp.file(hop + ".key"), hop);
    EXPECT_TRUE(out.has_value()) << hop;
    return out.value_or(in);
  }
};

const std::string kMessage =
    "From: Alice <alice@example.com>\r\nTo: list@hop1.example\r\nSubject: hello\r\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <interop@example.com>\r\n\r\n"
    "Hello,\r\n\r\nthis is   the body.\r\n";

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
  auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

TEST_F(Interop, OneHop) {
  std::string m = seal(kMessage, "hop1.example", "arc=none; dmarc=pass header.from=example.com");
  ChainResult r = verifyMessage(*v, m);
  EXPECT_EQ(r.cv, Cv::Pass) << r.reason;
  EXPECT_EQ(r.lastInstance, 1);
  EXPECT_EQ(r.sealer, "hop1.example");
  ASSERT_EQ(r.aarResults.size(), 2u);  // arc=none; dmarc=pass
  EXPECT_EQ(r.aarResults[1].method, "dmarc");
  EXPECT_EQ(verifyMessage(*v, m, 3).cv, Cv::Pass);  // any chunking
}

TEST_F(Interop, ThreeHopsAndAFooterMovesOldestPass) {
  std::string m = seal(kMessage, "hop1.example", "arc=none; dmarc=pass header.from=example.com");
  m = seal(m, "hop2.example", "arc=pass; dmarc=fail header.from=example.com");
  ChainResult two = verifyMessage(*v, m);
  EXPECT_EQ(two.cv, Cv::Pass) << two.reason;
  EXPECT_EQ(two.lastInstance, 2);
  EXPECT_EQ(two.oldestPass, 0);
  m += "--\r\nlist footer\r\n";  // hop 3 is a list that appends a footer, then seals
  m = seal(m, "hop3.example", "arc=pass");
  ChainResult three = verifyMessage(*v, m);
  EXPECT_EQ(three.cv, Cv::Pass) << three.reason;
  EXPECT_EQ(three.lastInstance, 3);
  EXPECT_EQ(three.oldestPass, 3);  // the AMSes of hops 1 and 2 no longer match the body
  EXPECT_EQ(three.sealer, "hop3.example");
  ASSERT_EQ(three.sets.size(), 3u);
  EXPECT_EQ(three.sets[1].ams, "fail");
  EXPECT_EQ(three.sets[2].ams, "pass");
  for (const SetDetail& d : three.sets) EXPECT_EQ(d.seal, "pass") << d.instance;
}

TEST_F(Interop, TamperingAfterTheLastSealFails) {
  std::string m = seal(kMessage, "hop1.example", "arc=none; dmarc=pass header.from=example.com");
  m = seal(m, "hop2.example", "arc=pass; dmarc=pass header.from=example.com");
  ASSERT_EQ(verifyMessage(*v, m).cv, Cv::Pass);
  struct Case {
    const char* what;
    std::string from, to;
  } cases[] = {
      {"body", "this is   the body.", "this is   the bodY."},
      {"signed header", "Subject: hello", "Subject: hellO"},
      {"older AAR", "i=1; hop1.example", "i=1; hop1.examplf"},
      {"newest AAR", "i=2; hop2.example", "i=2; hop2.examplf"},
      {"seal instance", "ARC-Seal: i=1; cv=none", "ARC-Seal: i=1; cv=pass"},
  };
  for (const Case& c : cases) {
    ChainResult r = verifyMessage(*v, replaceOnce(m, c.from, c.to));
    EXPECT_EQ(r.cv, Cv::Fail) << c.what;
    EXPECT_FALSE(r.reason.empty()) << c.what;
  }
  // Relaxed canonicalization: whitespace inside the body lines does not matter.
  EXPECT_EQ(verifyMessage(*v, replaceOnce(m, "this is   the body.", "this is the body.")).cv, Cv::Pass);
}

TEST_F(Interop, Ed25519Hops) {
  std::string record = makeEd25519Key(tmp.file("ed.key"));
  ASSERT_FALSE(record.empty());
  dns.addTxt("ed._domainkey.hop2.example", record);
  std::string m = seal(kMessage, "hop1.example", "arc=none; dmarc=pass header.from=example.com");
  auto out = dkimpySeal("Authentication-Results: hop2.example; arc=pass\r\n" + m, "hop2.example", "ed",
                        tmp.file("ed.key"), "hop2.example", true);
  ASSERT_TRUE(out.has_value());
  ASSERT_NE(out->find("a=ed25519-sha256"), std::string::npos);
  ChainResult r = verifyMessage(*v, *out);
  EXPECT_EQ(r.cv, Cv::Pass) << r.reason;
  EXPECT_EQ(r.lastInstance, 2);
  ChainResult bad = verifyMessage(*v, replaceOnce(*out, "Subject: hello", "Subject: hellO"));
  EXPECT_EQ(bad.cv, Cv::Fail);
  // The same key published as RSA is unusable for an ed25519 signature.
  InMemoryResolver wrong;
  wrong.addTxt("arc._domainkey.hop1.example", *dns.txt("arc._domainkey.hop1.example").records.begin());
  wrong.addTxt("ed._domainkey.hop2.example", replaceOnce(record, "k=ed25519", "k=rsa"));
  auto w = Verifier::create(wrong, {}, nullptr);
  EXPECT_EQ(verifyMessage(*w, *out).cv, Cv::Fail);
}

TEST_F(Interop, HopThatSawAFailingChainSealsCvFail) {
  std::string m = seal(kMessage, "hop1.example", "arc=none; dmarc=pass header.from=example.com");
  m = seal(m, "hop2.example", "arc=fail; dmarc=fail header.from=example.com");
  ASSERT_NE(m.find("cv=fail"), std::string::npos) << m.substr(0, 400);
  ChainResult r = verifyMessage(*v, m);
  EXPECT_EQ(r.cv, Cv::Fail);
  EXPECT_NE(r.reason.find("cv=fail"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace am::arc::test
