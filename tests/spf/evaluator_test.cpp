// tests/spf/evaluator_test.cpp — check_host() semantics beyond the YAML suite: all seven
// results, limits that hold across the whole evaluation (terms, voids, MX/PTR names, time
// budget), IPv4-mapped clients, the null sender, HELO identity, exp= and output fields.
#include <atomic>
#include <thread>

#include "tests/spf/spf_fixture.h"

namespace am::spftest {
namespace {

using R = SpfResult;

TEST_F(SpfFixture, AllSevenResults) {
  dns.addTxt("pass.example.com", "v=spf1 +all");
  dns.addTxt("fail.example.com", "v=spf1 -all");
  dns.addTxt("soft.example.com", "v=spf1 ~all");
  dns.addTxt("neutral.example.com", "v=spf1 ?all");
  dns.addTxt("perm.example.com", "v=spf1 bogus");
  dns.setStatus("temp.example.com", RrType::TXT, DnsStatus::TempFail);
  dns.addA("none.example.com", "192.0.2.1");
  EXPECT_EQ(mailFrom("192.0.2.1", "a@pass.example.com").result, R::Pass);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@fail.example.com").result, R::Fail);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@soft.example.com").result, R::SoftFail);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@neutral.example.com").result, R::Neutral);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@perm.example.com").result, R::PermError);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@temp.example.com").result, R::TempError);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@none.example.com").result, R::None);
  EXPECT_EQ(mailFrom("192.0.2.1", "a@nxdomain.example.com").result, R::None);
}

TEST_F(SpfFixture, OutputFields) {
  dns.addTxt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
  SpfOutput out = mailFrom("192.0.2.7", "<User@Example.COM>");
  EXPECT_EQ(out.result, R::Pass);
  EXPECT_TRUE(out.checked);
  EXPECT_EQ(out.identity, SpfIdentity::MailFrom);
  EXPECT_EQ(out.domain, "example.com");
  EXPECT_EQ(out.sender, "User@Example.COM");
  EXPECT_EQ(out.reason, "mechanism ip4:192.0.2.0/24 matched");
  EXPECT_TRUE(out.explanation.empty());
}

TEST_F(SpfFixture, LoopbackIsNotSpecial) {  // libspf2 passes 127/8 and ::1 without looking
  EXPECT_EQ(record("v=spf1 -all", "127.0.0.1"), R::Fail);
  EXPECT_EQ(mailFrom("::1", "user@example.com").result, R::Fail);
}

TEST_F(SpfFixture, TermLimitIsGlobalAcrossIncludes) {
  // 4 includes x 3 a-terms = 16 DNS terms in all; each record alone is under 10.
  for (int i = 0; i < 4; ++i)
    dns.addTxt("i" + std::to_string(i) + ".example.com", "v=spf1 a:x.example.com a:y.example.com a:z.example.com");
  for (const char* n : {"x.example.com", "y.example.com", "z.example.com"}) dns.addA(n, "198.51.100.1");
  SpfOutput out;
  dns.addTxt("example.com", "v=spf1 include:i0.example.com include:i1.example.com include:i2.example.com "
                            "include:i3.example.com -all");
  out = mailFrom("192.0.2.1", "user@example.com");
  EXPECT_EQ(out.result, R::PermError);
  EXPECT_EQ(out.reason, "too many DNS lookups");
}

TEST_F(SpfFixture, TenTermsAreAllowedElevenAreNot) {
  dns.addA("h.example.com", "198.51.100.1");
  std::string ten = "v=spf1";
  for (int i = 0; i < 10; ++i) ten += " a:h.example.com";
  dns.addTxt("ten.example.com", ten + " ip4:192.0.2.1");
  dns.addTxt("eleven.example.com", ten + " a:h.example.com ip4:192.0.2.1");
  EXPECT_EQ(mailFrom("192.0.2.1", "u@ten.example.com").result, R::Pass);
  EXPECT_EQ(mailFrom("192.0.2.1", "u@eleven.example.com").result, R::PermError);
  opts.maxDnsTerms = 11;
  EXPECT_EQ(mailFrom("192.0.2.1", "u@eleven.example.com").result, R::Pass);
}

TEST_F(SpfFixture, IncludeAndRedirectLoopsEndInPermError) {
  dns.addTxt("a.example.com", "v=spf1 include:b.example.com -all");
  dns.addTxt("b.example.com", "v=spf1 include:a.example.com -all");
  dns.addTxt("self.example.com", "v=spf1 redirect=%{d}");
  EXPECT_EQ(mailFrom("192.0.2.1", "u@a.example.com").result, R::PermError);
  EXPECT_EQ(mailFrom("192.0.2.1", "u@self.example.com").result, R::PermError);
}

