// policy/disposition.h — the local-policy step after DMARC evaluation: turns the From parse,
// the DmarcOutput, the SPF result, the policy file and the client into one Disposition value
// (action, SMTP reply, quarantine reason, optional marking header, log reason, override). The one
// place where enforcement is decided: DMARC, From problems and the SPF-only rule for domains
// without DMARC (RFC 7372 codes). Pure function: no I/O, no state; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/auth_types.h"
#include "common/client.h"
#include "common/ip.h"
#include "policy/dmarc.h"
#include "policy/from_header.h"
#include "policy/policy_file.h"

namespace am::policy {

using am::ClientInfo;

// Why the policy that applies to a failing message was not carried out as published
// (RFC 7489 Appendix C PolicyOverrideType; reports read it).
enum class Override { None, Forwarded, SampledOut, TrustedForwarder, MailingList, LocalPolicy, Arc, Other };
const char* toString(Override o);  // "none", "forwarded", "sampled_out", ... "arc", "other"

struct Disposition {
  Action action = Action::Accept;
  Override override = Override::None;
  std::string smtpCode;  // "550", "451" (empty for Accept/Quarantine)
  std::string dsn;       // "5.7.1", "4.7.1"
  std::string text;      // reply text, e.g. "rejected by DMARC policy for example.com"
  std::string quarantineReason;  // Quarantine only
  std::optional<std::pair<std::string, std::string>> markHeader;  // header to add (name, value)
  std::string logReason;  // why, including what would have happened in report-only cases
};

// What a validated ARC chain (RFC 8617) offers the policy step, filled from the ARC validator's
// result: a failing DMARC result is lifted (Override::Arc) when the chain passed, its newest
// sealer is listed by `arc-trust`, and that sealer's ARC-Authentication-Results say dmarc=pass,
// or dkim=pass / spf=pass for a domain aligned with the From domain (relaxed, or strict when the
// record asks for it).
struct ArcEvidence {
  bool pass = false;   // cv=pass
  std::string sealer;  // d= of the newest ARC-Seal
  struct Claim {
    std::string method, result;
    std::string domain;  // header.from (dmarc), header.d (dkim), smtp.mailfrom's domain (spf); may be ""
  };
  std::vector<Claim> claims;  // the newest ARC-Authentication-Results
};

struct DispositionOptions {
  bool rejectFailures = true;      // master switch; false: report only, never act
  bool holdQuarantined = true;     // quarantine -> hold in the MTA; false: deliver + mark header
  bool tempfailOnDnsError = true;  // DMARC temperror -> 451; false: accept
  bool spfRejectFailures = false;  // SPF fail/permerror/temperror act when the From domain has no DMARC
  bool ignoreAuthenticated = true;  // IgnoreAuthenticatedClients: DMARC not enforced for SMTP AUTH clients
  bool ignoreInternal = true;       // IgnoreInternalHosts: nor for InternalHosts clients
  std::string markHeaderName = "X-DMARC-Quarantine";
};

// `dmarc` is null when DMARC was not evaluated (From not usable); `spf` is the MAIL FROM result
// (unchecked when SPF was skipped); `arc` is null when the message has no ARC chain.
Disposition decide(const FromResult& from, const DmarcOutput* dmarc, const am::SpfOutput& spf, const PolicyFile& pf,
                   const ClientInfo& client, const DispositionOptions& opts, const ArcEvidence* arc = nullptr);

}  // namespace am::policy
