// tests/core/arc_seal_test.cpp — ARC sealing in the core: which messages an `arc-seal` rule
// seals (accepted or quarantined mail for a recipient in its domain), the three header edits
// (AS on top, then AMS, then AAR with our Authentication-Results), the log field, and the
// policy/key errors of the snapshot builder.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "filter/auth/arc_seal/sealer.h"
#include "filter/auth/dkim/primitives/tag_list.h"
#include "filter/core/session.h"
#include "tests/arc_seal/arc_test_util.h"
#include "tests/core/core_fixture.h"

using namespace am;
using namespace am::core;

namespace {

struct SealFixture : am::core::test::CoreFixture {
  std::string pem, txt;
  dkim::LoadedKey key = arctest::generateKey("rsa", &pem, &txt);

  void start(const std::string& policy) {
    std::string keyFile = dir + "/arc.pem";
    std::ofstream(keyFile) << pem;
    ::chmod(keyFile.c_str(), 0600);
    std::string p = policy;
    for (size_t at; (at = p.find("KEYFILE")) != std::string::npos;) p.replace(at, 7, keyFile);
    std::ofstream(dir + "/policy") << p;
    startEngine(config::parseText("AuthservID mx.test\nSyslog no\nPolicyFile " + dir + "/policy\n", "test.conf"));
  }

