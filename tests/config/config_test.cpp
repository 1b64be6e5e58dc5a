// tests/config/config_test.cpp — config parsing: good input, bad input with exact FILE:LINE messages.
#include <gtest/gtest.h>

#include "filter/config/config.h"

using am::config::parseText;

TEST(Config, DefaultsWhenEmpty) {
  auto r = parseText("", "t.conf");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->socket, "inet:8894@127.0.0.1");
  EXPECT_FALSE(r.config->authservId.empty());  // host name by default
  EXPECT_TRUE(r.config->rejectFailures);
  EXPECT_EQ(r.config->maxSignatures, 5u);
  EXPECT_EQ(r.config->dmarcMode, am::config::DmarcMode::Rfc9989);
}

TEST(Config, ParsesEveryKind) {
  auto r = parseText(
      "# comment\n"
      "Socket  unix:/run/authmilter/authmilter.sock\n"
      "authservid mx.example.org   # trailing comment\n"
      "UMask 002\n"
      "Syslog no\n"
      "InternalHosts 10.0.0.0/8, 192.168.1.1 relay.example.org\n"
      "Nameservers 127.0.0.1:5353,[::1]:53\n"
      "DNSTimeout 3\n"
      "Canonicalization relaxed/simple\n"
      "DMARCMode rfc7489\n"
      "RejectFailures false\n",
      "t.conf");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  const auto& c = *r.config;
  EXPECT_EQ(c.socket, "unix:/run/authmilter/authmilter.sock");
  EXPECT_EQ(c.authservId, "mx.example.org");
  EXPECT_EQ(c.umask, 002u);
  EXPECT_FALSE(c.syslog);
  EXPECT_EQ(c.internalHosts, (std::vector<std::string>{"10.0.0.0/8", "192.168.1.1", "relay.example.org"}));
  EXPECT_EQ(c.nameservers.size(), 2u);
  EXPECT_EQ(c.dnsTimeoutMs, 3000u);
  EXPECT_EQ(c.canonicalization, "relaxed/simple");
  EXPECT_EQ(c.dmarcMode, am::config::DmarcMode::Rfc7489);
  EXPECT_FALSE(c.rejectFailures);
}

TEST(Config, ReportsEveryErrorWithLine) {
  auto r = parseText(
      "Socket inet:99999@127.0.0.1\n"  // 1: bad port
      "\n"
      "NoSuchKey 1\n"                  // 3
      "Syslog maybe\n"                 // 4
      "DNSTimeout 0\n"                 // 5: out of range
      "AuthservID\n"                   // 6: no value
      "Syslog yes\n"                   // 7: duplicate (line 4 failed but was seen)
      "InternalHosts 10.0.0.0/33\n"    // 8
      "Socket bogus\n",                // 9: duplicate
      "bad.conf");
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 8u);
  EXPECT_EQ(r.errors[0].rfind("bad.conf:1: Socket:", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[1], "bad.conf:3: unknown key 'NoSuchKey'");
  EXPECT_EQ(r.errors[2].rfind("bad.conf:4: Syslog: expected yes or no", 0), 0u) << r.errors[2];
  EXPECT_EQ(r.errors[3].rfind("bad.conf:5: DNSTimeout: value 0 out of range", 0), 0u) << r.errors[3];
  EXPECT_EQ(r.errors[4], "bad.conf:6: key 'AuthservID' needs a value");
  EXPECT_EQ(r.errors[5], "bad.conf:7: duplicate key 'Syslog' (first set at line 4)");
  EXPECT_EQ(r.errors[6].rfind("bad.conf:8: InternalHosts: bad address or CIDR", 0), 0u) << r.errors[6];
  EXPECT_EQ(r.errors[7].rfind("bad.conf:9: duplicate key 'Socket'", 0), 0u) << r.errors[7];
}

