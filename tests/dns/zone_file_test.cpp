// tests/dns/zone_file_test.cpp — the zone-file reader and ZoneResolver (filter/dns/zone_file.h,
// zone_resolver.h): directives, relative names, parentheses, comments, multi-string TXT, each
// record type, NXDOMAIN vs NODATA (empty non-terminals), CNAME chains and loops, wildcards, and
// hostile input (errors as FILE:LINE, never a crash).
#include <gtest/gtest.h>

#include <string>

#include "filter/dns/zone_resolver.h"

namespace am::dns {
namespace {

std::unique_ptr<ZoneResolver> zone(const std::string& text, std::vector<std::string>* errors = nullptr) {
  ZoneData d;
  std::vector<std::string> errs;
  bool ok = parseZoneText(text, "test.zone", d, errs);
  if (errors) *errors = errs;
  if (!ok) return nullptr;
  return std::make_unique<ZoneResolver>(std::move(d));
}

std::string firstError(const std::string& text) {
  std::vector<std::string> errs;
  EXPECT_EQ(zone(text, &errs), nullptr) << text;
  return errs.empty() ? "" : errs[0];
}

const char* kZone = R"($ORIGIN example.org.
$TTL 1h
@	IN	SOA	ns1 hostmaster (
		2026120401 ; serial
		3600 600 86400 300 )
	IN	NS	ns1
	IN	TXT	"v=spf1 ip4:192.0.2.0/24 " "-all"   ; two strings, joined
	3600 IN MX 10 mx1
	IN 300 MX 20 mx2.example.net.
ns1	A	192.0.2.53
www	IN	A	192.0.2.1
www	IN	A	192.0.2.2
www	IN	AAAA	2001:db8::1
alias	CNAME	www
chain	CNAME	alias.example.org.
loop1	CNAME	loop2
loop2	CNAME	loop1
_dmarc	TXT	( "v=DMARC1; p=reject; "
		  "rua=mailto:d@example.org" )
sel._domainkey.mail TXT "v=DKIM1; k=ed25519; p=abc"
*.wild	TXT	"wildcard"
*.wild	A	192.0.2.99
quoted	TXT	"a \"quote\" and \\ and \059 semicolon; not a comment"
bare	TXT	v=spf1 -all
nullmx	MX	0 .
$ORIGIN 2.0.192.in-addr.arpa.
1	PTR	www.example.org.
$ORIGIN other.test.
@	TXT	"other"
)";

TEST(ZoneFile, RecordsOfEachType) {
  auto r = zone(kZone);
  ASSERT_NE(r, nullptr);
  auto t = r->txt("example.org");
  ASSERT_EQ(t.status, DnsStatus::Ok);
  EXPECT_EQ(t.records, std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"});
  auto d = r->txt("_DMARC.Example.Org.");  // any case, trailing dot
  ASSERT_EQ(d.status, DnsStatus::Ok);
  EXPECT_EQ(d.records[0], "v=DMARC1; p=reject; rua=mailto:d@example.org");
  auto a = r->addrs("www.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  ASSERT_EQ(a.addrs.size(), 2u);
  EXPECT_EQ(a.addrs[1].str(), "192.0.2.2");
  auto aaaa = r->addrs("www.example.org", Family::V6);
  ASSERT_EQ(aaaa.status, DnsStatus::Ok);
  EXPECT_EQ(aaaa.addrs[0].str(), "2001:db8::1");
  auto mx = r->mx("example.org");
  ASSERT_EQ(mx.status, DnsStatus::Ok);
  ASSERT_EQ(mx.hosts.size(), 2u);
  EXPECT_EQ(mx.hosts[0].host, "mx1.example.org");
  EXPECT_EQ(mx.hosts[0].preference, 10);
  EXPECT_EQ(mx.hosts[1].host, "mx2.example.net");
  auto nullMx = r->mx("nullmx.example.org");
  ASSERT_EQ(nullMx.status, DnsStatus::Ok);
  EXPECT_EQ(nullMx.hosts[0].host, "");
  auto p = r->ptr(*IpAddress::parse("192.0.2.1"));
  ASSERT_EQ(p.status, DnsStatus::Ok);
  EXPECT_EQ(p.names, std::vector<std::string>{"www.example.org"});
  EXPECT_EQ(r->txt("sel._domainkey.mail.example.org").records[0], "v=DKIM1; k=ed25519; p=abc");
  EXPECT_EQ(r->txt("quoted.example.org").records[0], "a \"quote\" and \\ and ; semicolon; not a comment");
  EXPECT_EQ(r->txt("bare.example.org").records, (std::vector<std::string>{"v=spf1-all"}));
  EXPECT_EQ(r->txt("other.test").records[0], "other");
}

TEST(ZoneFile, NxDomainAndNoData) {
  auto r = zone(kZone);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->txt("nope.example.org").status, DnsStatus::NxDomain);
  EXPECT_EQ(r->txt("www.example.org").status, DnsStatus::NoData);   // has A, no TXT
  EXPECT_EQ(r->addrs("ns1.example.org", Family::V6).status, DnsStatus::NoData);
  EXPECT_EQ(r->mx("www.example.org").status, DnsStatus::NoData);
  // Empty non-terminals exist: NODATA, and their descendants that are missing are NXDOMAIN.
  EXPECT_EQ(r->txt("mail.example.org").status, DnsStatus::NoData);
  EXPECT_EQ(r->txt("_domainkey.mail.example.org").status, DnsStatus::NoData);
  EXPECT_EQ(r->txt("x._domainkey.mail.example.org").status, DnsStatus::NxDomain);
  EXPECT_EQ(r->ptr(*IpAddress::parse("192.0.2.7")).status, DnsStatus::NxDomain);
  EXPECT_EQ(r->txt("example.com").status, DnsStatus::NxDomain);
  EXPECT_EQ(r->txt("bad..name").status, DnsStatus::PermFail);  // not queryable
}

TEST(ZoneFile, CnamesAndWildcards) {
  auto r = zone(kZone);
  ASSERT_NE(r, nullptr);
  auto a = r->addrs("chain.example.org", Family::V4);
  ASSERT_EQ(a.status, DnsStatus::Ok);
  EXPECT_EQ(a.addrs.size(), 2u);
  EXPECT_EQ(r->txt("alias.example.org").status, DnsStatus::NoData);
  EXPECT_EQ(r->txt("loop1.example.org").status, DnsStatus::TempFail);
  auto w = r->txt("anything.wild.example.org");
  ASSERT_EQ(w.status, DnsStatus::Ok);
  EXPECT_EQ(w.records[0], "wildcard");
  EXPECT_EQ(r->addrs("x.wild.example.org", Family::V4).addrs[0].str(), "192.0.2.99");
  EXPECT_EQ(r->mx("x.wild.example.org").status, DnsStatus::NoData);
  // The wildcard only covers names whose closest existing ancestor is wild.example.org.
  EXPECT_EQ(r->txt("a.b.example.org").status, DnsStatus::NxDomain);
}

TEST(ZoneFile, OmittedOwnerTtlClassOrderAndCrlf) {
  auto r = zone("$ORIGIN t.\r\nh 60 IN A 192.0.2.1\r\n  IN 60 TXT \"x\"\r\n\t1d2h TXT \"y\"\r\n");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->addrs("h.t", Family::V4).status, DnsStatus::Ok);
  EXPECT_EQ(r->txt("h.t").records, (std::vector<std::string>{"x", "y"}));
}

TEST(ZoneFile, EscapesInNames) {
  auto r = zone("$ORIGIN example.org.\nsp\\097m TXT \"x\"\n");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->txt("spam.example.org").status, DnsStatus::Ok);
}