  Verdict run(const std::string& rcpt, const std::vector<std::pair<std::string, std::string>>& extra,
              const std::string& from, std::string* logLine) {
    Session s(*engine);
    s.setMacro("i", "QID7");
    s.connect("client.test", IpAddress::parse("198.51.100.7"));
    s.helo("sender.example");
    s.mailFrom("<x@sender.example>");
    s.rcpt("<" + rcpt + ">");
    for (auto& [n, v] : extra) s.header(n, " " + v);
    s.header("From", " " + from);
    s.header("To", " " + rcpt);
    s.header("Subject", " forwarded");
    s.endOfHeaders();
    s.body("line one\r\nline two\r\n");
    Verdict v = s.endOfMessage();
    *logLine = s.lastLogLine();
    return v;
  }
};

std::vector<const HeaderEdit*> arcEdits(const Verdict& v) {
  std::vector<const HeaderEdit*> out;
  for (auto& e : v.edits)
    if (e.name.rfind("ARC-", 0) == 0) out.push_back(&e);
  return out;
}

std::string tag(const std::string& value, const char* name) {
  auto t = dkim::parseTagList(value);
  const std::string* v = t.get(name);
  return v ? *v : "(absent)";
}

TEST_F(SealFixture, AcceptedMailForTheDomainIsSealedOnTop) {
  start("arc-seal fwd.example sel1 KEYFILE\n");
  dns->addTxt("sender.example", "v=spf1 ip4:198.51.100.7 -all");
  std::string line;
  Verdict v = run("user@fwd.example", {}, "a@sender.example", &line);
  EXPECT_EQ(v.action, Action::Accept);
  auto arc = arcEdits(v);
  ASSERT_EQ(arc.size(), 3u) << line;
  // The ARC edits come last and insert at 0: AS ends up first in the header, then AMS, AAR.
  EXPECT_EQ(&v.edits.back(), arc[2]);
  EXPECT_EQ(arc[0]->name, "ARC-Authentication-Results");
  EXPECT_EQ(arc[1]->name, "ARC-Message-Signature");
  EXPECT_EQ(arc[2]->name, "ARC-Seal");
  for (auto* e : arc) EXPECT_EQ(e->index, 0);
  EXPECT_EQ(arc[0]->value.rfind("i=1; mx.test; spf=pass smtp.mailfrom=sender.example", 0), 0u) << arc[0]->value;
  EXPECT_EQ(tag(arc[2]->value, "cv"), "none");
  EXPECT_EQ(tag(arc[2]->value, "d"), "fwd.example");
  EXPECT_EQ(tag(arc[2]->value, "s"), "sel1");
  EXPECT_EQ(tag(arc[2]->value, "t"), "1700000000");
  EXPECT_EQ(tag(arc[1]->value, "h"), "from:subject:to");
  EXPECT_TRUE(arctest::verifySignature(key, {{"ARC-Authentication-Results", arc[0]->value},
                                             {"ARC-Message-Signature", arc[1]->value}},
                                       "ARC-Seal", arc[2]->value));
  EXPECT_NE(line.find(" arc.seal=yes arc.seal.i=1"), std::string::npos) << line;
}

TEST_F(SealFixture, KeyFromAKeyLine) {
  start("key fwdkey fwd.example whatever KEYFILE\narc-seal fwd.example sel2 fwdkey\n");
  std::string line;
  Verdict v = run("user@sub.fwd.example", {}, "a@sender.example", &line);
  auto arc = arcEdits(v);
  ASSERT_EQ(arc.size(), 3u) << line;
  EXPECT_EQ(tag(arc[2]->value, "s"), "sel2");  // the rule's selector, not the key line's
}

TEST_F(SealFixture, OtherRecipientsAreNotSealed) {
  start("arc-seal fwd.example sel1 KEYFILE\n");
  std::string line;
  Verdict v = run("user@elsewhere.example", {}, "a@sender.example", &line);
  EXPECT_TRUE(arcEdits(v).empty());
  EXPECT_EQ(line.find("arc.seal"), std::string::npos) << line;
}

TEST_F(SealFixture, RejectedMailIsNotSealed) {
  start("arc-seal fwd.example sel1 KEYFILE\n");
  dns->addTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
  dns->addTxt("bank.example", "v=spf1 -all");
  std::string line;
  Verdict v = run("user@fwd.example", {}, "ceo@bank.example", &line);
  EXPECT_EQ(v.action, Action::Reject);
  EXPECT_TRUE(arcEdits(v).empty());
  EXPECT_EQ(line.find("arc.seal"), std::string::npos) << line;
}

// A valid chain from a list (sealed with another key, published in DNS): the verifier says
// pass, we add set 2 with cv=pass and our AS covers set 1 and ours.
TEST_F(SealFixture, PassingChainGetsTheNextInstanceWithCvPass) {
  start("arc-seal fwd.example sel1 KEYFILE\n");
  std::string listPem, listTxt;
  dkim::LoadedKey listKey = arctest::generateKey("rsa", &listPem, &listTxt);
  dns->addTxt("ls._domainkey.list.example", listTxt);
  arctest::RawMessage m;
  m.headers = {{"From", " a@sender.example"}, {"To", " user@fwd.example"}, {"Subject", " forwarded"}};
  m.body = "line one\r\nline two\r\n";
  auto hop1 = arctest::seal(m, {&listKey, "list.example", "ls"}, {}, 1699990000, {arcseal::Cv::None, 0},
                            "list.example", "spf=pass smtp.mailfrom=sender.example");
  ASSERT_TRUE(hop1.set) << hop1.reason;
  std::string line;
  Verdict v = run("user@fwd.example",
                  {{"ARC-Seal", hop1.set->as}, {"ARC-Message-Signature", hop1.set->ams},
                   {"ARC-Authentication-Results", hop1.set->aar}},
                  "a@sender.example", &line);
  auto arc = arcEdits(v);
  ASSERT_EQ(arc.size(), 3u) << line;
  EXPECT_NE(line.find(" arc=pass"), std::string::npos) << line;
  EXPECT_NE(line.find(" arc.seal=yes arc.seal.i=2"), std::string::npos) << line;
  EXPECT_EQ(tag(arc[2]->value, "cv"), "pass");
  EXPECT_EQ(tag(arc[2]->value, "i"), "2");
  EXPECT_EQ(arc[0]->value.find("i=2; mx.test; "), 0u) << arc[0]->value;
  EXPECT_NE(arc[0]->value.find("arc=pass"), std::string::npos) << arc[0]->value;  // our AR, arc= included
  EXPECT_TRUE(arctest::verifySignature(key, {{"ARC-Authentication-Results", hop1.set->aar},
                                             {"ARC-Message-Signature", hop1.set->ams},
                                             {"ARC-Seal", hop1.set->as},
                                             {"ARC-Authentication-Results", arc[0]->value},
                                             {"ARC-Message-Signature", arc[1]->value}},
                                       "ARC-Seal", arc[2]->value));
}

// A chain that does not verify (no key in DNS, bogus signatures): the verifier says fail and
// the set we add says cv=fail and seals only itself (RFC 8617 §5.1.2).
TEST_F(SealFixture, FailingChainIsSealedWithCvFail) {
  start("arc-seal fwd.example sel1 KEYFILE\n");
  std::string line;
  Verdict v = run("user@fwd.example",
                  {{"ARC-Seal", "i=1; a=rsa-sha256; cv=none; d=list.example; s=s; t=1; b=AAAA"},
                   {"ARC-Message-Signature", "i=1; a=rsa-sha256; c=relaxed/relaxed; d=list.example; s=s; h=from; bh=AAAA; b=AAAA"},
                   {"ARC-Authentication-Results", "i=1; list.example; spf=pass"}},
                  "a@sender.example", &line);
  auto arc = arcEdits(v);
  ASSERT_EQ(arc.size(), 3u) << line;
  EXPECT_NE(line.find(" arc=fail"), std::string::npos) << line;
  EXPECT_EQ(tag(arc[2]->value, "cv"), "fail");
  EXPECT_EQ(tag(arc[2]->value, "i"), "2");
  EXPECT_TRUE(arctest::verifySignature(key, {{"ARC-Authentication-Results", arc[0]->value},
                                             {"ARC-Message-Signature", arc[1]->value}},
                                       "ARC-Seal", arc[2]->value));
}

// The newest seal already says cv=fail: the chain has ended, nothing is added (§5.1 step 1).
TEST_F(SealFixture, EndedChainGetsNoSet) {
  start("arc-seal fwd.example sel1 KEYFILE\n");
  std::string line;
  Verdict v = run("user@fwd.example",
                  {{"ARC-Seal", "i=1; a=rsa-sha256; cv=fail; d=list.example; s=s; t=1; b=AAAA"},
                   {"ARC-Message-Signature", "i=1; a=rsa-sha256; c=relaxed/relaxed; d=list.example; s=s; h=from; bh=AAAA; b=AAAA"},
                   {"ARC-Authentication-Results", "i=1; list.example; spf=pass"}},
                  "a@sender.example", &line);
  EXPECT_TRUE(arcEdits(v).empty());
  EXPECT_NE(line.find(" arc.seal=no arc.seal.reason="), std::string::npos) << line;
}

TEST_F(SealFixture, UnknownKeyNameIsAnErrorWithFileAndLine) {
  std::ofstream(dir + "/policy") << "# x\narc-seal fwd.example sel1 nosuchkey\n";
  auto cfg = config::parseText("AuthservID mx.test\nSyslog no\nPolicyFile " + dir + "/policy\n", "test.conf");
  ASSERT_TRUE(cfg.config);
  std::vector<std::string> errors;
  InMemoryResolver mem;
  auto snap = buildSnapshot(cfg.config, mem, clock, errors);
  EXPECT_EQ(snap, nullptr);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].rfind(dir + "/policy:2: arc-seal: no key named 'nosuchkey'", 0), 0u) << errors[0];
}

TEST_F(SealFixture, UnreadableKeyFileIsAnErrorWithFileAndLine) {
  std::ofstream(dir + "/policy") << "arc-seal fwd.example sel1 " + dir + "/missing.pem\n";
  auto cfg = config::parseText("AuthservID mx.test\nSyslog no\nPolicyFile " + dir + "/policy\n", "test.conf");
  ASSERT_TRUE(cfg.config);
  std::vector<std::string> errors;
  InMemoryResolver mem;
  EXPECT_EQ(buildSnapshot(cfg.config, mem, clock, errors), nullptr);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].rfind(dir + "/policy:1: key 'arc-seal:fwd.example': cannot open key file", 0), 0u) << errors[0];
}

}  // namespace
