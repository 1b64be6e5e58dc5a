// tests/policy/policy_file_test.cpp — policy file parsing: every keyword, matching rules,
// error collection with exact "FILE:LINE: message" text, the shipped sample file.
#include <gtest/gtest.h>

#include "policy/policy_file.h"

using namespace am::policy;

namespace {

const char* kGood = R"(# a comment
domain example.com never-reject
domain .example.org quarantine-as-reject   # trailing comment
domain *.example.net none
domain strict.example quarantine
domain forced.example reject

forwarder 192.0.2.0/24 2001:db8::/32 .lists.example.org
allow-client 198.51.100.7 relay.example.com
allow-from partner.example .friends.example
pct ignore
from missing tempfail
from multiple-addresses quarantine
)";

TEST(PolicyFile, GoodFile) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText(kGood, "good.policy", errors);
  ASSERT_TRUE(pf) << errors[0];
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(pf->overrides.size(), 5u);
  EXPECT_EQ(pf->overrides[0].kind, OverrideKind::NeverReject);
  EXPECT_EQ(pf->overrides[0].line, 2);
  EXPECT_EQ(pf->overrides[1].kind, OverrideKind::QuarantineAsReject);
  EXPECT_EQ(pf->overrides[2].kind, OverrideKind::ForceNone);
  EXPECT_EQ(pf->overrides[3].kind, OverrideKind::ForceQuarantine);
  EXPECT_EQ(pf->overrides[4].kind, OverrideKind::ForceReject);
  EXPECT_EQ(pf->forwarders.size(), 3u);
  EXPECT_EQ(pf->allowClients.size(), 2u);
  EXPECT_EQ(pf->allowFrom.size(), 2u);
  EXPECT_FALSE(pf->honorPct);
  EXPECT_EQ(pf->fromActions.at(FromResult::Status::Missing), Action::TempFail);
  EXPECT_EQ(pf->fromActions.at(FromResult::Status::MultipleAddresses), Action::Quarantine);
  EXPECT_EQ(pf->fromActions.at(FromResult::Status::Multiple), Action::Reject);  // default kept
}

TEST(PolicyFile, Matching) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText(kGood, "good.policy", errors);
  ASSERT_TRUE(pf);
  EXPECT_NE(pf->overrideFor("EXAMPLE.com"), nullptr);
  EXPECT_EQ(pf->overrideFor("sub.example.com"), nullptr);  // exact pattern
  EXPECT_NE(pf->overrideFor("example.org"), nullptr);      // ".x" covers x itself
  EXPECT_NE(pf->overrideFor("a.b.example.org"), nullptr);
  EXPECT_EQ(pf->overrideFor("notexample.org"), nullptr);
  EXPECT_NE(pf->overrideFor("x.example.net"), nullptr);
  auto ip = [](const char* s) { return *am::IpAddress::parse(s); };
  EXPECT_TRUE(pf->forwarders[0].matches(ip("192.0.2.200"), ""));
  EXPECT_FALSE(pf->forwarders[0].matches(ip("192.0.3.1"), ""));
  EXPECT_TRUE(pf->forwarders[1].matches(ip("2001:db8::5"), ""));
  EXPECT_TRUE(pf->forwarders[2].matches(ip("203.0.113.1"), "mx.lists.example.org"));
  EXPECT_FALSE(pf->forwarders[2].matches(ip("203.0.113.1"), "[203.0.113.1]"));
  EXPECT_FALSE(pf->forwarders[2].matches(ip("203.0.113.1"), "unknown"));
  EXPECT_FALSE(pf->forwarders[2].matches(ip("203.0.113.1"), "lists.example.org.evil.example"));
}

TEST(PolicyFile, HostPatternsMatchAClient) {
  auto addr = parseHostPattern("10.0.0.0/8");
  auto name = parseHostPattern(".lists.example.org");
  ASSERT_TRUE(addr && name);
  am::ClientInfo c;
  EXPECT_FALSE(addr->matches(c));  // no address: an address pattern never matches
  c.addr = am::IpAddress::parse("10.9.8.7");
  EXPECT_TRUE(addr->matches(c));
  c.hostname = "mx1.lists.example.org";
  EXPECT_TRUE(name->matches(c));
  c.hostname = "[10.9.8.7]";  // unverified: never matches a name
  EXPECT_FALSE(name->matches(c));
  c.hostname = "unknown";
  EXPECT_FALSE(name->matches(c));
  EXPECT_FALSE(parseHostPattern("not a host!"));
}

