// tests/dns/wire_test.cpp — the DNS wire codec (filter/dns/wire.h) against well-formed and
// hostile messages, and answer interpretation (filter/dns/answer.h).
#include <gtest/gtest.h>

#include "filter/dns/answer.h"
#include "filter/dns/wire.h"
#include "tests/dns/dns_builder.h"

namespace am::dns {
namespace {

using namespace test;
namespace t = wire::type;

bool valid(std::string_view s) {
  wire::Name n;
  return wire::normalizeName(s, n);
}

TEST(WireName, NormalisesCaseAndTrailingDot) {
  wire::Name n;
  ASSERT_TRUE(wire::normalizeName("_DMARC.Example.ORG.", n));
  EXPECT_EQ(n.view(), "_dmarc.example.org");
}

TEST(WireName, RejectsInvalidNames) {
  EXPECT_FALSE(valid(""));
  EXPECT_FALSE(valid("."));
  EXPECT_FALSE(valid("a..b"));
  EXPECT_FALSE(valid(".a"));
  EXPECT_FALSE(valid("a\tb.example"));
  EXPECT_FALSE(valid("a\x7f.example"));
  EXPECT_FALSE(valid(std::string("a\0b.example", 11)));
  EXPECT_FALSE(valid(std::string(64, 'a') + ".example"));
  EXPECT_TRUE(valid(std::string(63, 'a') + ".example"));
}

// SPF macros put spaces and other printable octets into names (RFC 7208 §7.1, "%_", a quoted
// local part); on the wire they are ordinary label octets, so they are asked, not refused.
TEST(WireName, PrintableOctetsAreLabelOctets) {
  EXPECT_TRUE(valid("a b.example"));
  EXPECT_TRUE(valid("a\\.example"));
  EXPECT_TRUE(valid("\"a b\".x.example"));
  EXPECT_TRUE(valid("macro%percent  space%20url-space.example.com"));
}

TEST(WireName, LengthLimitIs253) {
  std::string name;
  while (name.size() < 253) name += (name.empty() ? "" : ".") + std::string(9, 'x');
  name.resize(253);
  if (name.back() == '.') name.back() = 'y';
  EXPECT_TRUE(valid(name));
  EXPECT_FALSE(valid(name + "z"));
}

TEST(WireEncode, QueryBytesWithoutEdns) {
  auto q = wire::encodeQuery({0xabcd, "Example.org", t::MX, true, false, 0});
  ASSERT_TRUE(q);
  Bytes want = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  Bytes name = encName("example.org");
  want.insert(want.end(), name.begin(), name.end());
  want.insert(want.end(), {0, 15, 0, 1});
  EXPECT_EQ(*q, want);
}

TEST(WireEncode, QueryWithEdnsCarriesOpt) {
  auto q = wire::encodeQuery({1, "example.org", t::TXT, true, true, 1232});
  ASSERT_TRUE(q);
  EXPECT_EQ((*q)[11], 1);  // ARCOUNT
  Bytes tail(q->end() - 11, q->end());
  EXPECT_EQ(tail, (Bytes{0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0}));
}

TEST(WireEncode, InvalidNameGivesNothing) {
  EXPECT_FALSE(wire::encodeQuery({1, "a..b", t::A, true, false, 0}));
}

TEST(WireDecode, SimpleAnswer) {
  auto msg = buildMessage(7, kQr | kRd | kRa, "www.example.org", t::A,
                          {{"WWW.example.org", t::A, 60, rdAddr("192.0.2.1")}});
  auto m = wire::decodeMessage(msg);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header.id, 7);
  EXPECT_EQ(m->qname, "www.example.org");
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].owner, "www.example.org");
  EXPECT_EQ(m->answers[0].ttl, 60u);
  EXPECT_EQ(m->answers[0].data, std::string("\xc0\x00\x02\x01", 4));
}

TEST(WireDecode, TxtStringsAreJoinedPerRecord) {
  auto msg = buildMessage(1, kQr, "e.org", t::TXT,
                          {{"e.org", t::TXT, 1, rdTxt({"v=spf1 ", "-all"})},
                           {"e.org", t::TXT, 1, rdTxt({"second"})}});
  auto m = wire::decodeMessage(msg);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].data, "v=spf1 -all");
  EXPECT_EQ(m->answers[1].data, "second");
}

