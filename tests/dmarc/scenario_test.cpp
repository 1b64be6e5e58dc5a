// tests/dmarc/scenario_test.cpp — our own table of end-to-end DMARC scenarios: From parsing ->
// evaluate() -> decide(), one named TEST_P per row, one row per branch (alignment paths,
// strict/relaxed, sp/np/psd, pct/t=, DNS failures, bad and multiple records, every From
// oddity, policy-file overrides, forwarders, trusted ARC sealers, report-only, both modes). DNS is in memory.
#include <gtest/gtest.h>

#include "policy/disposition.h"
#include "tests/dmarc/test_util.h"

using namespace am::policy;
using am::DnsStatus;
using am::DkimResult;
using am::SpfResult;

namespace {

using R = DmarcResult;
using A = Action;
using M = DmarcMode;

struct Scenario {
  const char* name;
  std::vector<std::pair<std::string, std::string>> txt;  // owner -> TXT
  std::vector<std::string> from = {"a@example.com"};
  std::string spfDomain = "other.example";
  SpfResult spf = SpfResult::Pass;
  std::vector<std::pair<std::string, DkimResult>> dkim = {};
  M mode = M::Rfc9989;
  unsigned rng = 0;
  std::string policy = "";
  std::string client = "198.51.100.7";
  std::string hostname = "";
  bool authenticated = false;
  bool internal = false;  // the client matched InternalHosts
  bool ignoreAuthenticated = true;
  bool ignoreInternal = true;
  bool rejectFailures = true;
  bool hold = true;
  bool tempfailDns = true;
  R result = R::Fail;  // ignored when the From header is not Ok
  A action = A::Reject;
  std::string text = "";       // substring of the SMTP text, or of the log reason when no text
  std::string policyDomain = "-";  // "-": not checked
  std::string orgDomain = "-";
  bool spfHelo = false;
  std::vector<std::pair<std::string, DnsStatus>> forced = {};
  std::vector<std::string> existing = {};  // names given an A record
  bool mark = false;                       // a marking header is expected
  bool spfRejectFailures = false;          // the SPF-only rule for From domains without DMARC
  std::string dsn = "";                    // expected enhanced code of a reply ("": 5.7.1 / 4.7.1)
  std::string override = "-";              // expected Override ("-": not checked)
  std::optional<ArcEvidence> arc = {};     // a validated ARC chain's evidence
};

// A passing chain sealed by `sealer` whose AAR claims `claims` (method, result, domain).
ArcEvidence arcChain(std::string sealer, std::vector<ArcEvidence::Claim> claims, bool pass = true) {
  return ArcEvidence{pass, std::move(sealer), std::move(claims)};
}

const std::string kReject = "v=DMARC1; p=reject";
// Four labels of 60, 60, 60 and 50 octets: with ".example-bank.com" a 250-octet domain.
const std::string kLongLabels =
    std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." + std::string(50, 'd');
const std::string k10k = "v=DMARC1; p=reject; rua=mailto:d@example.com; x=" + std::string(10240, 'x');

std::vector<Scenario> scenarios() {
  return {
      {.name = "aligned_spf_only", .txt = {{"_dmarc.example.com", kReject}}, .spfDomain = "example.com",
       .result = R::Pass, .action = A::Accept},
      {.name = "aligned_dkim_only", .txt = {{"_dmarc.example.com", kReject}}, .spf = SpfResult::Fail,
       .dkim = {{"example.com", DkimResult::Pass}}, .result = R::Pass, .action = A::Accept},
      {.name = "unaligned_reject", .txt = {{"_dmarc.example.com", kReject}},
       .dkim = {{"other.example", DkimResult::Pass}}, .text = "rejected by DMARC policy for example.com (p=reject)"},
      {.name = "spf_helo_identity_ignored", .txt = {{"_dmarc.example.com", kReject}}, .spfDomain = "example.com",
       .spfHelo = true},
      {.name = "dkim_fail_not_counted", .txt = {{"_dmarc.example.com", kReject}},
       .dkim = {{"example.com", DkimResult::Fail}}},
      {.name = "relaxed_spf_subdomain", .txt = {{"_dmarc.example.com", kReject}}, .spfDomain = "bounce.example.com",
       .result = R::Pass, .action = A::Accept},
      {.name = "strict_spf_subdomain_fails", .txt = {{"_dmarc.example.com", kReject + "; aspf=s"}},
       .spfDomain = "bounce.example.com"},
      {.name = "strict_dkim_exact_passes", .txt = {{"_dmarc.example.com", kReject + "; adkim=s"}},
       .dkim = {{"EXAMPLE.com", DkimResult::Pass}}, .result = R::Pass, .action = A::Accept},
      {.name = "strict_dkim_no_org_collapse", .txt = {{"_dmarc.example.com", kReject + "; adkim=s"}},
       .dkim = {{"mail.example.com", DkimResult::Pass}}},
      {.name = "strict_7489_no_psl_collapse", .txt = {{"_dmarc.example.com", kReject + "; adkim=s; aspf=s"}},
       .spfDomain = "mail.example.com", .dkim = {{"mail.example.com", DkimResult::Pass}}, .mode = M::Rfc7489},
      {.name = "relaxed_dkim_parent_signs_subdomain", .txt = {{"_dmarc.example.com", kReject}},
       .from = {"a@news.example.com"}, .dkim = {{"example.com", DkimResult::Pass}}, .result = R::Pass,
       .action = A::Accept, .policyDomain = "example.com", .orgDomain = "example.com"},
      {.name = "subdomain_policy_sp", .txt = {{"_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine"}},
       .from = {"a@news.example.com"}, .action = A::Quarantine, .existing = {"news.example.com"}},
      {.name = "subdomain_inherits_p", .txt = {{"_dmarc.example.com", kReject}}, .from = {"a@news.example.com"}},
      {.name = "np_nonexistent_subdomain", .txt = {{"_dmarc.example.com", "v=DMARC1; p=reject; sp=none; np=reject"}},
       .from = {"a@ghost.example.com"}},
      {.name = "np_existing_subdomain_uses_sp",
       .txt = {{"_dmarc.example.com", "v=DMARC1; p=reject; sp=none; np=reject"}}, .from = {"a@news.example.com"},
       .action = A::Accept, .existing = {"news.example.com"}},
      {.name = "np_ignored_in_7489", .txt = {{"_dmarc.example.com", "v=DMARC1; p=reject; sp=none; np=reject"}},
       .from = {"a@ghost.example.com"}, .mode = M::Rfc7489, .action = A::Accept},
      {.name = "pct0_7489_sampled_out", .txt = {{"_dmarc.example.com", kReject + "; pct=0"}}, .mode = M::Rfc7489,
       .rng = 0, .action = A::Quarantine},
      {.name = "pct100_7489_enforced", .txt = {{"_dmarc.example.com", kReject + "; pct=100"}}, .mode = M::Rfc7489,
       .rng = 99},
      {.name = "pct50_7489_sampled_in", .txt = {{"_dmarc.example.com", kReject + "; pct=50"}}, .mode = M::Rfc7489,
       .rng = 49},
      {.name = "pct50_7489_sampled_out", .txt = {{"_dmarc.example.com", kReject + "; pct=50"}}, .mode = M::Rfc7489,
       .rng = 50, .action = A::Quarantine},
      {.name = "pct_quarantine_sampled_out_to_none", .txt = {{"_dmarc.example.com", "v=DMARC1; p=quarantine; pct=10"}},
       .mode = M::Rfc7489, .rng = 90, .action = A::Accept},
      {.name = "pct_ignored_by_policy_file", .txt = {{"_dmarc.example.com", kReject + "; pct=0"}},
       .mode = M::Rfc7489, .policy = "pct ignore"},
      {.name = "pct_ignored_in_9989", .txt = {{"_dmarc.example.com", kReject + "; pct=50"}}, .rng = 99},
      {.name = "t_y_lowers_reject_9989", .txt = {{"_dmarc.example.com", kReject + "; t=y"}}, .action = A::Quarantine},
      {.name = "t_y_lowers_quarantine_9989", .txt = {{"_dmarc.example.com", "v=DMARC1; p=quarantine; t=y"}},
       .action = A::Accept},
      {.name = "dns_tempfail_tempfails", .result = R::TempError, .action = A::TempFail,
       .text = "temporary DNS failure", .forced = {{"_dmarc.example.com", DnsStatus::TempFail}}},
      {.name = "dns_tempfail_accept_option", .tempfailDns = false, .result = R::TempError, .action = A::Accept,
       .forced = {{"_dmarc.example.com", DnsStatus::TempFail}}},
      {.name = "dns_tempfail_7489", .mode = M::Rfc7489, .result = R::TempError, .action = A::TempFail,
       .forced = {{"_dmarc.example.com", DnsStatus::TempFail}}},
      {.name = "dns_permfail_permerror", .result = R::PermError, .action = A::Accept,
       .forced = {{"_dmarc.example.com", DnsStatus::PermFail}}},
      // A From domain whose _dmarc name is longer than 253 octets cannot be asked; discovery must
      // go on to the organizational domain (RFC 7489 §6.6.3) or the next level up (RFC 9989).
      {.name = "long_from_domain_7489_org_policy", .txt = {{"_dmarc.example-bank.com", kReject}},
       .from = {"ceo@" + kLongLabels + ".example-bank.com"}, .mode = M::Rfc7489,
       .policyDomain = "example-bank.com", .orgDomain = "example-bank.com", .existing = {kLongLabels + ".example-bank.com"}},
      {.name = "long_from_domain_9989_walks_up", .txt = {{"_dmarc.example-bank.com", kReject}},
       .from = {"ceo@" + kLongLabels + ".example-bank.com"}, .policyDomain = "example-bank.com",
       .existing = {kLongLabels + ".example-bank.com"}},
      {.name = "dns_permfail_at_from_7489_org_policy",
       .txt = {{"_dmarc.example.com", kReject}}, .from = {"a@news.example.com"}, .mode = M::Rfc7489,
       .policyDomain = "example.com", .forced = {{"_dmarc.news.example.com", DnsStatus::PermFail}},
       .existing = {"news.example.com"}},
      // The SPF-only rule (RFC 7372 codes) lives in decide(): only without a DMARC record.
      {.name = "spf_only_fail_rejects", .spf = SpfResult::Fail, .result = R::None,
       .text = "SPF validation failed for other.example", .spfRejectFailures = true, .dsn = "5.7.23"},
      {.name = "spf_only_permerror_rejects", .spf = SpfResult::PermError, .result = R::None,
       .spfRejectFailures = true, .dsn = "5.7.24"},
      {.name = "spf_only_temperror_tempfails", .spf = SpfResult::TempError, .result = R::None, .action = A::TempFail,
       .spfRejectFailures = true, .dsn = "4.7.24"},
      {.name = "spf_only_softfail_accepted", .spf = SpfResult::SoftFail, .result = R::None, .action = A::Accept,
       .spfRejectFailures = true},
      {.name = "spf_only_off_by_default", .spf = SpfResult::Fail, .result = R::None, .action = A::Accept},
      {.name = "spf_only_not_with_dmarc_record", .txt = {{"_dmarc.example.com", "v=DMARC1; p=none"}},
       .spf = SpfResult::Fail, .action = A::Accept, .spfRejectFailures = true},
      {.name = "override_sampled_out", .txt = {{"_dmarc.example.com", kReject + "; pct=50"}}, .mode = M::Rfc7489,
       .rng = 90, .action = A::Quarantine, .override = "sampled_out"},
      {.name = "override_trusted_forwarder", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "forwarder 198.51.100.0/24", .action = A::Accept, .override = "trusted_forwarder"},
      {.name = "override_local_policy", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "domain example.com never-reject", .action = A::Quarantine, .override = "local_policy"},
      {.name = "override_none_when_enforced", .txt = {{"_dmarc.example.com", kReject}}, .override = "none"},
      // A temporary failure of an identifier that would align leaves the answer unknown: 451, not 550.
      {.name = "spf_temperror_aligned_is_temperror", .txt = {{"_dmarc.example.com", kReject}},
       .spfDomain = "example.com", .spf = SpfResult::TempError, .result = R::TempError, .action = A::TempFail},
      {.name = "spf_temperror_unaligned_still_fails", .txt = {{"_dmarc.example.com", kReject}},
       .spf = SpfResult::TempError},
      {.name = "dkim_temperror_aligned_is_temperror", .txt = {{"_dmarc.example.com", kReject}}, .spf = SpfResult::Fail,
       .dkim = {{"example.com", DkimResult::TempError}}, .result = R::TempError, .action = A::TempFail},
      // The org-domain walk failing temporarily above a found policy no longer ends the evaluation
      // (it used to be a temperror for every domain below a name whose lookup timed out once).
      {.name = "org_walk_tempfail_exact_alignment_passes", .txt = {{"_dmarc.example.com", kReject}},
       .from = {"a@news.example.com"}, .spfDomain = "news.example.com", .result = R::Pass, .action = A::Accept,
       .forced = {{"_dmarc.com", DnsStatus::TempFail}}},
      // Whatever _dmarc.com holds, news.example.com and example.com share an org domain.
      {.name = "org_walk_tempfail_relaxed_still_aligned", .txt = {{"_dmarc.example.com", kReject}},
       .from = {"a@news.example.com"}, .spfDomain = "example.com", .result = R::Pass, .action = A::Accept,
       .forced = {{"_dmarc.com", DnsStatus::TempFail}}},
      {.name = "no_record_none", .result = R::None, .action = A::Accept, .text = "dmarc=none"},
      {.name = "p_missing_9989_is_none", .txt = {{"_dmarc.example.com", "v=DMARC1; rua=mailto:d@example.com"}},
       .action = A::Accept},
      {.name = "bad_p_7489_permerror", .txt = {{"_dmarc.example.com", "v=DMARC1; p=bogus"}}, .mode = M::Rfc7489,
       .result = R::PermError, .action = A::Accept},
      {.name = "garbage_tags_ignored", .txt = {{"_dmarc.example.com", "v=DMARC1; p=reject; foo; bar=baz; ===;;"}}},
      {.name = "pct1000_invalid_uses_100", .txt = {{"_dmarc.example.com", kReject + "; pct=1000"}},
       .mode = M::Rfc7489, .rng = 99},
      {.name = "multiple_records_7489_permerror",
       .txt = {{"_dmarc.example.com", kReject}, {"_dmarc.example.com", "v=DMARC1; p=none"}}, .mode = M::Rfc7489,
       .result = R::PermError, .action = A::Accept},
      {.name = "multiple_records_9989_walk_up",
       .txt = {{"_dmarc.news.example.com", kReject}, {"_dmarc.news.example.com", "v=DMARC1; p=none"},
               {"_dmarc.example.com", kReject}},
       .from = {"a@news.example.com"}, .policyDomain = "example.com"},
      {.name = "ten_kb_record", .txt = {{"_dmarc.example.com", k10k}}},
      {.name = "non_dmarc_txt_ignored", .txt = {{"_dmarc.example.com", "v=spf1 -all"}}, .result = R::None,
       .action = A::Accept},
      {.name = "tree_walk_deep_name", .txt = {{"_dmarc.example.com", kReject}},
       .from = {"a@a.b.c.d.e.f.g.h.i.example.com"}, .policyDomain = "example.com", .orgDomain = "example.com"},
      {.name = "psd_y_policy_and_org", .txt = {{"_dmarc.gov", "v=DMARC1; p=reject; psd=y"}},
       .from = {"a@mail.agency.gov"}, .policyDomain = "gov", .orgDomain = "agency.gov"},
      {.name = "psd_y_org_aligns_sibling",
       .txt = {{"_dmarc.gov", "v=DMARC1; p=reject; psd=y"}}, .from = {"a@mail.agency.gov"},
       .dkim = {{"agency.gov", DkimResult::Pass}}, .result = R::Pass, .action = A::Accept},
      {.name = "psd_n_sets_org",
       .txt = {{"_dmarc.b.example.com", "v=DMARC1; p=reject; psd=n"}, {"_dmarc.example.com", kReject}},
       .from = {"a@b.example.com"}, .dkim = {{"example.com", DkimResult::Pass}}, .policyDomain = "b.example.com",
       .orgDomain = "b.example.com"},
      {.name = "org_7489_from_psl", .txt = {{"_dmarc.example.co.uk", kReject}}, .from = {"a@mail.example.co.uk"},
       .mode = M::Rfc7489, .policyDomain = "example.co.uk", .orgDomain = "example.co.uk"},
      {.name = "from_missing", .from = {}, .text = "no From header"},
      {.name = "from_multiple_headers", .from = {"a@example.com", "b@example.com"}, .text = "several From headers"},
      {.name = "from_multiple_addresses", .from = {"a@example.com, b@evil.example"}, .text = "several addresses"},
      {.name = "from_no_domain", .from = {"undisclosed-recipients:;"}, .text = "no usable domain"},
      {.name = "from_unparseable", .from = {"\"unterminated <a@example.com>"}, .text = "cannot be parsed"},
      {.name = "from_multiple_accepted_by_policy", .from = {"a@example.com", "b@example.com"},
       .policy = "from multiple accept", .action = A::Accept},
      {.name = "from_quoted_local_part", .txt = {{"_dmarc.example.com", kReject}},
       .from = {"\"a <x@junk.example>, b\"@example.com"}, .spfDomain = "example.com", .result = R::Pass,
       .action = A::Accept},
      {.name = "from_uppercase_domain", .txt = {{"_dmarc.example.com", kReject}}, .from = {"Joe <A@EXAMPLE.COM>"},
       .spfDomain = "example.com", .result = R::Pass, .action = A::Accept},
      {.name = "from_idn_domain", .txt = {{"_dmarc.xn--bcher-kva.example", kReject}},
       .from = {"=?utf-8?q?B=C3=BCcher?= <info@b\xC3\xBC" "cher.example>"}, .policyDomain = "xn--bcher-kva.example"},
      {.name = "override_never_reject", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "domain example.com never-reject", .action = A::Quarantine},
      {.name = "override_quarantine_as_reject", .txt = {{"_dmarc.example.com", "v=DMARC1; p=quarantine"}},
       .policy = "domain .example.com quarantine-as-reject"},
      {.name = "override_force_none", .txt = {{"_dmarc.example.com", kReject}}, .policy = "domain example.com none",
       .action = A::Accept},
      {.name = "override_force_reject", .txt = {{"_dmarc.example.com", "v=DMARC1; p=none"}},
       .policy = "domain example.com reject"},
      {.name = "override_other_domain_untouched", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "domain example.org none"},
      {.name = "forwarder_by_cidr", .txt = {{"_dmarc.example.com", kReject}}, .policy = "forwarder 198.51.100.0/24",
       .action = A::Accept, .text = "trusted forwarder"},
      {.name = "forwarder_by_hostname", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "forwarder .lists.example.org", .hostname = "mx1.lists.example.org", .action = A::Accept,
       .text = "trusted forwarder"},
      {.name = "report_only_mode", .txt = {{"_dmarc.example.com", kReject}}, .rejectFailures = false,
       .action = A::Accept, .text = "report-only"},
      {.name = "authenticated_client_skipped", .from = {}, .authenticated = true, .action = A::Accept},
      {.name = "internal_network_skipped", .txt = {{"_dmarc.example.com", kReject}}, .client = "10.1.2.3",
       .internal = true, .action = A::Accept, .text = "internal", .override = "local_policy"},
      {.name = "internal_enforced_when_not_ignored", .txt = {{"_dmarc.example.com", kReject}}, .client = "10.1.2.3",
       .internal = true, .ignoreInternal = false},
      {.name = "authenticated_enforced_when_not_ignored", .txt = {{"_dmarc.example.com", kReject}},
       .authenticated = true, .ignoreAuthenticated = false},
      {.name = "allow_from_domain", .txt = {{"_dmarc.example.com", kReject}}, .policy = "allow-from example.com",
       .action = A::Accept, .text = "allowlisted"},
      {.name = "allow_client", .txt = {{"_dmarc.example.com", kReject}}, .policy = "allow-client 198.51.100.7",
       .action = A::Accept, .text = "allowlisted client"},
      {.name = "quarantine_deliver_with_header", .txt = {{"_dmarc.example.com", "v=DMARC1; p=quarantine"}},
       .hold = false, .action = A::Accept, .mark = true},
      // Trusted ARC sealers (arc-trust): a passing chain whose newest sealer is trusted and saw
      // DMARC, or DKIM/SPF aligned with the From domain, pass.
      {.name = "arc_trusted_sealer_saw_dmarc_pass", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net", .action = A::Accept, .text = "ARC sealer lists.example.net",
       .override = "arc", .arc = arcChain("lists.example.net", {{"dmarc", "pass", "example.com"}})},
      {.name = "arc_trusted_by_subtree_pattern", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust .example.net", .action = A::Accept, .override = "arc",
       .arc = arcChain("lists.example.net", {{"dmarc", "pass", ""}})},
      {.name = "arc_untrusted_sealer_rejected", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.org", .override = "none",
       .arc = arcChain("lists.example.net", {{"dmarc", "pass", "example.com"}})},
      {.name = "arc_no_trust_rule_rejected", .txt = {{"_dmarc.example.com", kReject}},
       .arc = arcChain("lists.example.net", {{"dmarc", "pass", "example.com"}})},
      {.name = "arc_failed_chain_rejected", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net",
       .arc = arcChain("lists.example.net", {{"dmarc", "pass", "example.com"}}, false)},
      {.name = "arc_sealer_saw_dmarc_fail", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net",
       .arc = arcChain("lists.example.net", {{"dmarc", "fail", "example.com"}, {"spf", "fail", "example.com"}})},
      {.name = "arc_dmarc_pass_for_another_from", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net", .arc = arcChain("lists.example.net", {{"dmarc", "pass", "other.example"}})},
      {.name = "arc_aligned_dkim_pass", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net", .action = A::Accept, .override = "arc",
       .arc = arcChain("lists.example.net", {{"dkim", "pass", "mail.example.com"}})},
      {.name = "arc_unaligned_dkim_pass", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net", .arc = arcChain("lists.example.net", {{"dkim", "pass", "example.net"}})},
      {.name = "arc_dkim_subdomain_under_strict_adkim", .txt = {{"_dmarc.example.com", "v=DMARC1; p=reject; adkim=s"}},
       .policy = "arc-trust lists.example.net",
       .arc = arcChain("lists.example.net", {{"dkim", "pass", "mail.example.com"}})},
      {.name = "arc_aligned_spf_pass", .txt = {{"_dmarc.example.com", kReject}},
       .policy = "arc-trust lists.example.net", .action = A::Accept, .override = "arc",
       .arc = arcChain("lists.example.net", {{"spf", "pass", "example.com"}})},
      {.name = "arc_policy_none_needs_no_override", .txt = {{"_dmarc.example.com", "v=DMARC1; p=none"}},
       .policy = "arc-trust lists.example.net", .action = A::Accept, .override = "none",
       .arc = arcChain("lists.example.net", {{"dmarc", "pass", "example.com"}})},
  };
}

class Scenarios : public ::testing::TestWithParam<Scenario> {};

TEST_P(Scenarios, Outcome) {
  const Scenario& sc = GetParam();
  am::InMemoryResolver dns;
  for (auto& [n, t] : sc.txt) dns.addTxt(n, t);
  for (auto& [n, st] : sc.forced) dns.setStatus(n, am::RrType::TXT, st);
  for (auto& n : sc.existing) dns.addA(n, "192.0.2.1");
  std::vector<std::string> errors;
  auto pf = parsePolicyText(sc.policy, "scenario", errors);
  ASSERT_TRUE(pf) << (errors.empty() ? "" : errors[0]);

  am::SpfOutput spf;
  spf.result = sc.spf;
  spf.domain = sc.spfDomain;
  spf.identity = sc.spfHelo ? am::SpfIdentity::Helo : am::SpfIdentity::MailFrom;
  spf.checked = true;
  std::vector<am::DkimOutput> dkim;
  for (auto& [d, r] : sc.dkim) dkim.push_back(am::DkimOutput{.result = r, .domain = d});
  am::testing::FixedRng rng(sc.rng);
  const auto& psl = am::testing::pslFrom("psl/public_suffix_list.dat");

  FromResult from = parseFrom(sc.from);
  std::optional<DmarcOutput> out;
  if (from.status == FromResult::Status::Ok)
    out = evaluate(from.domain, spf, dkim, dns, &psl, DmarcOptions{sc.mode, pf->honorPct}, rng);
  ClientInfo client;
  client.addr = am::IpAddress::parse(sc.client);
  client.hostname = sc.hostname;
  client.authUser = sc.authenticated ? "user@example.com" : "";
  client.internal = sc.internal;
  DispositionOptions opts;
  opts.rejectFailures = sc.rejectFailures;
  opts.holdQuarantined = sc.hold;
  opts.tempfailOnDnsError = sc.tempfailDns;
  opts.spfRejectFailures = sc.spfRejectFailures;
  opts.ignoreAuthenticated = sc.ignoreAuthenticated;
  opts.ignoreInternal = sc.ignoreInternal;
  Disposition d = decide(from, out ? &*out : nullptr, spf, *pf, client, opts, sc.arc ? &*sc.arc : nullptr);

  if (out) {
    EXPECT_EQ(toString(out->result), std::string(toString(sc.result))) << out->reason;
    EXPECT_LE(out->dnsQueries, 20u);  // two bounded tree walks plus np existence checks at most
    if (sc.policyDomain != "-") {
      EXPECT_EQ(out->policyDomain, sc.policyDomain);
    }
    if (sc.orgDomain != "-") {
      EXPECT_EQ(out->orgDomain, sc.orgDomain);
    }
  }
  EXPECT_EQ(toString(d.action), std::string(toString(sc.action))) << d.logReason;
  if (!sc.text.empty()) {
    const std::string& hay = d.text.empty() ? d.logReason : d.text;
    EXPECT_NE(hay.find(sc.text), std::string::npos) << hay;
  }
  if (d.action == A::Reject) {
    EXPECT_EQ(d.smtpCode, "550");
    EXPECT_EQ(d.dsn, sc.dsn.empty() ? "5.7.1" : sc.dsn);
  }
  if (d.action == A::TempFail) {
    EXPECT_EQ(d.smtpCode, "451");
    EXPECT_EQ(d.dsn, sc.dsn.empty() ? "4.7.1" : sc.dsn);
  }
  if (sc.override != "-") {
    EXPECT_EQ(toString(d.override), sc.override) << d.logReason;
  }
  if (d.action == A::Quarantine) {
    EXPECT_FALSE(d.quarantineReason.empty());
  }
  EXPECT_EQ(d.markHeader.has_value(), sc.mark);
}

INSTANTIATE_TEST_SUITE_P(Table, Scenarios, ::testing::ValuesIn(scenarios()),
                         [](const auto& i) { return std::string(i.param.name); });

TEST(ScenarioTable, HasAtLeastFortyRows) { EXPECT_GE(scenarios().size(), 40u); }

}  // namespace