TEST(Config, EngineChoices) {
  auto d = parseText("", "t.conf");
  ASSERT_TRUE(d.config);
  EXPECT_FALSE(d.config->milterLibmilter);  // native by default
  EXPECT_FALSE(d.config->dkimLibopendkim);
  auto r = parseText("MilterServer LibMilter\nDKIMVerifier libopendkim\n", "t.conf");
  ASSERT_TRUE(r.config);
  EXPECT_TRUE(r.config->milterLibmilter);
  EXPECT_TRUE(r.config->dkimLibopendkim);
  auto bad = parseText("DKIMVerifier bogus\n", "t.conf");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].rfind("t.conf:1: DKIMVerifier", 0), 0u) << bad.errors[0];
}

TEST(Config, MinimumKeyBitsNeverBelow1024) {  // RFC 8301 §3.2
  auto r = parseText("MinimumKeyBits 512\n", "t.conf");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rfind("t.conf:1: MinimumKeyBits: value 512 out of range 1024..", 0), 0u) << r.errors[0];
  auto ok = parseText("MinimumKeyBits 1024\n", "t.conf");
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->minimumKeyBits, 1024u);
}

TEST(Config, WhereNamesTheLineOfAKey) {
  auto r = parseText("Syslog no\n\n# x\nPublicSuffixList /x\n", "t.conf");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->where("PublicSuffixList"), "t.conf:4: ");
  EXPECT_EQ(r.config->where("Syslog"), "t.conf:1: ");
  EXPECT_EQ(r.config->where("KeyTable"), "t.conf:0: ");  // not set: no line to point at
}

TEST(Config, RestartOnlyChangesAreNamed) {
  using am::config::Reload;
  EXPECT_EQ(am::config::reloadOf("Socket"), Reload::Restart);
  EXPECT_EQ(am::config::reloadOf("nameservers"), Reload::Restart);
  EXPECT_EQ(am::config::reloadOf("PublicSuffixList"), Reload::Yes);
  EXPECT_EQ(am::config::reloadOf("DMARCMode"), Reload::Yes);
  EXPECT_EQ(am::config::reloadOf("MinimumKeyBits"), Reload::Yes);
  auto a = parseText("Socket unix:/a\nDNSTimeout 5\nDMARCMode rfc9989\n", "a.conf");
  auto b = parseText("Socket unix:/b\nDMARCMode rfc7489\nSyslog no\n", "b.conf");
  ASSERT_TRUE(a.config && b.config);
  EXPECT_EQ(am::config::restartOnlyChanges(*a.config, *b.config),
            (std::vector<std::string>{"Socket", "Syslog", "DNSTimeout"}));
  EXPECT_TRUE(am::config::restartOnlyChanges(*a.config, *a.config).empty());
}

TEST(Config, OneSetOfIgnoreSwitchesAndRemovedKeysSayWhatToWrite) {
  auto d = parseText("", "t.conf");
  ASSERT_TRUE(d.config);
  EXPECT_TRUE(d.config->ignoreAuthenticated);
  EXPECT_TRUE(d.config->ignoreInternal);
  auto r = parseText("IgnoreAuthenticatedClients no\nIgnoreInternalHosts no\n", "t.conf");
  ASSERT_TRUE(r.config);
  EXPECT_FALSE(r.config->ignoreAuthenticated);
  EXPECT_FALSE(r.config->ignoreInternal);
  auto old = parseText("SPFIgnoreAuthenticatedClients yes\nSPFIgnoreInternalHosts no\n", "old.conf");
  ASSERT_EQ(old.errors.size(), 2u);
  EXPECT_EQ(old.errors[0], "old.conf:1: SPFIgnoreAuthenticatedClients: this key is gone: write IgnoreAuthenticatedClients "
                           "(it covers SPF and DMARC enforcement)");
  EXPECT_EQ(old.errors[1].rfind("old.conf:2: SPFIgnoreInternalHosts: this key is gone: write IgnoreInternalHosts", 0), 0u);
}

TEST(Config, ServerKeys) {
  auto d = parseText("", "t.conf");
  ASSERT_TRUE(d.config);
  EXPECT_EQ(d.config->maxConnections, 1024u);
  EXPECT_EQ(d.config->milterTimeout, 600u);
  EXPECT_EQ(d.config->maxWorkers, 256u);
  auto r = parseText("MaxConnections 4096\nMilterTimeout 30\nMaxWorkers 8\n", "t.conf");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->maxConnections, 4096u);
  EXPECT_EQ(r.config->milterTimeout, 30u);
  EXPECT_EQ(r.config->maxWorkers, 8u);
  EXPECT_EQ(am::config::reloadOf("MaxConnections"), am::config::Reload::Restart);
  EXPECT_EQ(parseText("MilterTimeout 1\n", "t.conf").errors.size(), 1u);
}