TEST(ZoneFile, ErrorsNameFileAndLine) {
  EXPECT_EQ(firstError("www A 192.0.2.1\n"), "test.zone:1: relative name 'www' without $ORIGIN");
  EXPECT_EQ(firstError("$ORIGIN e.\n\n\nwww A 300.0.0.1\n"), "test.zone:4: bad A address '300.0.0.1'");
  EXPECT_EQ(firstError("$ORIGIN e.\nwww AAAA 192.0.2.1\n"), "test.zone:2: bad AAAA address '192.0.2.1'");
  EXPECT_EQ(firstError("$ORIGIN e.\nx TXT ( \"a\"\n\"b\"\n"), "test.zone:2: '(' is never closed");
  EXPECT_EQ(firstError("$ORIGIN e.\nx TXT \"a\" )\n"), "test.zone:2: ')' without '('");
  EXPECT_EQ(firstError("$ORIGIN e.\nx TXT \"abc\n"), "test.zone:2: unterminated quoted string");
  EXPECT_EQ(firstError("$ORIGIN e.\nx CH TXT \"a\"\n"), "test.zone:2: only class IN is supported, not CH");
  EXPECT_EQ(firstError("$ORIGIN e.\nx MX 70000 mx\n"), "test.zone:2: bad MX preference '70000'");
  EXPECT_EQ(firstError("$ORIGIN e.\nx MX 10\n"), "test.zone:2: MX takes 2 value(s), got 1");
  EXPECT_EQ(firstError("$ORIGIN e.\nx\n"), "test.zone:2: missing record type");
  EXPECT_EQ(firstError("  TXT \"a\"\n"), "test.zone:1: record without an owner name (no previous owner)");
  EXPECT_EQ(firstError("$INCLUDE other\n"), "test.zone:1: $INCLUDE is not supported: give each file with its own --dns-zone");
  EXPECT_EQ(firstError("$ORIGIN e.\nx CNAME y\nx TXT \"a\"\n"), "test.zone:2: CNAME and other data for x.e");
  EXPECT_EQ(firstError("$ORIGIN e.\nx TXT \"" + std::string(256, 'a') + "\"\n"),
            "test.zone:2: TXT string over 255 octets: split it into several quoted strings");
  EXPECT_EQ(firstError("$ORIGIN e.\n" + std::string(64, 'a') + " TXT \"a\"\n"),
            "test.zone:2: name too long or label over 63 octets: '" + std::string(64, 'a') + "'");
  EXPECT_EQ(firstError("$ORIGIN e.\na..b TXT \"a\"\n"), "test.zone:2: empty label in 'a..b'");
}