TEST_F(SpfFixture, VoidLimitCountsAcrossIncludes) {
  dns.addTxt("inc.example.com", "v=spf1 a:nx1.example.com a:nx2.example.com");
  dns.addTxt("example.com", "v=spf1 include:inc.example.com exists:nx3.example.com -all");
  SpfOutput out = mailFrom("192.0.2.1", "user@example.com");
  EXPECT_EQ(out.result, R::PermError);
  EXPECT_EQ(out.reason, "void lookup limit exceeded");
  opts.maxVoidLookups = 3;
  EXPECT_EQ(mailFrom("192.0.2.1", "user@example.com").result, R::Fail);
}

TEST_F(SpfFixture, MxNameLimit) {
  for (int i = 0; i < 11; ++i) dns.addMx("example.com", static_cast<uint16_t>(i), "mx" + std::to_string(i) + ".example.com");
  dns.addA("mx0.example.com", "192.0.2.1");
  EXPECT_EQ(record("v=spf1 mx -all"), R::PermError);
  opts.maxMxPtrNames = 11;
  EXPECT_EQ(mailFrom("192.0.2.1", "user@example.com").result, R::Pass);
}

TEST_F(SpfFixture, PtrNamesBeyondTheLimitAreIgnored) {
  IpAddress client = ip("192.0.2.9");
  for (int i = 0; i < 10; ++i) dns.addPtr(client, "h" + std::to_string(i) + ".other.example");
  dns.addPtr(client, "mail.example.com");
  dns.addA("mail.example.com", "192.0.2.9");
  EXPECT_EQ(record("v=spf1 ptr -all", "192.0.2.9"), R::Fail);
  opts.maxMxPtrNames = 11;
  EXPECT_EQ(mailFrom("192.0.2.9", "user@example.com").result, R::Pass);
}

// A clock that moves 5 s every time it is read: the check runs out of budget after a few reads.
class SteppingClock final : public Clock {
 public:
  int64_t unixSeconds() const override { return 1700000000; }
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::seconds(t_ += 5));
  }
 private:
  mutable std::atomic<int64_t> t_{0};
};

TEST_F(SpfFixture, TimeBudgetGivesTempError) {
  dns.addA("h.example.com", "198.51.100.1");
  dns.addTxt("example.com", "v=spf1 a:h.example.com a:h.example.com a:h.example.com a:h.example.com "
                            "a:h.example.com a:h.example.com ip4:192.0.2.1");
  SteppingClock slow;
  spf::Evaluator ev(dns, opts, slow);
  SpfOutput out = ev.checkMailFrom(ip("192.0.2.1"), "user@example.com", "mx.example.org");
  EXPECT_EQ(out.result, R::TempError);
  EXPECT_EQ(out.reason, "time budget exceeded");
  spf::Options generous = opts;
  generous.timeBudget = std::chrono::hours(1);
  spf::Evaluator ok(dns, generous, slow);
  EXPECT_EQ(ok.checkMailFrom(ip("192.0.2.1"), "user@example.com", "mx.example.org").result, R::Pass);
}

TEST_F(SpfFixture, MappedClientsAreIpv4) {
  dns.addA("example.com", "192.0.2.1");
  dns.addTxt("example.com", "v=spf1 ip6:::ffff:0:0/96 a -all");
  SpfOutput out = mailFrom("::ffff:192.0.2.1", "user@example.com");
  EXPECT_EQ(out.result, R::Pass);
  EXPECT_EQ(out.reason, "mechanism a matched");
  dns.addTxt("m.example.com", "v=spf1 exists:%{ir}.%{v}.m.example.com -all");
  dns.addA("1.2.0.192.in-addr.m.example.com", "127.0.0.2");
  EXPECT_EQ(mailFrom("::ffff:192.0.2.1", "user@m.example.com").result, R::Pass);
}

TEST_F(SpfFixture, NullSenderUsesPostmasterAtHelo) {
  dns.addTxt("mx.example.org", "v=spf1 exists:%{l}.%{o}.chk.example.org -all");
  dns.addA("postmaster.mx.example.org.chk.example.org", "127.0.0.2");
  for (const char* nullSender : {"<>", "", " <> "}) {
    SpfOutput out = mailFrom("192.0.2.1", nullSender, "mx.example.org");
    EXPECT_EQ(out.result, R::Pass) << nullSender;
    EXPECT_EQ(out.identity, SpfIdentity::MailFrom);
    EXPECT_EQ(out.sender, "postmaster@mx.example.org");
    EXPECT_EQ(out.domain, "mx.example.org");
  }
  EXPECT_EQ(mailFrom("192.0.2.1", "<>", "").result, R::None);
}