TEST(Config, DnsCacheKeys) {
  auto r = parseText("DNSCacheBytes 1048576\nDNSFailureTTL 0\n", "t.conf");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->dnsCacheBytes, 1048576u);
  EXPECT_EQ(r.config->dnsFailureTtl, 0u);
  EXPECT_EQ(parseText("DNSCacheBytes 100\n", "t.conf").errors.size(), 1u);
}

TEST(Config, FailureReportKeys) {
  auto d = parseText("", "t.conf");
  ASSERT_TRUE(d.config);
  EXPECT_FALSE(d.config->failureReports);  // off by default (privacy)
  EXPECT_EQ(d.config->failureReportsSentBy, "");
  EXPECT_TRUE(d.config->failureReportsBcc.empty());
  EXPECT_FALSE(d.config->failureReportsOnNone);
  EXPECT_EQ(d.config->failureReportsRateLimit, 10u);
  EXPECT_FALSE(d.config->failureReportsBody);
  auto r = parseText("FailureReports yes\nFailureReportsSentBy ruf@mx.example\n"
                     "FailureReportsBcc a@ops.example, b@ops.example\nFailureReportsOnNone true\n"
                     "FailureReportsRateLimit 0\nFailureReportsContent Body\n", "t.conf");
  ASSERT_TRUE(r.config) << r.errors[0];
  EXPECT_TRUE(r.config->failureReports);
  EXPECT_EQ(r.config->failureReportsSentBy, "ruf@mx.example");
  EXPECT_EQ(r.config->failureReportsBcc, (std::vector<std::string>{"a@ops.example", "b@ops.example"}));
  EXPECT_TRUE(r.config->failureReportsOnNone);
  EXPECT_EQ(r.config->failureReportsRateLimit, 0u);
  EXPECT_TRUE(r.config->failureReportsBody);
  EXPECT_EQ(am::config::reloadOf("FailureReports"), am::config::Reload::Restart);  // the sender thread
  EXPECT_EQ(am::config::reloadOf("FailureReportsRateLimit"), am::config::Reload::Yes);
  EXPECT_EQ(am::config::reloadOf("FailureReportsSentBy"), am::config::Reload::Yes);
  auto bad = parseText("FailureReports sometimes\n"
                       "FailureReportsSentBy <ruf@mx.example>\n"
                       "FailureReportsBcc ok@ops.example nobody\n"
                       "FailureReportsOnNone 2\n"
                       "FailureReportsRateLimit many\n"
                       "FailureReportsContent everything\n",
                       "bad.conf");
  EXPECT_FALSE(bad.config);
  ASSERT_EQ(bad.errors.size(), 6u);
  EXPECT_EQ(bad.errors[0].rfind("bad.conf:1: FailureReports: expected yes or no", 0), 0u) << bad.errors[0];
  EXPECT_EQ(bad.errors[1].rfind("bad.conf:2: FailureReportsSentBy: expected an address", 0), 0u) << bad.errors[1];
  EXPECT_EQ(bad.errors[2], "bad.conf:3: FailureReportsBcc: expected addresses like dmarc-copy@example.org, got 'nobody'");
  EXPECT_EQ(bad.errors[3].rfind("bad.conf:4: FailureReportsOnNone: expected yes or no", 0), 0u) << bad.errors[3];
  EXPECT_EQ(bad.errors[4].rfind("bad.conf:5: FailureReportsRateLimit: expected a number", 0), 0u) << bad.errors[4];
  EXPECT_EQ(bad.errors[5], "bad.conf:6: FailureReportsContent: unknown value 'everything' (expected body headers)");
}

