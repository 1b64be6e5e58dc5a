// tests/core/engine_test.cpp — the one snapshot builder as start-up, SIGHUP reload and
// --check-config use it: a reload builds what start-up builds (the Public Suffix List of RFC 7489
// mode, the DKIM verifier), refuses what start-up refuses, and --check-config reports what
// start-up would (signing tables without a policy file). DNS is in memory; files are real.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/memorydns/memory_resolver.h"
#include "filter/core/session.h"

using namespace am;
using namespace am::core;

namespace {

constexpr const char* kPsl = "/usr/share/publicsuffix/public_suffix_list.dat";

struct EngineFixture : ::testing::Test {
  FixedClock clock{1700000000};
  Logger log;
  InMemoryResolver* dns = nullptr;
  std::unique_ptr<Engine> engine;
  std::string dir;

  void SetUp() override {
    char tmpl[] = "/tmp/am-engine-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir).c_str()); }

  std::string conf() const { return dir + "/authmilter.conf"; }
  void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  void start(const std::string& text) {
    write(conf(), text);
    auto cfg = config::loadFile(conf());
    ASSERT_TRUE(cfg.config) << cfg.errors[0];
    auto mem = std::make_unique<InMemoryResolver>();
    dns = mem.get();
    std::vector<std::string> errors;
    engine = Engine::create(cfg.config, log, std::move(mem), clock, errors);
    ASSERT_TRUE(engine) << (errors.empty() ? "" : errors[0]);
  }

  // A forged From of bank.example (p=reject) from an outside client, through a new session.
  Verdict forged() {
    Session s(*engine);
    s.setMacro("i", "QID1");
    s.connect("evil.test", IpAddress::parse("198.51.100.7"));
    s.helo("evil.test");
    s.mailFrom("<x@evil.test>");
    s.rcpt("<rcpt@mx.test>");
    s.header("From", " ceo@pay.bank.example");
    s.header("Subject", " pay now");
    s.endOfHeaders();
    s.body("pay\r\n");
    return s.endOfMessage();
  }
};

const std::string kBase = "AuthservID mx.test\nSyslog no\n";

TEST_F(EngineFixture, ReloadIntoRfc7489LoadsThePublicSuffixList) {
  start(kBase + "DMARCMode rfc9989\n");
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject; rua=mailto:d@bank.example");
  EXPECT_EQ(forged().action, Action::Reject);
  write(conf(), kBase + "DMARCMode rfc7489\nPublicSuffixList " + kPsl + "\n");
  std::vector<std::string> errors;
  ASSERT_TRUE(engine->reload(conf(), errors)) << (errors.empty() ? "" : errors[0]);
  ASSERT_TRUE(engine->snapshot()->psl);
  Verdict v = forged();  // was: dmarc=permerror "RFC 7489 mode without a Public Suffix List", accepted
  EXPECT_EQ(v.action, Action::Reject);
  EXPECT_EQ(v.rcode, "550");
}

TEST_F(EngineFixture, ReloadWithAnUnloadableSuffixListKeepsTheOldSnapshot) {
  start(kBase + "DMARCMode rfc9989\n");
  auto before = engine->snapshot();
  write(conf(), kBase + "DMARCMode rfc7489\n\nPublicSuffixList " + dir + "/missing.dat\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(engine->reload(conf(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(conf() + ":5: PublicSuffixList: ", 0), 0u) << errors[0];
  EXPECT_EQ(engine->snapshot(), before);
  errors.clear();
  write(conf(), kBase + "DMARCMode rfc7489\n");  // the default list, which is installed
  EXPECT_TRUE(engine->reload(conf(), errors)) << (errors.empty() ? "" : errors[0]);
  EXPECT_NE(engine->snapshot(), before);
}

TEST_F(EngineFixture, ReloadChangesTheDkimVerificationSettings) {
  start(kBase + "DKIMAlgorithms rsa-sha256 ed25519-sha256\n");
  const dkim::Verifier* first = engine->snapshot()->dkim.get();
  write(conf(), kBase + "DKIMAlgorithms rsa-sha256\nMaximumSignaturesToVerify 2\n");
  std::vector<std::string> errors;
  ASSERT_TRUE(engine->reload(conf(), errors));
  EXPECT_NE(engine->snapshot()->dkim.get(), first);
  EXPECT_EQ(engine->snapshot()->config->maxSignatures, 2u);
}

TEST_F(EngineFixture, ShutdownTimeoutIsReadFromTheReloadedConfig) {
  start(kBase + "ShutdownTimeout 25\n");
  write(conf(), kBase + "ShutdownTimeout 3\n");
  std::vector<std::string> errors;
  ASSERT_TRUE(engine->reload(conf(), errors));
  EXPECT_EQ(engine->snapshot()->config->shutdownTimeout, 3u);
}

TEST_F(EngineFixture, CheckConfigReportsSigningTableWithoutKeyTableWithoutAPolicyFile) {
  write(dir + "/SigningTable", "*@example.com k1\n");
  write(conf(), kBase + "\nSigningTable " + dir + "/SigningTable\n");
  auto errors = checkConfiguration(conf());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], conf() + ":4: SigningTable needs a KeyTable");
}

TEST_F(EngineFixture, CheckConfigLoadsKeyTableKeysWithoutAPolicyFile) {
  write(dir + "/KeyTable", "k1 example.com:sel:" + dir + "/missing.key\n");
  write(dir + "/SigningTable", "*@example.com k1\n");
  write(conf(), kBase + "KeyTable " + dir + "/KeyTable\nSigningTable " + dir + "/SigningTable\n");
  auto errors = checkConfiguration(conf());
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("missing.key"), std::string::npos) << errors[0];
  // ... and start-up refuses the same file for the same reason.
  auto cfg = config::loadFile(conf());
  ASSERT_TRUE(cfg.config);
  std::vector<std::string> startErrors;
  EXPECT_FALSE(Engine::create(cfg.config, log, std::make_unique<InMemoryResolver>(), clock, startErrors));
  EXPECT_EQ(startErrors, errors);
}

TEST_F(EngineFixture, CheckConfigAndStartUpAgreeOnAGoodFile) {
  write(conf(), kBase + "DMARCMode rfc7489\nPublicSuffixList " + kPsl + "\n");
  std::vector<std::string> warnings;
  EXPECT_TRUE(checkConfiguration(conf(), &warnings).empty());
  EXPECT_TRUE(warnings.empty());
}

TEST_F(EngineFixture, SigningKeysOnATcpSocketAreWarnedAbout) {
  ASSERT_EQ(system(("cd " + dir + " && openssl genpkey -algorithm ed25519 -out k.key 2>/dev/null && chmod 600 k.key").c_str()), 0);
  write(dir + "/policy", "key k example.com sel " + dir + "/k.key ed25519\nsign example.com k\n");
  write(conf(), kBase + "PolicyFile " + dir + "/policy\nSocket inet:8894@127.0.0.1\n");
  std::vector<std::string> warnings;
  EXPECT_TRUE(checkConfiguration(conf(), &warnings).empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind(conf() + ":4: Socket inet:8894@127.0.0.1: signing keys are loaded", 0), 0u) << warnings[0];
  write(conf(), kBase + "PolicyFile " + dir + "/policy\nSocket unix:" + dir + "/sock\n");
  EXPECT_TRUE(checkConfiguration(conf(), &warnings).empty());
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
