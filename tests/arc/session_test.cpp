// tests/arc/session_test.cpp — ARC through the core: a Session fed a message that went through a
// list (SPF fails, no DKIM, the From domain publishes p=reject) and carries a chain sealed by
// python3-dkim. The trusted sealer's AAR lifts the DMARC failure (override arc in the AR comment
// and the log line); an untrusted sealer changes nothing (550); a tampered message gets arc=fail;
// mail without ARC fields gets arc=none and nothing in the log line.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "filter/authres/authres.h"
#include "filter/core/session.h"
#include "test_util.h"
#include "tests/arc/arc_test_util.h"
#include "tests/core/core_fixture.h"

namespace am::arc::test {
namespace {

struct ArcSession : core::test::CoreFixture {
  std::string keyRecord;

  void start(const std::string& policy, const std::string& extraConfig = "") {
    std::ofstream(dir + "/policy") << policy;
    startEngine(config::parseText("AuthservID mx.test\nSyslog no\nPolicyFile " + dir + "/policy\n" + extraConfig, "test.conf"));
    dns->addTxt("_dmarc.example.com", "v=DMARC1; p=reject");
    dns->addTxt("example.com", "v=spf1 ip4:198.51.100.0/24 -all");
    keyRecord = makeRsaKey(dir + "/arc.key");
    ASSERT_FALSE(keyRecord.empty());
    dns->addTxt("arc._domainkey.lists.example.net", keyRecord);
  }

  // The message as the list host passed it on: its AR says what it saw, then it sealed.
  std::string sealed(const std::string& aarSays) {
    std::string msg =
        "Authentication-Results: lists.example.net; arc=none; " + aarSays + "\r\n"
        "From: Alice <alice@example.com>\r\nTo: list@lists.example.net\r\nSubject: [list] hello\r\n"
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello list.\r\n";
    auto out = dkimpySeal(msg, "lists.example.net", "arc", dir + "/arc.key", "lists.example.net");
    EXPECT_TRUE(out.has_value());
    return out.value_or(msg);
  }