TEST(Config, SocketForms) {
  std::string why;
  EXPECT_TRUE(am::config::validSocketSpec("unix:/tmp/x.sock", &why));
  EXPECT_TRUE(am::config::validSocketSpec("local:/tmp/x.sock", &why));
  EXPECT_TRUE(am::config::validSocketSpec("inet:8894@127.0.0.1", &why));
  EXPECT_TRUE(am::config::validSocketSpec("inet:8894@localhost", &why));
  EXPECT_TRUE(am::config::validSocketSpec("inet6:8894@[::1]", &why));
  EXPECT_FALSE(am::config::validSocketSpec("inet:8894", &why));
  EXPECT_FALSE(am::config::validSocketSpec("inet:0@127.0.0.1", &why));
  EXPECT_FALSE(am::config::validSocketSpec("inet6:8894@127.0.0.1", &why));
  EXPECT_FALSE(am::config::validSocketSpec("unix:relative.sock", &why));
  EXPECT_FALSE(am::config::validSocketSpec("tcp:1@a", &why));
  EXPECT_FALSE(am::config::validSocketSpec("/no/scheme", &why));
}

TEST(Config, MissingFileIsAnError) {
  auto r = am::config::loadFile("/nonexistent/authmilter.conf");
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "/nonexistent/authmilter.conf:0: cannot read configuration file");
}

TEST(Config, HostileInputDoesNotCrash) {
  std::string junk(100000, 'x');
  junk += "\n\0\xff\n Socket\tunix:/a\n";
  auto r = parseText(junk, "j.conf");
  EXPECT_FALSE(r.errors.empty());
}

TEST(Config, MetricsListenIsOffByDefaultAndLoopbackOnly) {
  auto off = parseText("", "t.conf");
  ASSERT_TRUE(off.config);
  EXPECT_EQ(off.config->metricsListen, "");
  auto v4 = parseText("MetricsListen 127.0.0.1:9471\n", "t.conf");
  ASSERT_TRUE(v4.config) << v4.errors[0];
  EXPECT_EQ(v4.config->metricsListen, "127.0.0.1:9471");
  auto v6 = parseText("MetricsListen [::1]:0\n", "t.conf");
  ASSERT_TRUE(v6.config) << v6.errors[0];
  auto l = am::config::parseListenAddress("[::1]:9471", nullptr);
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->addr.v6);
  EXPECT_EQ(l->port, 9471);
  EXPECT_TRUE(am::config::parseListenAddress("127.0.0.2:1", nullptr));  // all of 127/8 is loopback

  // Any other address is refused at the key's line unless explicitly allowed.
  for (const char* addr : {"0.0.0.0:9471", "192.0.2.1:9471", "[::]:9471", "[2001:db8::1]:9471"}) {
    auto r = parseText(std::string("Syslog no\nMetricsListen ") + addr + "\n", "m.conf");
    EXPECT_FALSE(r.config) << addr;
    ASSERT_EQ(r.errors.size(), 1u) << addr;
    EXPECT_EQ(r.errors[0].rfind("m.conf:2: MetricsListen: ", 0), 0u) << r.errors[0];
    EXPECT_NE(r.errors[0].find("not a loopback address"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("MetricsAllowNonLoopback yes"), std::string::npos) << r.errors[0];
    auto allowed = parseText(std::string("MetricsListen ") + addr + "\nMetricsAllowNonLoopback yes\n", "m.conf");
    EXPECT_TRUE(allowed.config) << addr << ": " << (allowed.errors.empty() ? "" : allowed.errors[0]);
  }
  // Malformed values.
  for (const char* bad : {"127.0.0.1", "localhost:9471", "127.0.0.1:65536", "127.0.0.1:x", "::1:9471", "[::1]9471", ":9471"}) {
    auto r = parseText(std::string("MetricsListen ") + bad + "\n", "m.conf");
    EXPECT_FALSE(r.config) << bad;
    ASSERT_EQ(r.errors.size(), 1u) << bad;
    EXPECT_EQ(r.errors[0].rfind("m.conf:1: MetricsListen: ", 0), 0u) << r.errors[0];
  }
  EXPECT_EQ(am::config::reloadOf("MetricsListen"), am::config::Reload::Restart);
  EXPECT_EQ(am::config::reloadOf("MetricsAllowNonLoopback"), am::config::Reload::Restart);
}