TEST(WireDecode, SixtyFourKilobyteTxtInManyStrings) {
  std::vector<std::string> parts;
  std::string whole;
  for (int i = 0; i < 255; ++i) {  // 255 strings of 255 bytes = 65025 bytes of RDATA
    parts.emplace_back(255, static_cast<char>('a' + i % 26));
    whole += parts.back();
  }
  auto msg = buildMessage(1, kQr, "big.e.org", t::TXT, {{"big.e.org", t::TXT, 1, rdTxt(parts)}});
  ASSERT_LE(msg.size(), 65535u);
  auto m = wire::decodeMessage(msg);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].data, whole);
}

TEST(WireDecode, CompressionPointerBackwardsIsFollowed) {
  Bytes msg = buildMessage(1, kQr, "www.example.org", t::CNAME);
  msg[7] = 1;  // ANCOUNT = 1
  msg.insert(msg.end(), {0xc0, 12});  // owner = the question name
  put16(msg, t::CNAME);
  put16(msg, 1);
  put32(msg, 30);
  put16(msg, 7);
  msg.insert(msg.end(), {4, 'm', 'a', 'i', 'l', 0xc0, 16});  // "mail" + pointer to "example.org"
  auto m = wire::decodeMessage(msg);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].owner, "www.example.org");
  EXPECT_EQ(m->answers[0].data, "mail.example.org");
}

TEST(WireDecode, PointerLoopIsRejected) {
  Bytes msg = {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};  // points at itself
  EXPECT_FALSE(wire::decodePreamble(msg));
  EXPECT_FALSE(wire::decodeMessage(msg));
  std::string out;
  size_t next = 0;
  EXPECT_FALSE(wire::readName(msg, 12, out, next));
}

TEST(WireDecode, TwoPointersPointingAtEachOtherAreRejected) {
  Bytes msg = {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1};
  std::string out;
  size_t next = 0;
  EXPECT_FALSE(wire::readName(msg, 12, out, next));  // forward pointer refused
  EXPECT_FALSE(wire::readName(msg, 14, out, next));  // back to a forward pointer
}

TEST(WireDecode, PointerOutOfRangeIsRejected) {
  Bytes msg = {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 1, 0, 1};
  EXPECT_FALSE(wire::decodeMessage(msg));
  Bytes cut = {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0};  // pointer's 2nd byte missing
  EXPECT_FALSE(wire::decodeMessage(cut));
}

TEST(WireDecode, ReservedLabelTypeIsRejected) {
  Bytes msg = {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1};
  EXPECT_FALSE(wire::decodeMessage(msg));
}

TEST(WireDecode, NameLongerThan255OctetsIsRejected) {
  Bytes msg = {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 5; ++i) {
    msg.push_back(60);
    msg.insert(msg.end(), 60, 'x');
  }
  msg.insert(msg.end(), {0, 0, 1, 0, 1});
  EXPECT_FALSE(wire::decodeMessage(msg));
}

TEST(WireDecode, TruncatedRecordIsRejected) {
  auto msg = buildMessage(1, kQr, "e.org", t::A, {{"e.org", t::A, 1, rdAddr("192.0.2.1")}});
  for (size_t cut = 1; cut < 16; ++cut) {
    Bytes shorter(msg.begin(), msg.end() - static_cast<long>(cut));
    EXPECT_FALSE(wire::decodeMessage(shorter)) << "cut " << cut;
  }
  EXPECT_FALSE(wire::decodeMessage(Bytes{0, 1, 0x80}));
}

TEST(WireDecode, OversizedCountsAreRejected) {
  auto msg = buildMessage(1, kQr, "e.org", t::A, {{"e.org", t::A, 1, rdAddr("192.0.2.1")}});
  msg[6] = 0xff;
  msg[7] = 0xff;  // ANCOUNT 65535 with one record present
  EXPECT_FALSE(wire::decodeMessage(msg));
  msg[6] = 0;
  msg[7] = 1;
  msg[11] = 200;  // ARCOUNT 200, additional section empty
  EXPECT_FALSE(wire::decodeMessage(msg));
}

