// tests/sign/rfc8463_test.cpp — the RFC 8463 Appendix A.3 signing vector
// (${AM_TESTDATA_DIR}/dkim-rfc-examples): the A.1 keys, the A.1 message and the two A.3
// DKIM-Signature fields (ed25519-sha256 and rsa-sha256, relaxed/relaxed).
//
// The signer's own tag list (order, no i=/q=) differs from A.3's, so its b= cannot equal the
// RFC's. What is checked is the signing step the signer uses, signHeaderFields(): given the
// header fields A.3's h= selects and A.3's DKIM-Signature with b= emptied, it must produce A.3's
// b= byte for byte (Ed25519 and RSA PKCS#1 v1.5 are deterministic, so equality checks header
// canonicalization, hashing and signing together). The body hash is checked through the whole
// Signing path: its bh= for the A.1 message must be A.3's bh=.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/strings.h"
#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/primitives/base64.h"
#include "filter/auth/dkim/primitives/tag_list.h"
#include "sign_test_util.h"

#ifndef AM_TESTDATA_DIR
#error "AM_TESTDATA_DIR must be defined"
#endif

namespace am::signtest {
namespace {

const std::string kDir = std::string(AM_TESTDATA_DIR) + "/dkim-rfc-examples/";
constexpr int64_t kA3Time = 1528637909;  // t= of both A.3 signatures

// A raw CRLF message split as an MTA hands it to a milter: each value keeps its leading space,
// folding becomes a bare LF.
Message parseRaw(const std::string& raw) {
  Message m;
  size_t end = raw.find("\r\n\r\n");
  std::string head = raw.substr(0, end + 2);
  m.body = end == std::string::npos ? std::string() : raw.substr(end + 4);
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
      m.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    m.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  return m;
}

// The RFC 8463 A.1 Ed25519 secret key (a base64 32-byte seed) as a PKCS#8 PEM file.
std::string ed25519Pem() {
  std::string seedB64 = readFile(kDir + "rfc8463-A.1-ed25519.seed.b64");
  auto seed = dkim::base64Decode(trim(seedB64));
  if (!seed || seed->size() != 32) return {};
  static const unsigned char kPrefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
                                          0x04, 0x22, 0x04, 0x20};
  std::string der(reinterpret_cast<const char*>(kPrefix), sizeof kPrefix);
  der += *seed;
  return "-----BEGIN PRIVATE KEY-----\n" + dkim::base64Encode(der) + "\n-----END PRIVATE KEY-----\n";
}

struct Vector {
  const char* name;
  dkim::Alg alg;
  size_t field;  // which DKIM-Signature of the A.3 message (0: ed25519, 1: rsa)
};

void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

class Rfc8463A3 : public ::testing::TestWithParam<Vector> {};

TEST_P(Rfc8463A3, SigningStepReproducesB) {
  const Vector& v = GetParam();
  Message signedMsg = parseRaw(readFile(kDir + "rfc8463-A.3-signed.eml"));
  std::vector<std::string> sigs;
  std::vector<std::pair<std::string, std::string>> others;  // the A.1 fields, top to bottom
  for (const auto& [name, value] : signedMsg.headers) {
    if (iequals(name, "DKIM-Signature")) sigs.push_back(value);
    else others.push_back({name, value});
  }
  ASSERT_EQ(sigs.size(), 2u);
  ASSERT_EQ(others.size(), 5u);
  const std::string& sig = sigs[v.field];
  dkim::TagList tags = dkim::parseTagList(sig);
  ASSERT_TRUE(tags.error.empty()) << tags.error;
  ASSERT_TRUE(tags.get("a") && tags.get("h") && tags.get("b") && tags.get("c"));
  EXPECT_EQ(*tags.get("a"), v.alg == dkim::Alg::Ed25519 ? "ed25519-sha256" : "rsa-sha256");
  EXPECT_EQ(*tags.get("c"), "relaxed/relaxed");

  // RFC 6376 §5.4.2: the n-th occurrence of a name in h= takes the n-th field of that name
  // from the bottom; one with no field left (A.3 signs From, Subject and Date twice) adds nothing.
  std::vector<dkim::HeaderField> fields;
  std::vector<std::string> names = split(dkim::stripWhitespace(*tags.get("h")), ":", false);
  ASSERT_EQ(names.size(), 8u);
  for (size_t i = 0; i < names.size(); ++i) {
    size_t skip = 0;
    for (size_t j = 0; j < i; ++j) skip += iequals(names[j], names[i]) ? 1 : 0;
    for (auto it = others.rbegin(); it != others.rend(); ++it)
      if (iequals(it->first, names[i]) && skip-- == 0) {
        fields.push_back({it->first, it->second});
        break;
      }
  }
  ASSERT_EQ(fields.size(), 5u);

  TempDir dir;
  std::string path = dir.file("key.pem");
  std::string pem = v.alg == dkim::Alg::Ed25519 ? ed25519Pem() : readFile(kDir + "rfc8463-A.1-rsa.private.pem");
  ASSERT_FALSE(pem.empty());
  writeFile(path, pem, 0600);
  std::string err;
  auto key = dkim::loadKeyFile(path, v.alg, &err);
  ASSERT_TRUE(key) << err;

  auto b = dkim::signHeaderFields(*key, dkim::Canon::Relaxed, fields, dkim::withEmptyB(sig));
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, dkim::stripWhitespace(*tags.get("b")));

