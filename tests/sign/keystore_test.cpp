// tests/sign/keystore_test.cpp — key loading: unsafe modes refused, wrong algorithm refused,
// missing or malformed key files reported with the FILE:LINE of the declaration, encrypted
// keys refused without prompting, weak RSA refused.
#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/keystore.h"
#include "policy/signing_table.h"
#include "sign_test_util.h"

namespace am::dkim {
namespace {

using policy::KeyEntry;
using signtest::TempDir;
using signtest::writeFile;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    auto r = keygen("example.com", "r", Alg::Rsa, 1024, dir_.path(), &err);
    auto e = keygen("example.com", "e", Alg::Ed25519, 0, dir_.path(), &err);
    ASSERT_TRUE(r && e) << err;
    rsa_ = r->privateKeyPath;
    ed_ = e->privateKeyPath;
  }
  std::unique_ptr<KeyStore> loadOne(const std::string& path, const char* alg, std::vector<std::string>& errors) {
    policy::SigningTable t;
    std::string err;
    std::vector<std::string> args = {"k", "example.com", "sel", path};
    if (alg) args.push_back(alg);
    EXPECT_TRUE(policy::parseSigningDirective("key", args, t, err, "policy.conf:7")) << err;
    return KeyStore::load(t, errors);
  }
  TempDir dir_;
  std::string rsa_, ed_;
};

TEST_F(KeyStoreTest, LoadsBothAlgorithmsAndDetectsUndeclared) {
  policy::SigningTable t;
  std::string err;
  ASSERT_TRUE(policy::parseSigningDirective("key", {"a", "example.com", "r", rsa_, "rsa"}, t, err));
  ASSERT_TRUE(policy::parseSigningDirective("key", {"b", "example.com", "e", ed_}, t, err));
  std::vector<std::string> errors;
  auto s = KeyStore::load(t, errors);
  ASSERT_TRUE(s) << errors.at(0);
  EXPECT_EQ(s->size(), 2u);
  const LoadedKey* b = s->find(t.keys[1]);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->alg, Alg::Ed25519);
  EXPECT_EQ(s->find(t.keys[0])->bits, 1024u);
  KeyEntry other;
  other.name = "a";
  other.keyPath = "/elsewhere";
  EXPECT_EQ(s->find(other), nullptr);
}

TEST_F(KeyStoreTest, GroupOrOtherReadableKeyIsRefused) {
  for (unsigned mode : {0640u, 0604u, 0620u}) {
    ASSERT_EQ(::chmod(rsa_.c_str(), mode), 0);
    std::vector<std::string> errors;
    EXPECT_FALSE(loadOne(rsa_, "rsa", errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind("policy.conf:7: key 'k': ", 0), 0u) << errors[0];
    EXPECT_NE(errors[0].find("group/others"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("chmod 600"), std::string::npos) << errors[0];
  }
  ASSERT_EQ(::chmod(rsa_.c_str(), 0400), 0);
  std::vector<std::string> errors;
  EXPECT_TRUE(loadOne(rsa_, "rsa", errors));
}

TEST_F(KeyStoreTest, KeyNotMatchingDeclaredAlgorithmIsRefused) {
  std::vector<std::string> errors;
  EXPECT_FALSE(loadOne(rsa_, "ed25519", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("RSA key but ed25519 was declared"), std::string::npos) << errors[0];
  errors.clear();
  EXPECT_FALSE(loadOne(ed_, "rsa", errors));
  EXPECT_NE(errors.at(0).find("Ed25519 key but rsa was declared"), std::string::npos) << errors[0];
}

TEST_F(KeyStoreTest, MissingKeyFileFromKeyTableReportsFileAndLine) {
  writeFile(dir_.file("KeyTable"), "# keys\nok example.com:r:" + rsa_ + "\ngone example.com:g:" + dir_.file("gone.key") + "\n", 0600);
  writeFile(dir_.file("SigningTable"), "example.com ok\n", 0600);
  policy::SigningTable t;
  std::vector<std::string> errors;
  ASSERT_TRUE(policy::loadOpenDkimTables(dir_.file("KeyTable"), dir_.file("SigningTable"), t, errors));
  EXPECT_FALSE(KeyStore::load(t, errors));  // all-or-nothing
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(dir_.file("KeyTable") + ":3: key 'gone': cannot open key file", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("No such file"), std::string::npos);
}

TEST_F(KeyStoreTest, WrongFormatKeyFilesAreRefused) {
  const std::pair<const char*, std::string> cases[] = {
      {"garbage", "this is not a key\n"},
      {"empty", ""},
      {"pubkey", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"},
      {"truncated", signtest::readFile(rsa_).substr(0, 200)},
      {"binary", std::string("\x30\x82\x01\x00\xff\x00\x01", 7)},
  };
  for (const auto& [name, content] : cases) {
    writeFile(dir_.file(name), content, 0600);
    std::vector<std::string> errors;
    EXPECT_FALSE(loadOne(dir_.file(name), nullptr, errors)) << name;
    ASSERT_EQ(errors.size(), 1u) << name;
    EXPECT_NE(errors[0].find("not an unencrypted PEM private key"), std::string::npos) << errors[0];
  }
  std::vector<std::string> errors;
  EXPECT_FALSE(loadOne(dir_.path(), nullptr, errors));  // a directory
  EXPECT_NE(errors.at(0).find("not a regular file"), std::string::npos) << errors[0];
}

TEST_F(KeyStoreTest, EncryptedKeyIsRefusedWithoutPrompting) {
  std::string err;
  auto k = loadKeyFile(rsa_, Alg::Rsa, &err);
  ASSERT_TRUE(k) << err;
  BioPtr bio(BIO_new(BIO_s_mem()));
  static char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), k->pkey.get(), EVP_aes_128_cbc(), pass, 6, nullptr, nullptr), 1);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  writeFile(dir_.file("enc.key"), std::string(p, static_cast<size_t>(n)), 0600);
  std::vector<std::string> errors;
  EXPECT_FALSE(loadOne(dir_.file("enc.key"), "rsa", errors));
  EXPECT_NE(errors.at(0).find("not an unencrypted PEM"), std::string::npos);
}

TEST_F(KeyStoreTest, WeakRsaKeyIsRefused) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  ASSERT_EQ(EVP_PKEY_keygen_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 512), 1);
  EVP_PKEY* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_keygen(ctx.get(), &raw), 1);
  EvpPkeyPtr key(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  writeFile(dir_.file("weak.key"), std::string(p, static_cast<size_t>(n)), 0600);
  std::vector<std::string> errors;
  EXPECT_FALSE(loadOne(dir_.file("weak.key"), "rsa", errors));
  EXPECT_NE(errors.at(0).find("512-bit"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace am::dkim
