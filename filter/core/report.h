// filter/core/report.h — end-of-message decision and reporting: DMARC evaluation, disposition,
// the Authentication-Results header, header edits and the one key=value log line per message.
// Pure functions over values plus the engine's resolver; called by Session::endOfMessage.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/auth_types.h"
#include "common/ip.h"
#include "filter/core/engine.h"
#include "filter/core/verdict.h"
#include "policy/from_header.h"

namespace am::core {

struct Message;

struct MessageOutcome {
  std::optional<IpAddress> client;
  std::string clientName, helo, authUser, queueId, mailFrom;
  std::vector<std::pair<std::string, std::string>> tls;  // macro name, value
  bool internal = false;
  bool signing = false;
  SpfOutput spfMailFrom, spfHelo;
  std::vector<DkimOutput> dkim;
  std::vector<std::string> signatures;  // DKIM-Signature values we add
  policy::FromResult from;
};

Verdict decideAndReport(Engine& engine, const Snapshot& snap, const Message& msg, const MessageOutcome& o,
                        std::string& logLine);

}  // namespace am::core
