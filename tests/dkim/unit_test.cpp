// tests/dkim/unit_test.cpp — unit tests of the pure pieces behind the verifier: header
// rebuilding for libopendkim, tag-list checks, canonical body length, the synthesized DNS
// reply, the PKCS#1 → SubjectPublicKeyInfo key fix-up and the result table.
#include <gtest/gtest.h>

#include "filter/auth/dkim/body_length.h"
#include "filter/auth/dkim/classify.h"
#include "filter/auth/dkim/dns_bridge.h"
#include "filter/auth/dkim/handles.h"
#include "filter/auth/dkim/opendkim_classify.h"
#include "filter/auth/dkim/primitives/key_record.h"
#include "filter/auth/dkim/primitives/tag_list.h"
#include "common/strings.h"
#include "test_util.h"

namespace am::dkim {
namespace {

TEST(HeaderForLibopendkim, RebuildsFieldWithCrlfFolding) {
  EXPECT_EQ(headerForLibopendkim("Subject", " hello"), "Subject: hello");
  EXPECT_EQ(headerForLibopendkim("Subject", " folded\n\tline\n more"), "Subject: folded\r\n\tline\r\n more");
  EXPECT_EQ(headerForLibopendkim("X", " already\r\n\tcrlf"), "X: already\r\n\tcrlf");
  EXPECT_EQ(headerForLibopendkim("X", "   three spaces kept"), "X:   three spaces kept");
  EXPECT_EQ(headerForLibopendkim("X", " trailing\r\n"), "X: trailing");
  EXPECT_EQ(headerForLibopendkim("X", ""), "X:");
}

TEST(TagList, ParsesAndRejects) {
  TagList t = parseTagList(" v=1; a=rsa-sha256;\n\td=example.com; b=abc\n def ;");
  ASSERT_TRUE(t.error.empty());
  ASSERT_EQ(t.tags.size(), 4u);
  EXPECT_EQ(*t.get("d"), "example.com");
  EXPECT_EQ(stripWhitespace(*t.get("b")), "abcdef");
  EXPECT_EQ(checkSignatureTags(t), "");
  EXPECT_EQ(checkSignatureTags(parseTagList("v=1; d=a.com; d=b.com")), "duplicate tag d=");
  EXPECT_EQ(checkSignatureTags(parseTagList("v=1; t=12x")), "invalid t= tag");
  EXPECT_EQ(checkSignatureTags(parseTagList("v=1; x=")), "invalid x= tag");
  EXPECT_EQ(checkSignatureTags(parseTagList("d=legitimate.com(.attacker.com")), "invalid d= tag");
  EXPECT_EQ(checkSignatureTags(parseTagList("d=example..com")), "invalid d= tag");
  EXPECT_EQ(checkSignatureTags(parseTagList("v=1; nonsense")), "signature syntax error: tag without '='");
  EXPECT_EQ(checkSignatureTags(parseTagList("1v=1")), "signature syntax error: malformed tag name");
  EXPECT_EQ(checkSignatureTags(parseTagList("v=1; z=\x01")), "signature syntax error: invalid character in tag value");
  EXPECT_EQ(parseDecimal("1528637909").value_or(0), 1528637909u);
  EXPECT_FALSE(parseDecimal("1234567890123456789"));
}

TEST(TagList, DuplicateInALongListIsTheFirstRepeatInListOrder) {
  std::string list;
  for (int i = 0; i < 40; ++i) list += "t" + std::to_string(i) + "=1;";
  EXPECT_EQ(checkSignatureTags(parseTagList(list)), "");
  EXPECT_EQ(checkSignatureTags(parseTagList(list + "t7=2; t3=2")), "duplicate tag t7=");
  EXPECT_EQ(checkSignatureTags(parseTagList("b=1; a=1; b=2; a=2")), "duplicate tag b=");
}

TEST(TagList, ViewsParseLikeTheCopyingParser) {
  const std::string text = " v=DKIM1; k=rsa;\r\n\tp=MIIB\n Ag ; t=y:s";
  TagViews v = parseTagViews(text);
  TagList t = parseTagList(text);
  ASSERT_EQ(v.error, nullptr);
  ASSERT_EQ(v.tags.size(), t.tags.size());
  for (size_t i = 0; i < t.tags.size(); ++i) {
    EXPECT_EQ(v.tags[i].first, t.tags[i].first);
    EXPECT_EQ(v.tags[i].second, t.tags[i].second);
  }
  ASSERT_NE(v.get("p"), nullptr);
  EXPECT_EQ(*v.get("p"), "MIIB\n Ag");
  EXPECT_EQ(v.get("h"), nullptr);
  EXPECT_STREQ(parseTagViews("v=1; 9x=2").error, "malformed tag name");
  EXPECT_EQ(parseTagList("v=1; 9x=2").error, "malformed tag name");
}

uint64_t canonLen(BodyCanon c, std::string_view body, size_t chunk = 1) {
  BodyLengthCounter n(c);
  for (size_t i = 0; i < body.size(); i += chunk) n.feed(body.substr(i, chunk));
  return n.total();
}

TEST(BodyLength, SimpleAndRelaxedMatchRfc6376) {
  // RFC 6376 §3.4.5 example body: " C \r\nD \t E\r\n\r\n\r\n"
  const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  EXPECT_EQ(canonLen(BodyCanon::Simple, body), std::string(" C \r\nD \t E\r\n").size());
  EXPECT_EQ(canonLen(BodyCanon::Relaxed, body), std::string(" C\r\nD E\r\n").size());
  EXPECT_EQ(canonLen(BodyCanon::Simple, ""), 2u);   // empty body → CRLF
  EXPECT_EQ(canonLen(BodyCanon::Relaxed, ""), 0u);  // empty body → empty
  EXPECT_EQ(canonLen(BodyCanon::Simple, "abc"), 5u);  // missing final CRLF is added
  EXPECT_EQ(canonLen(BodyCanon::Relaxed, "a  b \t"), 5u);
  EXPECT_EQ(canonLen(BodyCanon::Relaxed, "\r\n\r\nx\r\n\r\n", 3), 7u);  // leading empty lines stay
}

TEST(DnsReply, TxtRecordsAreSplitIntoCharacterStrings) {
  TxtAnswer a;
  a.status = DnsStatus::Ok;
  a.records = {std::string(600, 'k')};
  unsigned char buf[2048];
  size_t n = buildTxtReply("sel._domainkey.example.com", a, buf, sizeof buf);
  ASSERT_GT(n, 12u);
  EXPECT_EQ(buf[3] & 0x0f, 0);  // RCODE NOERROR
  EXPECT_EQ(buf[7], 1);         // ANCOUNT 1
  // header 12 + qname (3+1+10+1+7+1+3+1 = 28 with root) + 4 + RR fixed 12 + 600 + 3 length bytes
  EXPECT_EQ(n, 12u + 28u + 4u + 12u + 600u + 3u);
  EXPECT_EQ(buf[n - 600 - 3], 255);  // first character-string is 255 bytes long
  EXPECT_EQ(buildTxtReply("sel._domainkey.example.com", a, buf, 100), 0u);  // does not fit

  TxtAnswer nx;  // NxDomain by default
  n = buildTxtReply("nothing.example", nx, buf, sizeof buf);
  ASSERT_GT(n, 12u);
  EXPECT_EQ(buf[3] & 0x0f, 3);
  EXPECT_EQ(buf[7], 0);
  n = buildTxtReply(std::string(70, 'a') + ".example", nx, buf, sizeof buf);  // label > 63
  ASSERT_GT(n, 12u);
  EXPECT_EQ(buf[3] & 0x0f, 3);
}

TEST(KeyRecord, Pkcs1KeyIsRewrittenAsSubjectPublicKeyInfo) {
  const std::string dir = std::string(AM_TESTDATA_DIR) + "/dkim-dkimpy/data/";
  std::string spki = std::string(trim(test::readFile(dir + "2048_testkey_wo_markers.pub.txt")));
  std::string pkcs1 = std::string(trim(test::readFile(dir + "2048_testkey_wo_markers.pub.rsa.txt")));
  ASSERT_NE(spki, pkcs1);
  TagList a = parseTagList(normalizeKeyRecord(pkcs1));
  TagList b = parseTagList(spki);
  ASSERT_TRUE(a.get("p") && b.get("p"));
  EXPECT_EQ(stripWhitespace(*a.get("p")), stripWhitespace(*b.get("p")));
  EXPECT_EQ(normalizeKeyRecord(spki), spki);  // already SPKI: untouched
  EXPECT_EQ(normalizeKeyRecord("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  EXPECT_EQ(normalizeKeyRecord("garbage"), "garbage");
}

SigFacts processed() {
  SigFacts f;
  f.processed = true;
  f.headerVerified = true;
  f.bodyHash = BodyHashCheck::Match;
  f.algorithm = "rsa-sha256";
  f.keyBits = 2048;
  return f;
}

TEST(Classify, PrecedenceTable) {
  EXPECT_EQ(classify(processed()).first, DkimResult::Pass);
  SigFacts f = processed();
  f.bodyHash = BodyHashCheck::Mismatch;
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::Fail, std::string("body hash mismatch")));
  f.testKey = true;
  EXPECT_EQ(classify(f).first, DkimResult::Neutral);
  f = processed();
  f.headerVerified = false;
  f.error = SigError::BadSignature;
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::Fail, std::string("signature mismatch")));
  f = processed();
  f.keyBits = 512;
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::Policy, std::string("key too small (512 bits)")));
  f.algorithm = "ed25519-sha256";
  f.ed25519 = true;
  f.keyBits = 0;
  EXPECT_EQ(classify(f).first, DkimResult::Pass);  // no RSA size for ed25519
  f = processed();
  f.algorithmAccepted = false;
  f.algorithm = "rsa-sha1";
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::Policy, std::string("algorithm not accepted (rsa-sha1)")));
  f.timeProblem = "signature expired";  // time beats algorithm
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::PermError, std::string("signature expired")));
  f.tagProblem = "duplicate tag d=";    // syntax beats everything
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::PermError, std::string("duplicate tag d=")));
  f = processed();
  f.unsignedBodyRejected = true;
  EXPECT_EQ(classify(f).first, DkimResult::Policy);
  f = processed();
  f.headerVerified = false;
  f.error = SigError::KeyTempFail;
  EXPECT_EQ(classify(f).first, DkimResult::TempError);
  f.error = SigError::KeyNotFound;
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::PermError, std::string("key not found")));
  DnsLookup big;
  big.status = DnsStatus::Ok;
  big.longestRecord = 1400;
  f.lookup = &big;
  f.error = SigError::KeyDecode;
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::PermError, std::string("key record too long")));
  f = processed();
  f.error = SigError::VersionMissing;
  EXPECT_EQ(classify(f).first, DkimResult::PermError);
  f = processed();
  f.error = SigError::Other;
  f.otherText = "engine says no";
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::PermError, std::string("engine says no")));
}