  // The same step with one byte of a signed field changed gives another signature.
  auto changed = fields;
  std::string subject = " Is dinner ready!";
  for (auto& f : changed)
    if (iequals(f.name, "Subject")) f.value = subject;
  auto other = dkim::signHeaderFields(*key, dkim::Canon::Relaxed, changed, dkim::withEmptyB(sig));
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *b);
}

INSTANTIATE_TEST_SUITE_P(Sign, Rfc8463A3,
                         ::testing::Values(Vector{"ed25519", dkim::Alg::Ed25519, 0}, Vector{"rsa", dkim::Alg::Rsa, 1}),
                         [](const auto& i) { return std::string(i.param.name); });

// The body hash through the whole signing path: the signer's bh= for the A.1 message (relaxed
// body) is the bh= of both A.3 signatures, however the body is chunked.
TEST(Rfc8463A3Body, SignerBodyHashIsA3Bh) {
  Message unsignedMsg = parseRaw(readFile(kDir + "rfc6376-A.1-unsigned.eml"));
  ASSERT_EQ(unsignedMsg.headers.size(), 5u);
  TempDir dir;
  writeFile(dir.file("ed.pem"), ed25519Pem(), 0600);
  std::string err;
  auto key = dkim::loadKeyFile(dir.file("ed.pem"), dkim::Alg::Ed25519, &err);
  ASSERT_TRUE(key) << err;
  FixedClock clock(kA3Time);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{65536}}) {
    dkim::SignOptions o;
    o.signHeaders = {"From", "To", "Subject", "Date", "Message-ID"};
    o.oversignHeaders = {"From", "Subject", "Date"};
    dkim::Signing s({{&*key, "football.example.com"}}, o, clock);
    for (const auto& [name, value] : unsignedMsg.headers) s.header(name, value);
    s.endOfHeaders();
    for (size_t i = 0; i < unsignedMsg.body.size(); i += chunk) s.body(std::string_view(unsignedMsg.body).substr(i, chunk));
    auto out = s.finish();
    ASSERT_EQ(out.size(), 1u) << (s.errors().empty() ? "" : s.errors()[0]);
    EXPECT_EQ(tagValue(out[0], "bh"), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=") << "chunk " << chunk;
    EXPECT_EQ(tagValue(out[0], "t"), std::to_string(kA3Time));
  }
}

}  // namespace
}  // namespace am::signtest
