// tests/sign/keygen_test.cpp — keygen: key file mode 0600 whatever the umask, no overwrite,
// zone-file record syntax (quoted strings <= 255 bytes), and a signature made with the
// generated key verifies against the record as printed.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/signer.h"
#include "sign_test_util.h"

namespace am::dkim {
namespace {

using signtest::TempDir;

struct UmaskGuard {
  mode_t old;
  explicit UmaskGuard(mode_t m) : old(::umask(m)) {}
  ~UmaskGuard() { ::umask(old); }
};

// Parses `NAME. IN TXT ( "a" "b" )`: returns the name (no final dot) and the joined strings;
// checks each string's length.
bool parseRecord(const std::string& rec, std::string& name, std::string& txt, size_t& strings) {
  size_t sp = rec.find(' ');
  if (sp == std::string::npos || rec[sp - 1] != '.') return false;
  name = rec.substr(0, sp - 1);
  size_t open = rec.find(" IN TXT (");
  if (open != sp || rec.back() != ')') return false;
  txt.clear();
  strings = 0;
  size_t p = rec.find('"', open);
  while (p != std::string::npos) {
    size_t e = rec.find('"', p + 1);
    if (e == std::string::npos || e - p - 1 > 255) return false;
    txt += rec.substr(p + 1, e - p - 1);
    ++strings;
    p = rec.find('"', e + 1);
  }
  return strings > 0;
}

class Keygen : public ::testing::TestWithParam<std::pair<Alg, unsigned>> {};

TEST_P(Keygen, WritesPrivateKeyAndARecordThatVerifies) {
  auto [alg, bits] = GetParam();
  TempDir dir;
  std::optional<KeygenResult> r;
  std::string err;
  {
    UmaskGuard g(0);
    r = keygen("Example.COM.", "sel2026", alg, bits, dir.path(), &err);
  }
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->privateKeyPath, dir.file("example.com.sel2026.key"));
  struct stat st{};
  ASSERT_EQ(::stat(r->privateKeyPath.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  std::string name, txt;
  size_t strings = 0;
  ASSERT_TRUE(parseRecord(r->dnsRecord, name, txt, strings)) << r->dnsRecord;
  EXPECT_EQ(name, "sel2026._domainkey.example.com");
  EXPECT_EQ(txt.rfind(alg == Alg::Rsa ? "v=DKIM1; k=rsa; p=" : "v=DKIM1; k=ed25519; p=", 0), 0u) << txt;
  if (alg == Alg::Rsa && bits >= 2048) {
    EXPECT_GE(strings, 3u);  // p= longer than 255 bytes is split
  }

  auto loaded = loadKeyFile(r->privateKeyPath, alg, &err);
  ASSERT_TRUE(loaded) << err;
  EXPECT_EQ(publicKeyTxt(loaded->pkey.get()).value_or(""), txt);
  if (alg == Alg::Rsa) {
    EXPECT_EQ(loaded->bits, bits ? bits : 2048u);
  }

  policy::SigningTable t;
  ASSERT_TRUE(policy::parseSigningDirective("key", {"k", "example.com", "sel2026", r->privateKeyPath}, t, err));
  std::vector<std::string> errors;
  auto store = KeyStore::load(t, errors);
  ASSERT_TRUE(store);
  FixedClock clock(1763892000);
  auto s = startSigning(*store, {&t.keys[0]}, {}, clock);
  ASSERT_TRUE(s);
  auto m = signtest::sampleMessage();
  auto sigs = signtest::signMessage(*s, m);
  ASSERT_EQ(sigs.size(), 1u);
  std::string out;
  EXPECT_TRUE(signtest::verifyWithDkimpy(signtest::assemble(m, sigs), {{name, txt}}, &out)) << out;
  int total = 0;
  EXPECT_EQ(signtest::verifyWithLibopendkim(m, sigs, {{name, txt}}, &total), 1);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, Keygen,
                         ::testing::Values(std::make_pair(Alg::Rsa, 0u), std::make_pair(Alg::Rsa, 1024u),
                                           std::make_pair(Alg::Rsa, 3072u), std::make_pair(Alg::Ed25519, 0u)),
                         [](const auto& i) {
                           return std::string(i.param.first == Alg::Rsa ? "rsa" : "ed25519") + "_" +
                                  std::to_string(i.param.second);
                         });

TEST(KeygenErrors, RefusesOverwriteBadNamesAndSizes) {
  TempDir dir;
  std::string err;
  ASSERT_TRUE(keygen("example.com", "s", Alg::Ed25519, 0, dir.path(), &err)) << err;
  std::string before = signtest::readFile(dir.file("example.com.s.key"));
  EXPECT_FALSE(keygen("example.com", "s", Alg::Ed25519, 0, dir.path(), &err));
  EXPECT_NE(err.find("File exists"), std::string::npos) << err;
  EXPECT_EQ(signtest::readFile(dir.file("example.com.s.key")), before);
  EXPECT_FALSE(keygen("example.com", "../../etc/x", Alg::Rsa, 0, dir.path(), &err));
  EXPECT_NE(err.find("invalid"), std::string::npos);
  EXPECT_FALSE(keygen("exa mple.com", "s", Alg::Rsa, 0, dir.path(), &err));
  EXPECT_FALSE(keygen("example.com", "s2", Alg::Rsa, 512, dir.path(), &err));
  EXPECT_NE(err.find("1024..4096"), std::string::npos);
  EXPECT_FALSE(keygen("example.com", "s3", Alg::Rsa, 2048, dir.file("no/such/dir"), &err));
  EXPECT_NE(err.find("cannot create"), std::string::npos);
}

TEST(KeygenErrors, ZoneRecordSplitsLongData) {
  std::string txt = "v=DKIM1; k=rsa; p=" + std::string(600, 'A');
  std::string rec = zoneFileRecord("example.com", "s", txt);
  EXPECT_EQ(rec, "s._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; \" \"p=" + std::string(253, 'A') + "\" \"" +
                     std::string(255, 'A') + "\" \"" + std::string(92, 'A') + "\" )");
}

}  // namespace
}  // namespace am::dkim
