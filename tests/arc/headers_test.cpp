// tests/arc/headers_test.cpp — parsing of the ARC header fields (filter/auth/arc/headers.h):
// instances, required tags, cv=, the AMS as a DKIM SigSpec, the AAR's i= prefix and results.
#include <gtest/gtest.h>

#include "filter/auth/arc/headers.h"

namespace am::arc {
namespace {

const char* kSeal = " a=rsa-sha256; b=AAAA; cv=none; d=Example.org; i=1; s=sel; t=12345";
const char* kAms = " a=rsa-sha256; b=AAAA; bh=AAAA; c=relaxed/simple; d=example.org; "
                   "h=From : To:Subject; i=2; s=sel";

TEST(ArcHeaders, KindOfNames) {
  EXPECT_EQ(kindOf("ARC-Seal"), Kind::Seal);
  EXPECT_EQ(kindOf("arc-message-signature"), Kind::MessageSignature);
  EXPECT_EQ(kindOf(" ARC-Authentication-Results "), Kind::AuthResults);
  EXPECT_EQ(kindOf("ARC-Other"), Kind::None);
  EXPECT_EQ(kindOf("Received"), Kind::None);
}

TEST(ArcHeaders, InstanceRange) {
  EXPECT_EQ(instanceOf("1"), 1);
  EXPECT_EQ(instanceOf("50"), 50);
  EXPECT_EQ(instanceOf("050"), 50);
  EXPECT_EQ(instanceOf("0"), 0);
  EXPECT_EQ(instanceOf("51"), 0);
  EXPECT_EQ(instanceOf("0001"), 0);
  EXPECT_EQ(instanceOf("-1"), 0);
  EXPECT_EQ(instanceOf(""), 0);
  EXPECT_EQ(instanceOf("1a"), 0);
}

TEST(ArcHeaders, SealParses) {
  Seal s = parseSeal(kSeal);
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.instance, 1);
  EXPECT_EQ(s.cv, Cv::None);
  EXPECT_EQ(s.domain, "example.org");
  EXPECT_EQ(s.selector, "sel");
  EXPECT_EQ(s.signature, std::string(3, '\0'));
}

TEST(ArcHeaders, SealProblems) {
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; d=e.org; i=1; s=s").error, "no cv= tag");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=Pass; d=e.org; i=1; s=s").error, "invalid cv= tag");
  EXPECT_EQ(parseSeal(" a=rsa-sha1; b=AAAA; cv=none; d=e.org; i=1; s=s").error, "unsupported algorithm rsa-sha1");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=none; d=e.org; i=1; s=s; h=from").error, "ARC-Seal has an h= tag");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=none; d=e.org; i=1;; s=s").error, "empty tag");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=none; d=e.org; i=1; s=s;").error, "");  // trailing ';'
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=none; d=e.org; i=1; i=1; s=s").error, "duplicate tag i=");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=; cv=none; d=e.org; i=1; s=s").error, "b= is not base64");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=none; d=e.org; s=s").error, "no i= tag");
  EXPECT_EQ(parseSeal(" a=rsa-sha256; b=AAAA; cv=none; d=e.org; i=0; s=s").instance, 0);
}

TEST(ArcHeaders, MessageSignatureIsASigSpec) {
  MessageSignature m = parseMessageSignature("ARC-Message-Signature", kAms);
  ASSERT_EQ(m.error, "");
  EXPECT_EQ(m.instance, 2);
  EXPECT_EQ(m.spec.headerCanon, dkim::Canon::Relaxed);
  EXPECT_EQ(m.spec.bodyCanon, dkim::Canon::Simple);
  EXPECT_EQ(m.spec.signedHeaders, (std::vector<std::string>{"from", "to", "subject"}));
  EXPECT_EQ(m.spec.name, "ARC-Message-Signature");
}

TEST(ArcHeaders, MessageSignatureProblems) {
  auto err = [](const char* v) { return parseMessageSignature("ARC-Message-Signature", v).error; };
  EXPECT_EQ(err(" a=rsa-sha256; b=AAAA; bh=AAAA; d=e.org; h=from:arc-seal; i=1; s=s"), "h= lists ARC-Seal");
  EXPECT_EQ(err(" a=rsa-sha256; b=AAAA; bh=AAAA; d=e.org; i=1; s=s"), "no h= tag");
  EXPECT_EQ(err(" a=rsa-sha256; b=AAAA; bh=AAAA; c=; d=e.org; h=from; i=1; s=s"), "invalid c= tag");
  EXPECT_EQ(err(" a=rsa-sha256; b=AAAA; bh=!; d=e.org; h=from; i=1; s=s"), "bh= missing or not base64");
  EXPECT_EQ(err(" a=rsa-sha256; b=AAAA; bh=AAAA; d=e.org; h=from; i=1; s=s; t="), "invalid t= tag");
  // No c=: simple/simple (RFC 6376 §3.5).
  auto m = parseMessageSignature("ARC-Message-Signature", " a=rsa-sha256; b=AAAA; bh=AAAA; d=e.org; h=from; i=1; s=s");
  EXPECT_EQ(m.spec.headerCanon, dkim::Canon::Simple);
}

TEST(ArcHeaders, AuthResults) {
  AuthResults a = parseAuthResults(" i=3; lists.example.org;\n\tdmarc=pass header.from=example.com;\n\tspf=fail smtp.mailfrom=x.org");
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.instance, 3);
  EXPECT_EQ(a.authservId, "lists.example.org");
  ASSERT_EQ(a.results.size(), 2u);
  EXPECT_EQ(a.results[0].method, "dmarc");
  EXPECT_EQ(a.results[0].result, "pass");
  ASSERT_NE(a.results[0].prop("header.from"), nullptr);
  EXPECT_EQ(*a.results[0].prop("header.from"), "example.com");
  EXPECT_EQ(parseAuthResults(" lists.example.org; i=1; dmarc=pass").instance, 0);
  EXPECT_EQ(parseAuthResults(" i=1 lists.example.org; dmarc=pass").instance, 0);
  EXPECT_EQ(parseAuthResults(" i=; x; none").instance, 0);
  AuthResults garbage = parseAuthResults(" i=1; ((((");
  EXPECT_EQ(garbage.instance, 1);  // the set is there; its results are unusable
  EXPECT_NE(garbage.error, "");
  EXPECT_TRUE(garbage.results.empty());
}

}  // namespace
}  // namespace am::arc