TEST(WireDecode, RdataLengthMustMatchType) {
  Bytes five = rdAddr("192.0.2.1");
  five.push_back(9);
  EXPECT_FALSE(wire::decodeMessage(buildMessage(1, kQr, "e.org", t::A, {{"e.org", t::A, 1, five}})));
  Bytes txt = {10, 'a', 'b'};  // string length runs past RDATA
  EXPECT_FALSE(wire::decodeMessage(buildMessage(1, kQr, "e.org", t::TXT, {{"e.org", t::TXT, 1, txt}})));
  Bytes mx = rdMx(10, "mx.e.org");
  mx.pop_back();  // name runs past RDATA into nothing
  EXPECT_FALSE(wire::decodeMessage(buildMessage(1, kQr, "e.org", t::MX, {{"e.org", t::MX, 1, mx}})));
}

TEST(WireDecode, OddLabelBytesAreEscaped) {
  Bytes rd = {3, 'a', '.', 0x01, 0};
  auto m = wire::decodeMessage(buildMessage(1, kQr, "e.org", t::PTR, {{"e.org", t::PTR, 1, rd}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answers[0].data, "a\\.\\001");
}

TEST(WireMatch, IdQrAndQuestionMustMatch) {
  auto ok = wire::decodePreamble(buildMessage(99, kQr, "E.org", t::TXT));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(wire::matchesQuery(*ok, 99, "e.org", t::TXT));
  EXPECT_FALSE(wire::matchesQuery(*ok, 98, "e.org", t::TXT));
  EXPECT_FALSE(wire::matchesQuery(*ok, 99, "f.org", t::TXT));
  EXPECT_FALSE(wire::matchesQuery(*ok, 99, "e.org", t::A));
  auto query = wire::decodePreamble(buildMessage(99, 0, "e.org", t::TXT));
  ASSERT_TRUE(query);
  EXPECT_FALSE(wire::matchesQuery(*query, 99, "e.org", t::TXT));  // QR clear: not a reply
}

// Names with spaces or backslashes (SPF macros make them) come back from readName() escaped; the
// reply to our query must still be recognised as the reply (else: a timeout, and a temperror).
TEST(WireMatch, PrintableOddOctetsInTheQuestionMatch) {
  for (const char* name : {"a b.e.org", "a\\b.e.org", "\"a b\".x.e.org"}) {
    auto reply = wire::decodePreamble(buildMessage(7, kQr, name, t::A));
    ASSERT_TRUE(reply) << name;
    EXPECT_TRUE(wire::matchesQuery(*reply, 7, name, t::A)) << name << " came back as " << reply->qname;
    EXPECT_FALSE(wire::matchesQuery(*reply, 7, "ab.e.org", t::A)) << name;
  }
}

// Deterministic mutation sweep (a poor man's fuzzer, seeded so failures reproduce): whatever
// the bytes, decoding either fails or yields exactly the records the header announces.
TEST(WireDecode, MutatedMessagesNeverBreakInvariants) {
  Bytes base = buildMessage(0x1234, kQr | kAa, "www.example.org", t::MX,
                            {{"www.example.org", t::MX, 60, rdMx(10, "mx.example.org")},
                             {"www.example.org", t::TXT, 60, rdTxt({"abc", "def"})}},
                            {{"example.org", t::SOA, 60, rdSoa(30)}});
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 8); };
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes m = base;
    for (unsigned k = 0, n = 1 + next() % 4; k < n; ++k) m[next() % m.size()] = static_cast<uint8_t>(next());
    if (next() % 8 == 0) m.resize(next() % m.size());
    auto d = wire::decodeMessage(m);
    if (!d) continue;
    ++decoded;
    ASSERT_EQ(d->answers.size(), d->header.ancount) << "iteration " << i;
    ASSERT_EQ(d->authority.size(), d->header.nscount) << "iteration " << i;
    for (const auto& rr : d->answers) ASSERT_LE(rr.owner.size(), 4u * 255) << "iteration " << i;
  }
  EXPECT_GT(decoded, 0);
}

// ---- interpretation ----

Outcome interp(const Bytes& msg, std::string_view q, uint16_t type, TtlCaps caps = {}) {
  auto m = wire::decodeMessage(msg);
  EXPECT_TRUE(m);
  return m ? interpret(*m, q, type, caps) : Outcome{};
}