// The libopendkim engine's codes land on the engine-neutral facts: every code the library can
// report has an equivalent or keeps the library's own text, and flags/body-hash states map.
TEST(Classify, LibopendkimCodesMapOntoSigError) {
  for (int code = DKIM_SIGERROR_UNKNOWN; code <= DKIM_SIGERROR_CONDLOOP; ++code) {
    SigFacts f;
    setLibopendkimFacts(f, code, 0, DKIM_SIGBH_UNTESTED);
    if (f.error == SigError::Other) {
      EXPECT_FALSE(f.otherText.empty()) << code;
    } else if (f.error != SigError::None) {
      EXPECT_STRNE(sigErrorText(f.error), "") << code;
    }
    EXPECT_EQ(classify(f).first == DkimResult::Pass, false) << code;  // never processed: no pass
  }
  EXPECT_EQ(sigErrorFromLibopendkim(DKIM_SIGERROR_KEYFAIL), SigError::KeyTempFail);
  EXPECT_EQ(sigErrorFromLibopendkim(DKIM_SIGERROR_OK), SigError::None);
  EXPECT_EQ(sigErrorFromLibopendkim(DKIM_SIGERROR_MBSFAILED), SigError::Other);
  SigFacts f;
  setLibopendkimFacts(f, DKIM_SIGERROR_OK, DKIM_SIGFLAG_PROCESSED | DKIM_SIGFLAG_PASSED | DKIM_SIGFLAG_TESTKEY,
                      DKIM_SIGBH_MATCH);
  EXPECT_TRUE(f.processed && f.headerVerified && f.testKey);
  EXPECT_EQ(f.bodyHash, BodyHashCheck::Match);
  f.algorithm = "rsa-sha256";
  f.keyBits = 2048;
  EXPECT_EQ(classify(f), std::make_pair(DkimResult::Pass, std::string("key in testing mode (t=y)")));
}

}  // namespace
}  // namespace am::dkim
