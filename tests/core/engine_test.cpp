// tests/core/engine_test.cpp — the one snapshot builder as start-up, SIGHUP reload and
// --check-config use it: a reload builds what start-up builds (the Public Suffix List of RFC 7489
// mode, the DKIM verifier), refuses what start-up refuses, and --check-config reports what
// start-up would (signing tables without a policy file). DNS is in memory; files are real.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "filter/core/session.h"
#include "tests/core/core_fixture.h"

using namespace am;
using namespace am::core;

namespace {

constexpr const char* kPsl = "/usr/share/publicsuffix/public_suffix_list.dat";

struct EngineFixture : am::core::test::CoreFixture {
  std::string conf() const { return dir + "/authmilter.conf"; }
  void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  void start(const std::string& text) {
    write(conf(), text);
    startEngine(config::loadFile(conf()));
  }

  // A forged From of bank.example (p=reject) from an outside client, through a new session.
  Verdict forged(const std::string& host = "evil.test", const std::string& addr = "198.51.100.7",
                 std::string* log = nullptr) {
    Session s(*engine);
    s.setMacro("i", "QID1");
    s.connect(host, IpAddress::parse(addr));
    s.helo("evil.test");
    s.mailFrom("<x@evil.test>");
    s.rcpt("<rcpt@mx.test>");
    s.header("From", " ceo@pay.bank.example");
    s.header("Subject", " pay now");
    s.endOfHeaders();
    s.body("pay\r\n");
    Verdict v = s.endOfMessage();
    if (log) *log = s.lastLogLine();
    return v;
  }
};

const std::string kBase = "AuthservID mx.test\nSyslog no\n";

// Everything written to stderr (where the Logger writes without syslog) while `f` runs.
template <class F>
std::string stderrOf(F f) {
  char path[] = "/tmp/am-engine-stderr-XXXXXX";
  int fd = mkstemp(path);
  int saved = dup(2);
  dup2(fd, 2);
  f();
  dup2(saved, 2);
  close(saved);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  close(fd);
  unlink(path);
  return text;
}

// One list of internal hosts (addresses, networks, verified names, .domain subtrees), read once
// at connect, and one switch that decides whether such clients are enforced.
TEST_F(EngineFixture, InternalHostsIsTheOneList) {
  start(kBase + "InternalHosts 10.0.0.0/8, .corp.example\n");
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
  std::string log;
  EXPECT_EQ(forged("relay.corp.example", "192.0.2.9", &log).action, Action::Accept);
  EXPECT_NE(log.find("internal client, DMARC not enforced"), std::string::npos) << log;
  EXPECT_EQ(log.find(" spf="), std::string::npos) << log;  // not SPF-checked
  EXPECT_EQ(forged("evil.test", "10.1.2.3").action, Action::Accept);
  EXPECT_EQ(forged("[192.0.2.9]", "192.0.2.9").action, Action::Reject);  // unverified name: not internal
  EXPECT_EQ(forged("relay.corp.example.evil", "192.0.2.9").action, Action::Reject);

  write(conf(), kBase + "InternalHosts 10.0.0.0/8, .corp.example\nIgnoreInternalHosts no\n");
  std::vector<std::string> errors;
  ASSERT_TRUE(engine->reload(conf(), errors));
  EXPECT_EQ(forged("relay.corp.example", "192.0.2.9", &log).action, Action::Reject);
  EXPECT_NE(log.find(" spf="), std::string::npos) << log;

  write(conf(), kBase + "InternalHosts 10.0.0.0/8, bad!name\n");
  EXPECT_FALSE(engine->reload(conf(), errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back(), conf() + ":3: InternalHosts: invalid address, network or host name 'bad!name'");
}

// LogDebug: each DNS answer used, tagged with the queue id, and one line with the details of the
// verdict (record as published, org domain and how, alignment, the rule that decided).
TEST_F(EngineFixture, LogDebugExplainsOneVerdict) {
  start(kBase + "LogDebug yes\n");
  log.configure(false, "mail", true);
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject; adkim=s");
  std::string out = stderrOf([&] { EXPECT_EQ(forged().action, Action::Reject); });
  EXPECT_NE(out.find("qid=QID1 debug=dns type=TXT name=_dmarc.pay.bank.example status=nxdomain"), std::string::npos) << out;
  EXPECT_NE(out.find("qid=QID1 debug=dns type=TXT name=_dmarc.bank.example status=ok answer=\"v=DMARC1; p=reject; adkim=s\""),
            std::string::npos) << out;
  EXPECT_NE(out.find("debug=outcome"), std::string::npos) << out;
  EXPECT_NE(out.find("dmarc.record=\"adkim=s; p=reject; v=DMARC1\""), std::string::npos) << out;
  EXPECT_NE(out.find("dmarc.policy_domain=bank.example dmarc.org_domain=bank.example dmarc.org_by=tree-walk "
                     "dmarc.aligned_spf=no dmarc.aligned_dkim=no"), std::string::npos) << out;
  EXPECT_NE(out.find("rule=\"dmarc=fail p=reject dis=reject"), std::string::npos) << out;
}

TEST_F(EngineFixture, WithoutLogDebugNothingIsLoggedAtDebug) {
  start(kBase);
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
  std::string out = stderrOf([&] { forged(); });
  EXPECT_EQ(out.find("debug="), std::string::npos) << out;
  EXPECT_NE(out.find("action=reject"), std::string::npos) << out;
}

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