// The rules that moved to authmilter.conf say what to write there instead.
TEST(PolicyFile, RulesThatMovedNameTheirKey) {
  std::vector<std::string> errors;
  EXPECT_EQ(parsePolicyText("internal 10.0.0.0/8\nskip-authenticated no\nskip-internal yes\n", "old.policy", errors),
            nullptr);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].rfind("old.policy:1: 'internal' is gone: list internal hosts with InternalHosts", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("old.policy:2: 'skip-authenticated' is gone: write IgnoreAuthenticatedClients", 0), 0u)
      << errors[1];
  EXPECT_EQ(errors[2].rfind("old.policy:3: 'skip-internal' is gone: write IgnoreInternalHosts", 0), 0u) << errors[2];
}

TEST(PolicyFile, EmptyFileHasDefaults) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("", "empty", errors);
  ASSERT_TRUE(pf);
  EXPECT_TRUE(pf->honorPct);
  for (auto& [status, action] : pf->fromActions) EXPECT_EQ(action, Action::Reject);
}

TEST(PolicyFile, FromAny) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("from any accept\nfrom unparseable reject\n", "f", errors);
  ASSERT_TRUE(pf);
  EXPECT_EQ(pf->fromActions.at(FromResult::Status::Missing), Action::Accept);
  EXPECT_EQ(pf->fromActions.at(FromResult::Status::Unparseable), Action::Reject);
}

TEST(PolicyFile, BadLinesAllReportedWithFileAndLine) {
  const char* text =
      "domain example.com\n"             // 1: missing action
      "domain example.com sometimes\n"   // 2
      "domain exa$mple.com none\n"       // 3
      "# fine\n"                         // 4
      "forwarder\n"                      // 5
      "forwarder not_a host!\n"          // 6
      "allow-client 10.0.0.0/33\n"       // 7
      "pct\n"                            // 8
      "pct sometimes\n"                  // 9
      "from nowhere reject\n"            // 10
      "from missing explode\n"           // 11
      "frobnicate yes\n"                 // 12
      "allow-from\n";                    // 13
  std::vector<std::string> errors;
  auto pf = parsePolicyText(text, "/etc/authmilter.policy", errors);
  EXPECT_EQ(pf, nullptr);
  std::vector<std::string> expect = {
      "/etc/authmilter.policy:1: usage: domain <name|.name> <never-reject|quarantine-as-reject|none|quarantine|reject>",
      "/etc/authmilter.policy:2: unknown override 'sometimes'",
      "/etc/authmilter.policy:3: invalid domain 'exa$mple.com'",
      "/etc/authmilter.policy:5: usage: forwarder <ip|cidr|host|.domain>...",
      "/etc/authmilter.policy:6: invalid address, network or host name 'host!'",
      "/etc/authmilter.policy:7: invalid address, network or host name '10.0.0.0/33'",
      "/etc/authmilter.policy:8: usage: pct honor|ignore",
      "/etc/authmilter.policy:9: expected honor or ignore, got 'sometimes'",
      "/etc/authmilter.policy:10: unknown From condition 'nowhere'",
      "/etc/authmilter.policy:11: unknown action 'explode'",
      "/etc/authmilter.policy:12: unknown keyword 'frobnicate'",
      "/etc/authmilter.policy:13: usage: allow-from <domain|.domain>...",
  };
  EXPECT_EQ(errors, expect);
}

TEST(PolicyFile, ArcSeal) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("# seals\narc-seal Lists.Example.COM arc2026 /etc/keys/arc.pem\n"
                            "arc-seal example.org Sel-1 example-rsa\n",
                            "seal.policy", errors);
  ASSERT_TRUE(pf) << errors[0];
  ASSERT_EQ(pf->arcSeals.size(), 2u);
  const ArcSealRule& a = pf->arcSeals[0];
  EXPECT_EQ(a.domain, "lists.example.com");
  EXPECT_EQ(a.selector, "arc2026");
  EXPECT_EQ(a.key, "/etc/keys/arc.pem");
  EXPECT_TRUE(a.keyIsPath);
  EXPECT_EQ(a.origin, "seal.policy:2");
  const ArcSealRule& b = pf->arcSeals[1];
  EXPECT_EQ(b.selector, "sel-1");
  EXPECT_EQ(b.key, "example-rsa");
  EXPECT_FALSE(b.keyIsPath);
  EXPECT_EQ(b.origin, "seal.policy:3");
  EXPECT_TRUE(a.matches("lists.example.com"));
  EXPECT_TRUE(a.matches("a.lists.example.com."));
  EXPECT_FALSE(a.matches("example.com"));
  EXPECT_FALSE(a.matches("otherlists.example.com"));
}