TEST(Interpret, RcodesMapToStatuses) {
  EXPECT_EQ(interp(buildMessage(1, kQr | 2, "e.org", t::A), "e.org", t::A).status, DnsStatus::TempFail);
  EXPECT_EQ(interp(buildMessage(1, kQr | 5, "e.org", t::A), "e.org", t::A).status, DnsStatus::PermFail);
  EXPECT_EQ(interp(buildMessage(1, kQr | 1, "e.org", t::A), "e.org", t::A).status, DnsStatus::PermFail);
  EXPECT_EQ(interp(buildMessage(1, kQr | 4, "e.org", t::A), "e.org", t::A).status, DnsStatus::PermFail);
  EXPECT_EQ(interp(buildMessage(1, kQr | 3, "e.org", t::A), "e.org", t::A).status, DnsStatus::NxDomain);
  EXPECT_EQ(interp(buildMessage(1, kQr, "e.org", t::A), "e.org", t::A).status, DnsStatus::NoData);
}

TEST(Interpret, PositiveTtlIsMinimumCapped) {
  auto msg = buildMessage(1, kQr, "e.org", t::A,
                          {{"e.org", t::A, 500, rdAddr("192.0.2.1")},
                           {"e.org", t::A, 200, rdAddr("192.0.2.2")}});
  auto o = interp(msg, "e.org", t::A);
  EXPECT_EQ(o.status, DnsStatus::Ok);
  EXPECT_EQ(o.records.size(), 2u);
  EXPECT_EQ(o.ttl, 200u);
  EXPECT_EQ(interp(msg, "e.org", t::A, TtlCaps{100, 300}).ttl, 100u);
}

TEST(Interpret, NegativeTtlFromSoa) {
  auto nx = buildMessage(1, kQr | 3, "e.org", t::A, {}, {{"e.org", t::SOA, 900, rdSoa(120)}});
  auto o = interp(nx, "e.org", t::A);
  EXPECT_EQ(o.status, DnsStatus::NxDomain);
  EXPECT_EQ(o.ttl, 120u);  // min(SOA TTL, MINIMUM)
  EXPECT_EQ(interp(nx, "e.org", t::A, TtlCaps{86400, 60}).ttl, 60u);
  EXPECT_EQ(interp(buildMessage(1, kQr, "e.org", t::A), "e.org", t::A).ttl, 0u);  // no SOA
}

TEST(Interpret, FollowsCnameChainInsideAnswer) {
  auto msg = buildMessage(1, kQr, "a.e.org", t::TXT,
                          {{"a.e.org", t::CNAME, 50, rdName("b.e.org")},
                           {"b.e.org", t::CNAME, 400, rdName("c.e.org")},
                           {"c.e.org", t::TXT, 300, rdTxt({"hello"})},
                           {"x.e.org", t::TXT, 300, rdTxt({"unrelated"})}});
  auto o = interp(msg, "a.e.org", t::TXT);
  EXPECT_EQ(o.status, DnsStatus::Ok);
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].data, "hello");
  EXPECT_EQ(o.ttl, 50u);
}

TEST(Interpret, CnameLoopEndsWithoutAnswer) {
  auto msg = buildMessage(1, kQr, "a.e.org", t::A,
                          {{"a.e.org", t::CNAME, 50, rdName("b.e.org")},
                           {"b.e.org", t::CNAME, 50, rdName("a.e.org")}},
                          {{"e.org", t::SOA, 60, rdSoa(60)}});
  auto o = interp(msg, "a.e.org", t::A);
  EXPECT_EQ(o.status, DnsStatus::NoData);
  EXPECT_TRUE(o.records.empty());
}

TEST(Interpret, DanglingCnameReportsTarget) {
  auto msg = buildMessage(1, kQr, "a.e.org", t::A, {{"a.e.org", t::CNAME, 50, rdName("host.other")}});
  auto o = interp(msg, "a.e.org", t::A);
  EXPECT_EQ(o.status, DnsStatus::NoData);
  EXPECT_EQ(o.cnameTarget, "host.other");
}

TEST(Interpret, RecordsOfOtherClassOrOwnerAreIgnored) {
  auto msg = buildMessage(1, kQr, "e.org", t::A,
                          {{"e.org", t::A, 60, rdAddr("192.0.2.1"), 3},
                           {"f.org", t::A, 60, rdAddr("192.0.2.2")}});
  EXPECT_EQ(interp(msg, "e.org", t::A).status, DnsStatus::NoData);
}

}  // namespace
}  // namespace am::dns
