// tests/arc_seal/interop_test.cpp — chains sealed by am_arc_seal, checked by two independent
// ARC verifiers: python3-dkim (dkim.arc_verify) and Mail::DKIM (Mail::DKIM::ARC::Verifier).
// Keys are served to them from a file (no DNS). Covered: a first set, three hops of ours, our hop
// on a chain python3-dkim sealed (dkim.arc_sign), and the negative controls that show the
// verifiers really check (a changed body, a cv=fail seal). rsa-sha256 only: neither Debian 12
// verifier takes ed25519-sha256 in ARC (dkimpy: "unknown signature algorithm"; Mail::DKIM
// 1.20230212 has no Ed25519 at all); Ed25519 seals are checked in sealer_test.cpp.
#include <gtest/gtest.h>

#include "tests/arc_seal/arc_test_util.h"

namespace am::arctest {
namespace {

const char* kMessage =
    "Authentication-Results: list.example.org; spf=pass smtp.mailfrom=alice@origin.example\n"
    "Received: from origin.example by list.example.org; Fri, 4 Dec 2026 10:00:00 +0000\n"
    "From: Alice <alice@origin.example>\n"
    "To: list@list.example.org\n"
    "Subject: [list] interop\n"
    "Date: Fri, 4 Dec 2026 10:00:00 +0000\n"
    "Message-ID: <interop-1@origin.example>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain\n"
    "\n"
    "Hello list,  with  spaces \n"
    "and a second line.\n";

struct Sealer {
  std::string domain, selector, pem, txt;
  dkim::LoadedKey key;
  Sealer(const std::string& d, const std::string& s, const std::string& type)
      : domain(d), selector(s), key(generateKey(type, &pem, &txt)) {}
  arcseal::SealKey sealKey() const { return {&key, domain, selector}; }
  std::string dnsName() const { return selector + "._domainkey." + domain; }
};

class ArcInterop : public ::testing::Test {
 protected:
  // Seals `m` (cv and previous instance as given) and returns the sealed message.
  std::string sealOnce(const RawMessage& m, const Sealer& s, arcseal::ChainStatus chain, const std::string& authserv,
                       const std::string& results) {
    keys_[s.dnsName()] = s.txt;
    auto out = seal(m, s.sealKey(), {}, 1796380000, chain, authserv, results);
    EXPECT_TRUE(out.set.has_value()) << out.reason;
    if (!out.set) return assemble(m);
    EXPECT_EQ(out.set->instance, chain.lastInstance + 1);
    return assemble(m, setFields(*out.set));
  }
  std::string dkimpy(const std::string& msg, const std::string& name) {
    std::string path = dir_.file(name), output;
    writeFile(path, msg);
    std::string cv = dkimpyArcVerify(path, keys_, &output);
    log_ += "python3-dkim " + name + ":\n" + output;
    return cv;
  }
  std::string mailDkim(const std::string& msg, const std::string& name) {
    std::string path = dir_.file(name), output;
    writeFile(path, msg);
    std::string cv = mailDkimArcVerify(path, keys_, &output);
    log_ += "Mail::DKIM " + name + ":\n" + output;
    return cv;
  }
  TempDir dir_;
  KeyMap keys_;
  std::string log_;
};

TEST_F(ArcInterop, FirstSetRsaVerifiesWithBoth) {
  Sealer s("list.example.org", "arc2026", "rsa");
  std::string sealed = sealOnce(parseMessage(kMessage), s, {arcseal::Cv::None, 0}, "list.example.org",
                                "arc=none; spf=pass smtp.mailfrom=alice@origin.example");
  EXPECT_EQ(dkimpy(sealed, "m1"), "pass") << log_;
  EXPECT_EQ(mailDkim(sealed, "m1"), "pass") << log_;
}

TEST_F(ArcInterop, ThreeHopsOfOursVerifyWithBoth) {
  Sealer a("list.example.org", "s1", "rsa"), b("forward.example.net", "s2", "rsa"), c("mx.example.com", "s3", "rsa");
  std::string m1 = sealOnce(parseMessage(kMessage), a, {arcseal::Cv::None, 0}, "list.example.org", "arc=none");
  // Each hop changes the message the way lists and forwarders do, outside what the AMS signs
  // (a Received header on top) — the chain must still verify.
  std::string m2 = sealOnce(parseMessage("Received: by forward.example.net\r\n" + m1), b, {arcseal::Cv::Pass, 1},
                            "forward.example.net", "arc=pass; dkim=none");
  std::string m3 = sealOnce(parseMessage(m2), c, {arcseal::Cv::Pass, 2}, "mx.example.com", "arc=pass");
  EXPECT_EQ(dkimpy(m3, "m3"), "pass") << log_;
  EXPECT_EQ(mailDkim(m3, "m3"), "pass") << log_;
}

// Hop 1 by python3-dkim (dkim.arc_sign), hop 2 by us: both verifiers accept the chain.
TEST_F(ArcInterop, OurHopOnDkimpyChainVerifiesWithBoth) {
  Sealer first("list.example.org", "py", "rsa"), ours("forward.example.net", "am", "rsa");
  keys_[first.dnsName()] = first.txt;
  std::string in = dir_.file("hop0"), out = dir_.file("hop1"), key = dir_.file("py.pem"), output;
  writeFile(in, assemble(parseMessage(std::string("Authentication-Results: list.example.org; arc=none;\n"
                                                  "  spf=pass smtp.mailfrom=alice@origin.example\n") +
                                      kMessage)));
  writeFile(key, first.pem);
  ASSERT_EQ(run(std::string("/usr/bin/python3 ") + AM_ARC_SCRIPTS + "/arc_sign.py " + key +
                    " list.example.org py list.example.org 1796380000 " + in + " " + out,
                &output),
            0)
      << output;
  std::string hop1 = readFile(out);
  ASSERT_EQ(dkimpy(hop1, "hop1"), "pass") << log_;
  std::string hop2 = sealOnce(parseMessage(hop1), ours, {arcseal::Cv::Pass, 1}, "forward.example.net",
                              "arc=pass (i=1 d=list.example.org); spf=fail smtp.mailfrom=alice@origin.example");
  EXPECT_NE(hop2.find("i=2; forward.example.net"), std::string::npos);
  EXPECT_EQ(dkimpy(hop2, "hop2"), "pass") << log_;
  EXPECT_EQ(mailDkim(hop2, "hop2"), "pass") << log_;
}

// Negative controls: the verifiers catch a body changed after sealing, and a chain we sealed
// with cv=fail is a failed chain for them.
TEST_F(ArcInterop, ChangedBodyFailsWithBoth) {
  Sealer s("list.example.org", "s1", "rsa");
  std::string sealed = sealOnce(parseMessage(kMessage), s, {arcseal::Cv::None, 0}, "list.example.org", "arc=none");
  std::string changed = sealed + "appended footer\r\n";
  EXPECT_EQ(dkimpy(changed, "bad"), "fail") << log_;
  EXPECT_EQ(mailDkim(changed, "bad"), "fail") << log_;
}

TEST_F(ArcInterop, SealWithCvFailIsAFailedChainForBoth) {
  Sealer a("list.example.org", "s1", "rsa"), b("forward.example.net", "s2", "rsa");
  std::string m1 = sealOnce(parseMessage(kMessage), a, {arcseal::Cv::None, 0}, "list.example.org", "arc=none");
  // Break set 1 (its AMS no longer matches), then seal with cv=fail as a verifier would say.
  size_t subj = m1.find("Subject: [list] interop");
  ASSERT_NE(subj, std::string::npos);
  m1.replace(subj, 23, "Subject: [list] changed");
  std::string m2 = sealOnce(parseMessage(m1), b, {arcseal::Cv::Fail, 1}, "forward.example.net", "arc=fail");
  EXPECT_NE(m2.find("cv=fail"), std::string::npos);
  EXPECT_EQ(dkimpy(m2, "m2"), "None") << log_;  // dkimpy's answer for "the chain is terminated"
  EXPECT_EQ(mailDkim(m2, "m2"), "fail") << log_;
}

}  // namespace
}  // namespace am::arctest
