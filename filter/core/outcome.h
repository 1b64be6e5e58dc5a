// filter/core/outcome.h — MessageOutcome: everything the end of one message found and decided,
// as one value that is never changed once built. Session gathers the facts (client, identities,
// SPF, DKIM, what was signed, which incoming AR headers forge ours); conclude() adds the DMARC
// evaluation and the disposition (policy::decide, the one place where enforcement is decided).
// Consumers read it and nothing else: the Authentication-Results header, Received-SPF, the log
// line and the Verdict the milter layer applies (filter/core/consumers.h) — and the report
// recorder, ARC sealer and metrics that come after them.
// Thread-safety: a const MessageOutcome is a plain value, safe to read from any thread.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/auth_types.h"
#include "common/client.h"
#include "common/ip.h"
#include "filter/auth/arc/chain.h"
#include "filter/core/engine.h"
#include "policy/disposition.h"
#include "policy/dmarc.h"
#include "policy/from_header.h"

namespace am::core {

// One result of an Authentication-Results header from a TrustedAuthservIDs host (kept in the
// message; reported in the log).
struct UpstreamResult {
  std::string authservId;
  std::string method;  // "spf", "dkim", "dmarc", "arc"...
  std::string result;  // "pass", "fail"...
};

struct MessageOutcome {
  // The client: address, name, HELO, SMTP AUTH, TLS, internal (classified once, at connect).
  ClientInfo client;

  // Identities.
  std::string queueId;
  std::string mailFrom;    // as given, without angle brackets
  std::vector<std::string> rcpts;
  policy::FromResult from;

  // Authentication results.
  SpfOutput spfMailFrom, spfHelo;
  std::vector<DkimOutput> dkim;             // one per signature verified
  arc::ChainResult arc;                      // ARC chain validation (cv none: the message has no ARC fields)
  bool evaluated = false;                    // DKIM verified and DMARC evaluated (incoming mail)
  std::optional<policy::DmarcOutput> dmarc;  // when evaluated and the From header was usable
  policy::DmarcMode dmarcMode = policy::DmarcMode::Rfc9989;  // how the org domain was found

  // What we do.
  bool signing = false;                 // outgoing mail we sign
  std::vector<std::string> signatures;  // DKIM-Signature values we add
  std::vector<int> forgedAr;            // 1-based indexes of incoming AR headers claiming our id, highest first
  std::vector<UpstreamResult> upstream;  // results claimed by trusted upstream hosts (TrustedAuthservIDs)
  policy::Disposition disposition;      // action, reply, reason, override
};

// What the policy step may take from the ARC result (policy::ArcEvidence), or nullopt when the chain
// did not pass.
std::optional<policy::ArcEvidence> arcEvidence(const arc::ChainResult& r);

// Adds the DMARC evaluation and the disposition to the facts a session gathered.
MessageOutcome conclude(MessageOutcome facts, const Snapshot& snap, Resolver& dns);

// Indexes (1-based among Authentication-Results headers, highest first) of the headers that
// forge our authserv-id (authres::forgesAuthservId), to be deleted.
std::vector<int> forgedAuthResults(const std::vector<std::pair<std::string, std::string>>& headers,
                                   std::string_view authservId);

// The results of the AR headers whose authserv-id is one of `trusted` (and not `ours`, which is
// always deleted): at most 16 results in all, in header order. Headers that do not parse give none.
std::vector<UpstreamResult> trustedAuthResults(const std::vector<std::pair<std::string, std::string>>& headers,
                                               const std::vector<std::string>& trusted, std::string_view ours);

}  // namespace am::core