TEST_F(SpfFixture, MailFromForms) {
  dns.addTxt("example.com", "v=spf1 exists:%{l}.chk.example.com -all");
  dns.addA("postmaster.chk.example.com", "127.0.0.2");
  dns.addA("joe.chk.example.com", "127.0.0.2");
  EXPECT_EQ(mailFrom("192.0.2.1", "<@relay.example.net:joe@example.com>").result, R::Pass);
  EXPECT_EQ(mailFrom("192.0.2.1", "@example.com").result, R::Pass);  // no local-part: postmaster
  EXPECT_EQ(mailFrom("192.0.2.1", "@example.com").sender, "postmaster@example.com");
  SpfOutput noDomain = mailFrom("192.0.2.1", "<joe>");
  EXPECT_EQ(noDomain.result, R::None);
  EXPECT_EQ(noDomain.reason, "MAIL FROM has no domain");
  EXPECT_EQ(mailFrom("192.0.2.1", "joe@").result, R::None);
}

TEST_F(SpfFixture, HeloIdentity) {
  dns.addTxt("mx.example.org", "v=spf1 a -all");
  dns.addA("mx.example.org", "192.0.2.1");
  SpfOutput out = helo("192.0.2.1", "mx.example.org");
  EXPECT_EQ(out.result, R::Pass);
  EXPECT_EQ(out.identity, SpfIdentity::Helo);
  EXPECT_EQ(out.sender, "postmaster@mx.example.org");
  EXPECT_EQ(helo("192.0.2.2", "MX.Example.ORG.").result, R::Fail);
  for (const char* bad : {"", "localhost", "[192.0.2.1]", "192.0.2.1", "m\xc3\xa4il.example.org", "a..example.org"})
    EXPECT_EQ(helo("192.0.2.1", bad).result, R::None) << bad;
}

TEST_F(SpfFixture, ExplanationOnFailOnly) {
  dns.addTxt("example.com", "v=spf1 ip4:192.0.2.1 -all exp=why.example.com");
  dns.addTxt("why.example.com", "%{i} is not one of %{d}'s servers (%{c}, %{v})");
  EXPECT_EQ(mailFrom("192.0.2.1", "user@example.com").explanation, "");
  SpfOutput out = mailFrom("192.0.2.77", "user@example.com");
  EXPECT_EQ(out.result, R::Fail);
  EXPECT_EQ(out.explanation, "192.0.2.77 is not one of example.com's servers (192.0.2.77, in-addr)");
}

TEST_F(SpfFixture, ExpLookupIsNotAVoidLookupAndBadTextIsIgnored) {
  dns.addTxt("example.com", "v=spf1 a:nx1.example.com a:nx2.example.com -all exp=nx3.example.com");
  EXPECT_EQ(mailFrom("192.0.2.1", "user@example.com").result, R::Fail);
  dns.addTxt("bad.example.com", "v=spf1 -all exp=badtext.example.com");
  dns.addTxt("badtext.example.com", "100% wrong");
  SpfOutput out = mailFrom("192.0.2.1", "user@bad.example.com");
  EXPECT_EQ(out.result, R::Fail);
  EXPECT_EQ(out.explanation, "");
}

TEST_F(SpfFixture, TempErrorsFromMechanismLookups) {
  dns.setStatus("slow.example.com", RrType::ANY, DnsStatus::TempFail);
  EXPECT_EQ(record("v=spf1 a:slow.example.com -all"), R::TempError);
  dns.clear();
  dns.setStatus("slow.example.com", RrType::ANY, DnsStatus::TempFail);
  EXPECT_EQ(record("v=spf1 include:slow.example.com -all"), R::TempError);
  dns.clear();
  dns.addMx("example.com", 10, "slow.example.com");
  dns.setStatus("slow.example.com", RrType::A, DnsStatus::TempFail);
  EXPECT_EQ(record("v=spf1 mx -all"), R::TempError);
  dns.clear();
  dns.setStatus(ip("192.0.2.1").reverseName(), RrType::PTR, DnsStatus::TempFail);
  EXPECT_EQ(record("v=spf1 ptr -all"), R::Fail);  // §5.5: a PTR lookup error is no match
}

TEST_F(SpfFixture, OneEvaluatorManyThreads) {
  dns.addTxt("example.com", "v=spf1 ip4:192.0.2.0/25 include:inc.example.com -all");
  dns.addTxt("inc.example.com", "v=spf1 a:h.example.com ~all");
  dns.addA("h.example.com", "192.0.2.200");
  spf::Evaluator ev(dns, opts, clock);
  auto expected = [](int i) { return i < 128 ? R::Pass : i == 200 ? R::Pass : R::Fail; };
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 256; ++i) {
        auto out = ev.checkMailFrom(IpAddress::v4(192, 0, 2, static_cast<uint8_t>(i)), "u@example.com", "h.example");
        if (out.result != expected(i)) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace am::spftest