TEST(PolicyFile, ArcSealErrorsHaveFileAndLine) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("arc-seal example.org sel\n"
                            "arc-seal .example.org sel /k.pem\n"
                            "arc-seal exa$mple.org sel /k.pem\n"
                            "arc-seal example.org se;l /k.pem\n"
                            "arc-seal example.org sel /k.pem\n"
                            "arc-seal EXAMPLE.org other /j.pem\n",
                            "p", errors);
  EXPECT_EQ(pf, nullptr);
  std::vector<std::string> want = {
      "p:1: usage: arc-seal <domain> <selector> <key-file|key-name>",
      "p:2: arc-seal needs a domain name (the d= of the seal), not a pattern: '.example.org'",
      "p:3: invalid domain 'exa$mple.org'",
      "p:4: invalid selector 'se;l'",
      "p:6: second arc-seal for example.org (first on line 5)",
  };
  EXPECT_EQ(errors, want);
}

TEST(PolicyFile, MissingFile) {
  std::vector<std::string> errors;
  EXPECT_EQ(loadPolicyFile("/nonexistent/authmilter.policy", errors), nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("/nonexistent/authmilter.policy:0: cannot open", 0), 0u) << errors[0];
}

TEST(PolicyFile, ShippedSampleParses) {
  std::vector<std::string> errors;
  auto pf = loadPolicyFile(std::string(AM_SOURCE_DIR) + "/etc/authmilter.policy", errors);
  EXPECT_TRUE(pf) << (errors.empty() ? "" : errors[0]);
  EXPECT_TRUE(errors.empty());
}

}  // namespace

namespace {

// `key` and `sign` belong to the signing table (policy/signing_table.h): the policy parser
// hands them over and keeps FILE:LINE on their errors.
TEST(PolicyFile, SigningDirectivesDispatched) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("key k1 example.com sel1 /etc/authmilter/keys/k1.pem rsa\n"
                            "sign *@example.com k1\n",
                            "sign.policy", errors);
  ASSERT_TRUE(pf) << errors[0];
  EXPECT_EQ(pf->signing.keys.size(), 1u);
  EXPECT_EQ(pf->signing.rules.size(), 1u);

  errors.clear();
  EXPECT_EQ(parsePolicyText("# x\nkey\n", "bad.policy", errors), nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("bad.policy:2: ", 0), 0u) << errors[0];
  EXPECT_EQ(errors[0].find("unknown keyword"), std::string::npos) << errors[0];
}

}  // namespace

namespace {

TEST(PolicyFile, ArcTrust) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("arc-trust lists.example.org .google.com\nARC-TRUST *.forwarder.example\n", "arc.policy", errors);
  ASSERT_TRUE(pf) << errors[0];
  ASSERT_EQ(pf->arcTrust.size(), 3u);
  EXPECT_TRUE(pf->arcTrust[0].matches("Lists.Example.ORG"));
  EXPECT_FALSE(pf->arcTrust[0].matches("evil-lists.example.org"));
  EXPECT_TRUE(pf->arcTrust[1].matches("google.com"));
  EXPECT_TRUE(pf->arcTrust[1].matches("mail.google.com"));
  EXPECT_TRUE(pf->arcTrust[2].matches("a.forwarder.example"));
  EXPECT_TRUE(parsePolicyText("", "empty.policy", errors)->arcTrust.empty());
}

TEST(PolicyFile, ArcTrustErrorsNameFileAndLine) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("# ok\narc-trust\narc-trust good.example bad$domain\n", "/etc/authmilter.policy", errors);
  EXPECT_EQ(pf, nullptr);
  std::vector<std::string> expect = {
      "/etc/authmilter.policy:2: usage: arc-trust <domain|.domain>...",
      "/etc/authmilter.policy:3: invalid domain 'bad$domain'",
  };
  EXPECT_EQ(errors, expect);
}