  core::Verdict run(const std::string& raw, std::string* log) {
    core::Session s(*engine);
    s.setMacro("i", "QID1");
    s.connect("list.example.net", IpAddress::parse("192.0.2.80"));
    s.helo("list.example.net");
    s.mailFrom("<list-bounces@lists.example.net>");
    s.rcpt("<bob@mx.test>");
    dkim::test::Message m = dkim::test::parseMessage(raw);
    for (auto& [n, v] : m.headers) s.header(n, v);
    s.endOfHeaders();
    s.body(dkim::test::toCrlf(m.body));
    core::Verdict v = s.endOfMessage();
    *log = s.lastLogLine();
    return v;
  }
};

std::string arHeader(const core::Verdict& v) {
  for (auto& e : v.edits)
    if (e.kind == core::HeaderEdit::Kind::Insert && e.name == "Authentication-Results") return e.value;
  return {};
}

TEST_F(ArcSession, TrustedSealerLiftsDmarcFailure) {
  start("arc-trust lists.example.net\n");
  std::string log;
  auto v = run(sealed("dmarc=pass header.from=example.com"), &log);
  EXPECT_EQ(v.action, Action::Accept) << log;
  std::string ar = arHeader(v);
  EXPECT_NE(ar.find("arc=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("header.oldest-pass=0"), std::string::npos) << ar;
  EXPECT_NE(ar.find("smtp.remote-ip=192.0.2.80"), std::string::npos) << ar;
  EXPECT_NE(ar.find("override=arc"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dmarc=fail"), std::string::npos) << ar;
  ASSERT_TRUE(authres::parse(ar, nullptr)) << ar;
  EXPECT_NE(log.find(" arc=pass arc.i=1 arc.oldest_pass=0 arc.sealer=lists.example.net"), std::string::npos) << log;
  EXPECT_NE(log.find("override=arc"), std::string::npos) << log;
  EXPECT_NE(log.find("arc.sets=\"i=1 as=pass ams=pass d=lists.example.net s=arc\""), std::string::npos) << log;
}

TEST_F(ArcSession, TwoHopsLoggedNewestFirst) {
  start("arc-trust lists.example.net\n");
  std::string once = sealed("dmarc=pass header.from=example.com");
  // The second hop (another host of the same list domain, its own authserv-id) saw the chain pass.
  auto twice = dkimpySeal("Authentication-Results: relay.lists.example.net; arc=pass; dmarc=fail header.from=example.com\r\n" +
                              dkim::test::toCrlf(once),
                          "lists.example.net", "arc", dir + "/arc.key", "relay.lists.example.net");
  ASSERT_TRUE(twice.has_value());
  std::string log;
  auto v = run(*twice, &log);
  // The newest set's AAR decides: it saw dmarc=fail, so no override.
  EXPECT_EQ(v.action, Action::Reject) << log;
  EXPECT_NE(log.find(" arc=pass arc.i=2 arc.oldest_pass=0"), std::string::npos) << log;
  EXPECT_NE(log.find("arc.sets=\"i=2 as=pass ams=pass d=lists.example.net s=arc; i=1 as=pass ams=pass"),
            std::string::npos) << log;
}

TEST_F(ArcSession, AlignedDkimClaimIsEnough) {
  start("arc-trust .example.net\n");
  std::string log;
  auto v = run(sealed("dkim=pass header.d=mail.example.com; dmarc=fail header.from=example.com"), &log);
  EXPECT_EQ(v.action, Action::Accept) << log;
  EXPECT_NE(log.find("override=arc"), std::string::npos) << log;
}

TEST_F(ArcSession, UnalignedClaimsDoNotCount) {
  start("arc-trust lists.example.net\n");
  std::string log;
  auto v = run(sealed("dkim=pass header.d=other.example; spf=pass smtp.mailfrom=x@lists.example.net"), &log);
  EXPECT_EQ(v.action, Action::Reject) << log;
  EXPECT_NE(log.find(" arc=pass"), std::string::npos) << log;
}

TEST_F(ArcSession, UntrustedSealerChangesNothing) {
  start("arc-trust lists.example.org\n");
  std::string log;
  auto v = run(sealed("dmarc=pass header.from=example.com"), &log);
  EXPECT_EQ(v.action, Action::Reject) << log;
  EXPECT_EQ(v.rcode, "550");
  EXPECT_EQ(v.xcode, "5.7.1");
  EXPECT_NE(arHeader(v).find("arc=pass"), std::string::npos);
  EXPECT_EQ(log.find("override=arc"), std::string::npos) << log;
}

TEST_F(ArcSession, TamperedMessageFailsTheChain) {
  start("arc-trust lists.example.net\n");
  std::string raw = sealed("dmarc=pass header.from=example.com");
  auto at = raw.find("Hello list.");
  ASSERT_NE(at, std::string::npos);
  raw.replace(at, 5, "Howdy");
  std::string log;
  auto v = run(raw, &log);
  EXPECT_EQ(v.action, Action::Reject) << log;
  std::string ar = arHeader(v);
  EXPECT_NE(ar.find("arc=fail"), std::string::npos) << ar;
  EXPECT_NE(log.find(" arc=fail arc.i=1 arc.reason="), std::string::npos) << log;
}

// A list host that is one of our internal hosts sends the list's mail out through us: we sign it,
// and its chain is validated all the same (the next sealer needs its cv).
TEST_F(ArcSession, MailWeSignGetsItsChainValidatedToo) {
  std::string key = dir + "/sign.key";
  ASSERT_FALSE(makeRsaKey(key).empty());
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  start("key k1 example.com s1 " + key + " rsa\nsign *@example.com k1\n", "InternalHosts 192.0.2.0/24\n");
  std::string log;
  auto v = run(sealed("dmarc=pass header.from=example.com"), &log);
  EXPECT_EQ(v.action, Action::Accept) << log;
  EXPECT_NE(log.find(" signed=1"), std::string::npos) << log;
  EXPECT_NE(log.find(" arc=pass arc.i=1"), std::string::npos) << log;
}

TEST_F(ArcSession, NoArcFieldsArcNone) {
  start("arc-trust lists.example.net\n");
  std::string log;
  auto v = run("From: Alice <alice@example.com>\r\nSubject: hi\r\n\r\nHello.\r\n", &log);
  auto ar = authres::parse(arHeader(v), nullptr);
  ASSERT_TRUE(ar);
  int arcResults = 0;
  for (auto& r : ar->results)
    if (r.method == "arc") {
      ++arcResults;
      EXPECT_EQ(r.result, "none");
      EXPECT_TRUE(r.props.empty());
    }
  EXPECT_EQ(arcResults, 1) << arHeader(v);
  EXPECT_EQ(log.find(" arc="), std::string::npos) << log;
}

}  // namespace
}  // namespace am::arc::test