// Hostile input: every error is a value with a line number, nothing crashes or hangs.
TEST(ZoneFile, HostileInput) {
  const std::vector<std::string> bad = {
      std::string("$ORIGIN e.\nx TXT \"a\0b\"\n", 20),
      "$ORIGIN e.\nx TXT \"\\\n",
      "$ORIGIN e.\nx TXT \"\\25\"\n",
      "$ORIGIN e.\nx TXT \"\\999\"\n",
      "$ORIGIN e.\nx\\\x01y TXT \"a\"\n",
      "$ORIGIN e.\nx\\.y TXT \"a\"\n",
      "$ORIGIN e.\n@ 99999999999 TXT \"a\"\n",
      "$ORIGIN e.\n\x1b[31m TXT \"a\"\n",
      "$ORIGIN e.\n((((((((\n",
      "$ORIGIN\n",
      "$TTL x\n",
      "$ORIGIN e.\nx \"quoted-type\" a\n",
      "$ORIGIN e.\n\"owner\" TXT a\n",
      "$ORIGIN e.\nx 1h1 TXT\n",
      "$ORIGIN e.\nx SOA a b 1 2 3\n",
      "$ORIGIN e.\nx PTR\n",
      "$ORIGIN e.\nx A [192.0.2.1]\n",
      "$ORIGIN " + std::string(300, 'a') + ".\n",
  };
  for (auto& text : bad) {
    std::vector<std::string> errs;
    EXPECT_EQ(zone(text, &errs), nullptr) << text;
    ASSERT_FALSE(errs.empty()) << text;
    EXPECT_EQ(errs[0].rfind("test.zone:", 0), 0u) << errs[0];
  }
  // Deep CNAME chains end (TempFail), a self-loop too.
  std::string chain = "$ORIGIN e.\n";
  for (int i = 0; i < 50; ++i) chain += "c" + std::to_string(i) + " CNAME c" + std::to_string(i + 1) + "\n";
  chain += "self CNAME self\n";
  auto r = zone(chain);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->txt("c0.e").status, DnsStatus::TempFail);
  EXPECT_EQ(r->txt("c45.e").status, DnsStatus::NxDomain);  // c50 does not exist
  EXPECT_EQ(r->txt("self.e").status, DnsStatus::TempFail);
}

TEST(ZoneFile, UnknownTypesMakeTheNameExist) {
  auto r = zone("$ORIGIN e.\n_sip._tcp SRV 10 5 5060 sip\nhost HINFO \"cpu\" \"os\"\n");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->txt("_sip._tcp.e").status, DnsStatus::NoData);
  EXPECT_EQ(r->txt("host.e").status, DnsStatus::NoData);
  EXPECT_EQ(r->txt("_tcp.e").status, DnsStatus::NoData);  // empty non-terminal
}

TEST(ZoneFile, LoadReportsUnreadableFiles) {
  std::vector<std::string> errs;
  EXPECT_EQ(ZoneResolver::load({"/nonexistent/zone"}, errs), nullptr);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("/nonexistent/zone: cannot read:", 0), 0u);
}

}  // namespace
}  // namespace am::dns
