// policy/disposition.h — the local-policy step after DMARC evaluation: turns the From parse,
// the DmarcOutput, the policy file and the client into one Disposition value (action, SMTP
// reply, quarantine reason, optional marking header, log reason). Pure function: no I/O, no
// state; thread-safe. The milter layer applies the value.
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "common/ip.h"
#include "policy/dmarc.h"
#include "policy/from_header.h"
#include "policy/policy_file.h"

namespace am::policy {

struct ClientInfo {
  am::IpAddress addr;
  std::string hostname;  // verified client host name, "" when unknown
  bool authenticated = false;  // SMTP AUTH succeeded
  bool internal = false;       // the caller already knows it is internal (InternalHosts)
};

struct Disposition {
  Action action = Action::Accept;
  std::string smtpCode;  // "550", "451" (empty for Accept/Quarantine)
  std::string dsn;       // "5.7.1", "4.7.1"
  std::string text;      // reply text, e.g. "rejected by DMARC policy for example.com"
  std::string quarantineReason;  // Quarantine only
  std::optional<std::pair<std::string, std::string>> markHeader;  // header to add (name, value)
  std::string logReason;  // why, including what would have happened in report-only cases
};

struct DispositionOptions {
  bool rejectFailures = true;      // master switch; false: report only, never act
  bool holdQuarantined = true;     // quarantine -> hold in the MTA; false: deliver + mark header
  bool tempfailOnDnsError = true;  // DMARC temperror -> 451; false: accept
  std::string markHeaderName = "X-DMARC-Quarantine";
};

Disposition decide(const FromResult& from, const DmarcOutput* dmarc, const PolicyFile& pf,
                   const ClientInfo& client, const DispositionOptions& opts);

}  // namespace am::policy