// `require-tls <domain-pattern> <reject|tempfail|quarantine> [min-version]`.
TEST(PolicyFile, RequireTls) {
  std::vector<std::string> errors;
  auto pf = parsePolicyText("require-tls bank.example reject\n"
                            "require-tls .partner.example quarantine TLSv1.2\n"
                            "require-tls *.legacy.example tempfail tlsv1.0\n",
                            "tls.policy", errors);
  ASSERT_TRUE(pf) << errors[0];
  ASSERT_EQ(pf->requireTls.size(), 3u);
  EXPECT_EQ(pf->requireTls[0].action, Action::Reject);
  EXPECT_EQ(pf->requireTls[0].minRank, 0);
  EXPECT_EQ(pf->requireTls[0].minVersion, "");
  EXPECT_EQ(pf->requireTls[0].line, 1);
  EXPECT_EQ(pf->requireTls[1].action, Action::Quarantine);
  EXPECT_EQ(pf->requireTls[1].minVersion, "TLSv1.2");
  EXPECT_EQ(pf->requireTls[2].action, Action::TempFail);
  EXPECT_EQ(pf->requireTls[2].minVersion, "TLSv1");  // the name the MTAs give TLS 1.0
  EXPECT_EQ(pf->tlsRequirementFor("BANK.example"), &pf->requireTls[0]);
  EXPECT_EQ(pf->tlsRequirementFor("mail.bank.example"), nullptr);  // exact pattern
  EXPECT_EQ(pf->tlsRequirementFor("partner.example"), &pf->requireTls[1]);
  EXPECT_EQ(pf->tlsRequirementFor("eu.partner.example"), &pf->requireTls[1]);
  EXPECT_EQ(pf->tlsRequirementFor("other.example"), nullptr);
}

TEST(PolicyFile, TlsVersionsAreOrdered) {
  EXPECT_LT(*tlsVersionRank("SSLv3"), *tlsVersionRank("TLSv1"));
  EXPECT_EQ(*tlsVersionRank("TLSv1"), *tlsVersionRank("tlsv1.0"));
  EXPECT_LT(*tlsVersionRank("TLSv1"), *tlsVersionRank("TLSv1.1"));
  EXPECT_LT(*tlsVersionRank("TLSv1.1"), *tlsVersionRank("TLSv1.2"));
  EXPECT_LT(*tlsVersionRank("TLSv1.2"), *tlsVersionRank("TLSv1.3"));
  EXPECT_LT(*tlsVersionRank("TLSv1.3"), *tlsVersionRank("TLSv1.4"));  // a later protocol is not refused
  for (const char* bad : {"", "TLS", "TLSv", "TLSv0", "TLSv1.", "TLSv1.2.1", "TLSv1.x", "1.2", "DTLSv1.2", "unknown"})
    EXPECT_FALSE(tlsVersionRank(bad)) << bad;
}

TEST(PolicyFile, RequireTlsBadLinesWithFileAndLine) {
  const char* text =
      "require-tls bank.example\n"                    // 1: missing action
      "require-tls bank.example accept\n"             // 2: accept is no requirement
      "require-tls bank.example reject TLSv1.2 x\n"   // 3: too many words
      "require-tls bank.example reject SSLv3\n"       // 4: not a TLS version
      "require-tls bank.example reject 1.2\n"         // 5
      "require-tls ba$nk.example reject\n"            // 6
      "require-tls bank.example bounce\n";            // 7
  std::vector<std::string> errors;
  EXPECT_EQ(parsePolicyText(text, "/etc/authmilter.policy", errors), nullptr);
  const std::string usage =
      "usage: require-tls <domain|.domain> <reject|tempfail|quarantine> [TLSv1|TLSv1.1|TLSv1.2|TLSv1.3]";
  std::vector<std::string> expect = {
      "/etc/authmilter.policy:1: " + usage,
      "/etc/authmilter.policy:2: expected reject, tempfail or quarantine, got 'accept'",
      "/etc/authmilter.policy:3: " + usage,
      "/etc/authmilter.policy:4: expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got 'SSLv3'",
      "/etc/authmilter.policy:5: expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got '1.2'",
      "/etc/authmilter.policy:6: invalid domain 'ba$nk.example'",
      "/etc/authmilter.policy:7: expected reject, tempfail or quarantine, got 'bounce'",
  };
  EXPECT_EQ(errors, expect);
}

}  // namespace
