// tests/reports/failure_test.cpp — whether a message gets a DMARC failure report
// (reports/failure.h failureReportWanted): the fo= matrix (0, 1, d, s, lists, unknown options), no
// ruf or a psd=y record, the p=none rule with and without FailureReportsOnNone for the domain
// (p), its subdomains (sp) and non-existent subdomains (np); and RFC 6590 redaction
// (redactAddresses), including the inputs fuzzing found.
#include <gtest/gtest.h>

#include "reports/failure.h"
#include "tests/reports/failure_fixture.h"

using namespace am::reports;
using namespace am::reports::fixture;

namespace {

// --- failureReportWanted --------------------------------------------------------------------

struct FoCase {
  const char* fo;
  const char* dkimAligned;
  const char* spfAligned;
  const char* dkimResult;  // "" = no signature
  const char* spfResult;
  bool want;
};

TEST(FailureWanted, FoMatrix) {
  const FoCase cases[] = {
      // fo=0: only when neither gives an aligned pass
      {"0", "fail", "fail", "fail", "fail", true},
      {"0", "pass", "fail", "pass", "fail", false},
      {"0", "fail", "pass", "fail", "pass", false},
      // fo=1: when either does not
      {"1", "pass", "fail", "pass", "fail", true},
      {"1", "fail", "pass", "fail", "pass", true},
      {"1", "pass", "pass", "pass", "pass", false},
      {"1", "fail", "fail", "", "none", true},
      // fo=d: a signature failed to verify, aligned or not, whatever DMARC said
      {"d", "pass", "pass", "fail", "pass", true},
      {"d", "fail", "fail", "", "fail", false},
      {"d", "fail", "fail", "permerror", "fail", true},
      {"d", "fail", "fail", "pass", "fail", false},
      // fo=s: SPF failed, aligned or not
      {"s", "pass", "fail", "pass", "fail", true},
      {"s", "pass", "fail", "pass", "softfail", true},
      {"s", "fail", "fail", "fail", "none", false},
      {"s", "fail", "fail", "fail", "neutral", false},
      {"s", "fail", "fail", "fail", "pass", false},
      // lists: any option that matches
      {"0:d", "pass", "pass", "fail", "pass", true},
      {"0:d", "pass", "fail", "pass", "fail", false},
      {"d:s", "pass", "pass", "pass", "temperror", true},
      {"1:0", "pass", "fail", "pass", "fail", true},
      // case and spaces; unknown options ignored; nothing known = the default 0
      {" D : S ", "pass", "pass", "fail", "pass", true},
      {"x:s", "pass", "pass", "pass", "pass", false},
      {"x:y", "fail", "fail", "pass", "pass", true},
      {"x:y", "pass", "fail", "pass", "fail", false},
      {"", "fail", "fail", "", "none", true},
      {"", "pass", "fail", "pass", "fail", false},
  };
  for (const FoCase& c : cases) {
    Record r = failing();
    r.published.fo = c.fo;
    r.dkimAligned = c.dkimAligned;
    r.spfAligned = c.spfAligned;
    r.dkim.clear();
    if (*c.dkimResult) r.dkim.push_back({"example.com", "s1", c.dkimResult});
    r.spfResult = c.spfResult;
    r.dmarcResult = (r.dkimAligned == "pass" || r.spfAligned == "pass") ? "pass" : "fail";
    EXPECT_EQ(failureReportWanted(r, false), c.want)
        << "fo=" << c.fo << " dkimAligned=" << c.dkimAligned << " spfAligned=" << c.spfAligned
        << " dkim=" << c.dkimResult << " spf=" << c.spfResult;
  }
}

TEST(FailureWanted, NothingWithoutRufNorForPsd) {
  Record r = failing();
  r.published.ruf.clear();
  EXPECT_FALSE(failureReportWanted(r, false));
  EXPECT_FALSE(failureReportWanted(r, true));
  r.published.fo = "1:d:s";
  EXPECT_FALSE(failureReportWanted(r, true));
  // RFC 9991 §2: ruf of a public suffix domain's record (psd=y) is not used.
  r = failing();
  r.published.psd = "y";
  EXPECT_FALSE(failureReportWanted(r, true));
  r.published.psd = "n";
  EXPECT_TRUE(failureReportWanted(r, true));
}

TEST(FailureWanted, PolicyNoneNeedsOnNone) {
  Record r = failing();
  r.published.p = "none";
  r.disposition = "none";
  EXPECT_FALSE(failureReportWanted(r, false));
  EXPECT_TRUE(failureReportWanted(r, true));
  r.published.p = "quarantine";
  r.disposition = "quarantine";
  EXPECT_TRUE(failureReportWanted(r, false));
  // A local override that delivered the message does not make the domain's policy "none".
  r.disposition = "none";
  r.overrideReason = "trusted_forwarder";
  EXPECT_TRUE(failureReportWanted(r, false));
}

TEST(FailureWanted, SubdomainsUseSpAndNp) {
  Record r = failing();
  r.headerFrom = "news.example.com";  // the record was found at the organizational domain
  r.published.p = "reject";
  r.published.sp = "none";
  r.disposition = "none";
  EXPECT_FALSE(failureReportWanted(r, false)) << "sp=none applies to a subdomain";
  EXPECT_TRUE(failureReportWanted(r, true));
  r.published.p = "none";
  r.published.sp = "reject";
  r.disposition = "reject";
  EXPECT_TRUE(failureReportWanted(r, false)) << "sp=reject applies, not p=none";
  r.headerFrom = "example.com";
  r.disposition = "none";
  EXPECT_FALSE(failureReportWanted(r, false)) << "p=none applies to the domain itself";
  // No sp: p applies to subdomains too.
  r.headerFrom = "news.example.com";
  r.published.sp = "";
  EXPECT_FALSE(failureReportWanted(r, false));
  // np=none applied to a non-existent subdomain (sp=reject).
  r.headerFrom = "nx.example.com";
  r.published.p = "reject";
  r.published.sp = "reject";
  r.published.np = "none";
  r.disposition = "none";
  EXPECT_FALSE(failureReportWanted(r, false));
  EXPECT_TRUE(failureReportWanted(r, true));
  r.disposition = "reject";  // the subdomain exists: sp applied
  EXPECT_TRUE(failureReportWanted(r, false));
}


// --- redactAddresses -----------------------------------------------------------------------

TEST(FailureRedact, ReceivingSideLocalPartsOnly) {
  const std::pair<const char*, const char*> cases[] = {
      {"bob@receiver.test", "redacted@receiver.test"},
      {"alice@example.com", "alice@example.com"},
      {"alice@EXAMPLE.COM.", "alice@EXAMPLE.COM."},
      {"alice@mail.example.com", "alice@mail.example.com"},
      {"alice@badexample.com", "redacted@badexample.com"},
      {"alice@example.com.evil.test", "redacted@example.com.evil.test"},
      {"Bob <bob.smith+tag@receiver.test>, a@example.com", "Bob <redacted@receiver.test>, a@example.com"},
      {"\"bob smith\"@receiver.test", "redacted@receiver.test"},
      {"for <x@r.test>; by y@r.test.", "for <redacted@r.test>; by redacted@r.test."},
      {"no address here", "no address here"},
      {"@receiver.test and bob@ and @", "@receiver.test and bob@ and @"},
      {"a@b@c", "redacted@b@c"},
      {"dkim i=@receiver.test", "dkim i=@receiver.test"},
      {"spf=fail smtp.mailfrom=bob@receiver.test;", "spf=fail smtp.mailfrom=redacted@receiver.test;"},
      {"prvs=1234abcd=bob@receiver.test", "prvs=1234abcd=redacted@receiver.test"},
      {"j\xc3\xb6rg@r\xc3\xa9sidence.test", "redacted@r\xc3\xa9sidence.test"},
      // Found by fuzzing (failure_report): every '@' stays, and redacting again changes nothing.
      {"a@_@c", "a@_@c"},
      {"bob@receiver.t_st@123@mail.e", "redacted@receiver.t_st@123@mail.e"},
      {"tu\"qoed local\"@receiver.test", "redacted@receiver.test"},
      {"alice\"@x.test <bob\"@receiver.test", "alice\"@x.test <bob\"@receiver.test"},
  };
  for (const auto& [in, want] : cases) {
    std::string once = redactAddresses(in, "example.com");
    EXPECT_EQ(once, want) << in;
    EXPECT_EQ(redactAddresses(once, "example.com"), once) << in;
  }
  EXPECT_EQ(redactAddresses("alice@example.com", ""), "redacted@example.com");
}


}  // namespace
