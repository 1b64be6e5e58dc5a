// tests/sign/table_test.cpp — signing table: policy directives, OpenDKIM KeyTable and
// SigningTable (plain-file lookup order, refile: wildcards), errors with FILE:LINE.
#include <gtest/gtest.h>

#include "policy/signing_table.h"
#include "sign_test_util.h"

namespace am::policy {
namespace {

using signtest::TempDir;
using signtest::writeFile;

std::vector<std::string> names(const std::vector<const KeyEntry*>& ks) {
  std::vector<std::string> out;
  for (const auto* k : ks) out.push_back(k->name);
  return out;
}

using V = std::vector<std::string>;

TEST(SigningTable, PolicyDirectivesAndLookup) {
  SigningTable t;
  std::string err;
  ASSERT_TRUE(parseSigningDirective("key", {"r1", "Example.COM", "Sel1", "/k/r1.pem", "rsa"}, t, err, "p.conf:3")) << err;
  ASSERT_TRUE(parseSigningDirective("key", {"e1", "example.com", "sel2", "/k/e1.pem", "ed25519"}, t, err)) << err;
  ASSERT_TRUE(parseSigningDirective("key", {"sub", "example.org", "s", "/k/s.pem"}, t, err)) << err;
  ASSERT_TRUE(parseSigningDirective("sign", {"ceo@example.com", "e1"}, t, err)) << err;
  ASSERT_TRUE(parseSigningDirective("sign", {"example.com", "r1,e1"}, t, err)) << err;
  ASSERT_TRUE(parseSigningDirective("sign", {"*.example.org", "sub"}, t, err)) << err;
  EXPECT_EQ(t.keys[0].domain, "example.com");
  EXPECT_EQ(t.keys[0].selector, "sel1");
  EXPECT_EQ(t.keys[0].origin, "p.conf:3");
  EXPECT_EQ(t.keys[1].alg, KeyEntry::Alg::Ed25519);
  EXPECT_TRUE(t.keys[2].algFromKey);
  EXPECT_EQ(names(t.lookup("ceo@example.com")), V{"e1"});          // first match wins
  EXPECT_EQ(names(t.lookup("bob@example.com")), (V{"r1", "e1"}));  // dual
  EXPECT_EQ(names(t.lookup("Bob@EXAMPLE.COM.")), (V{"r1", "e1"}));  // case, trailing dot
  EXPECT_EQ(names(t.lookup("x@mail.example.org")), V{"sub"});
  EXPECT_TRUE(t.lookup("x@example.org").empty());
  EXPECT_TRUE(t.lookup("x@other.example").empty());
  EXPECT_TRUE(t.lookup("no-at-sign").empty());
  EXPECT_TRUE(t.lookup("").empty());
  t.multipleSignatures = true;
  EXPECT_EQ(names(t.lookup("ceo@example.com")), (V{"e1", "r1"}));
}

TEST(SigningTable, DirectiveErrors) {
  SigningTable t;
  std::string err;
  EXPECT_FALSE(parseSigningDirective("key", {"a", "example.com", "s"}, t, err));
  EXPECT_NE(err.find("NAME DOMAIN SELECTOR PATH"), std::string::npos);
  EXPECT_FALSE(parseSigningDirective("key", {"a", "example.com", "s", "/p", "dsa"}, t, err));
  EXPECT_NE(err.find("dsa"), std::string::npos);
  ASSERT_TRUE(parseSigningDirective("key", {"a", "example.com", "s", "/p"}, t, err));
  EXPECT_FALSE(parseSigningDirective("key", {"A", "example.com", "s2", "/p2"}, t, err));
  EXPECT_NE(err.find("twice"), std::string::npos);
  EXPECT_FALSE(parseSigningDirective("sign", {"example.com", "a,missing"}, t, err));
  EXPECT_NE(err.find("missing"), std::string::npos);
  EXPECT_FALSE(parseSigningDirective("sign", {"example.com"}, t, err));
  EXPECT_FALSE(parseSigningDirective("frobnicate", {}, t, err));
  EXPECT_NE(err.find("unknown directive"), std::string::npos);
  EXPECT_TRUE(isSigningDirective("KEY"));
  EXPECT_FALSE(isSigningDirective("reject"));
  EXPECT_TRUE(t.rules.empty());
}

TEST(SigningTable, EmptyTableSignsNothing) {
  SigningTable t;
  EXPECT_TRUE(t.lookup("a@example.com").empty());
  TempDir d;
  writeFile(d.file("kt"), "# nothing\n", 0600);
  writeFile(d.file("st"), "\n  # only comments\n", 0600);
  std::vector<std::string> errors;
  EXPECT_TRUE(loadOpenDkimTables(d.file("kt"), d.file("st"), t, errors));
  EXPECT_TRUE(t.lookup("a@example.com").empty());
}

TEST(SigningTable, OpenDkimPlainFileLookupOrder) {
  TempDir d;
  writeFile(d.file("KeyTable"),
            "# name domain:selector:keypath\n"
            "k1 example.com:s1:/etc/keys/1.private\n"
            "k2 example.com:s2:/etc/keys/2.private\n"
            "k3 example.com:s3:./keys/3.private\n"
            "k4 example.com:s4:../keys/4.private\n"
            "k5 example.com:s5:/etc/keys/5.private\n"
            "k6 example.com:s6:/etc/keys/6.private   # trailing comment\n",
            0600);
  writeFile(d.file("SigningTable"),
            "user@foo.example.com k1\n"
            "foo.example.com k2\n"
            "user@.example.com k3\n"
            ".example.com k4\n"
            "user@* k5\n"
            "* k6\n",
            0600);
  SigningTable t;
  std::vector<std::string> errors;
  ASSERT_TRUE(loadOpenDkimTables(d.file("KeyTable"), d.file("SigningTable"), t, errors)) << errors[0];
  EXPECT_EQ(t.keys[3].keyPath, "../keys/4.private");
  EXPECT_EQ(t.keys[5].keyPath, "/etc/keys/6.private");
  EXPECT_EQ(t.keys[0].origin, d.file("KeyTable") + ":2");
  EXPECT_EQ(names(t.lookup("user@foo.example.com")), V{"k1"});   // user@host
  EXPECT_EQ(names(t.lookup("other@foo.example.com")), V{"k2"});  // host
  EXPECT_EQ(names(t.lookup("user@bar.example.com")), V{"k3"});   // user@.domain
  EXPECT_EQ(names(t.lookup("user@a.b.example.com")), V{"k3"});   // ... any superdomain
  EXPECT_EQ(names(t.lookup("other@bar.example.com")), V{"k4"});  // .domain
  EXPECT_EQ(names(t.lookup("user@example.org")), V{"k5"});       // user@*
  EXPECT_EQ(names(t.lookup("other@example.org")), V{"k6"});      // *
  t.multipleSignatures = true;
  EXPECT_EQ(names(t.lookup("user@foo.example.com")), (V{"k1", "k2", "k3", "k4", "k5", "k6"}));
}

TEST(SigningTable, OpenDkimRefileWildcardsInFileOrderAndDualKeys) {
  TempDir d;
  writeFile(d.file("KeyTable"),
            "rsa._domainkey.example.com example.com:rsa:/keys/example.com/rsa.private\n"
            "ed._domainkey.example.com example.com:ed:/keys/example.com/ed.private\n"
            "sub sub.example.org:mail:/keys/sub.private\n"
            "catch example.net:mail:/keys/net.private\n",
            0600);
  writeFile(d.file("SigningTable"),
            "*@example.com rsa._domainkey.example.com\n"
            "*@example.com ed._domainkey.example.com\n"
            "*@*.example.org sub\n"
            "*@example.* catch\n",
            0600);
  SigningTable t;
  std::vector<std::string> errors;
  ASSERT_TRUE(loadOpenDkimTables("file:" + d.file("KeyTable"), "refile:" + d.file("SigningTable"), t, errors))
      << errors[0];
  EXPECT_EQ(names(t.lookup("a@example.com")), (V{"rsa._domainkey.example.com", "ed._domainkey.example.com"}));
  EXPECT_EQ(names(t.lookup("a@sub.example.org")), V{"sub"});
  EXPECT_EQ(names(t.lookup("a@example.net")), V{"catch"});
  EXPECT_EQ(names(t.lookup("a@example.org")), V{"catch"});  // "*@example.*"
  EXPECT_TRUE(t.lookup("a@sub.example.com").empty());
  EXPECT_TRUE(t.lookup("a@other.test").empty());
}

TEST(SigningTable, OpenDkimPercentValueIsTheSenderDomainKey) {
  TempDir d;
  writeFile(d.file("kt"), "example.com example.com:mail:/k/a\nexample.org %:mail:/k/b\n", 0600);
  writeFile(d.file("st"), "*@* %\n", 0600);
  SigningTable t;
  std::vector<std::string> errors;
  ASSERT_TRUE(loadOpenDkimTables(d.file("kt"), "refile:" + d.file("st"), t, errors)) << errors[0];
  EXPECT_EQ(names(t.lookup("x@example.com")), V{"example.com"});
  EXPECT_EQ(t.lookup("x@example.org").at(0)->domain, "%");
  EXPECT_TRUE(t.lookup("x@example.net").empty());
}

TEST(SigningTable, OpenDkimErrorsCarryFileAndLine) {
  TempDir d;
  writeFile(d.file("kt"),
            "good example.com:s:/k/good\n"
            "\n"
            "bad example.com-no-colons\n"
            "inline example.com:s:MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
            "pct example.com:s:/k/%.private\n"
            "good example.com:s2:/k/dup\n",
            0600);
  writeFile(d.file("st"), "*@example.com good\n*@example.org nosuchkey\n*@example.net\n", 0600);
  SigningTable t;
  std::vector<std::string> errors;
  EXPECT_FALSE(loadOpenDkimTables(d.file("kt"), "refile:" + d.file("st"), t, errors));
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].rfind(d.file("kt") + ":3: ", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind(d.file("kt") + ":4: ", 0), 0u) << errors[1];
  EXPECT_NE(errors[1].find("inline"), std::string::npos);
  EXPECT_EQ(errors[2].rfind(d.file("kt") + ":5: ", 0), 0u) << errors[2];
  EXPECT_EQ(errors[3].rfind(d.file("kt") + ":6: ", 0), 0u) << errors[3];
  EXPECT_EQ(errors[4].rfind(d.file("st") + ":2: ", 0), 0u) << errors[4];
  EXPECT_NE(errors[4].find("nosuchkey"), std::string::npos);
  EXPECT_EQ(errors[5].rfind(d.file("st") + ":3: ", 0), 0u) << errors[5];
  errors.clear();
  EXPECT_FALSE(loadOpenDkimTables(d.file("missing"), d.file("st"), t, errors));
  EXPECT_NE(errors.at(0).find(d.file("missing")), std::string::npos);
}

TEST(SigningTable, NormalizeAddress) {
  EXPECT_EQ(normalizeAddress(" <Alice@Example.COM.> ").value_or(""), "alice@example.com");
  EXPECT_EQ(normalizeAddress("bob@example.org").value_or(""), "bob@example.org");
  EXPECT_FALSE(normalizeAddress("user@").has_value());
  EXPECT_FALSE(normalizeAddress("no-at-sign").has_value());
  EXPECT_FALSE(normalizeAddress("a@b c").has_value());
}

TEST(SigningTable, GlobMatch) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*@example.com", "a@example.com"));
  EXPECT_FALSE(globMatch("*@example.com", "a@example.com.evil"));
  EXPECT_TRUE(globMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(globMatch("a*b*c", "aXXbYY"));
  EXPECT_TRUE(globMatch("exact", "exact"));
  EXPECT_FALSE(globMatch("exact", "exactly"));
}

}  // namespace
}  // namespace am::policy
