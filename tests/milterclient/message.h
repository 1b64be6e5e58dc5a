// tests/milterclient/message.h — the values the milter client exchanges with its callers: a
// Message to send (envelope, macros, headers, body), the Result of one transaction (final action,
// header changes, quarantine, recorded envelope/body edits) and the headers as the MTA would store
// them after applying the filter's changes. Also a small RFC 5322 reader for .eml files.
// Plain values; all functions are pure and thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace am::milter_client {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Message {
  std::string clientAddr = "192.0.2.1";  // IPv4/IPv6 literal; "/path" = unix client; "" = unknown
  uint16_t clientPort = 40000;
  std::string clientName = "client.example";  // "unknown" is sent as "[addr]", as Postfix does
  std::string helo = "client.example";
  std::string mailFrom;                 // "<a@b>" (angle brackets added when missing); "" = "<>"
  std::vector<std::string> mailArgs;    // ESMTP parameters, e.g. "BODY=8BITMIME"
  std::vector<std::string> rcpts;       // "<c@d>"
  // Macro values by name as the filter asks for them: {"i","QID123"}, {"{auth_authen}","alice"},
  // {"j","mx.local"}. They override the derived ones: _, {client_addr}, {client_name},
  // {client_port}, {mail_addr}, {rcpt_addr}.
  std::map<std::string, std::string> macros;
  HeaderList headers;  // name, value (value without the one space after the colon; folds as "\n\t")
  std::string body;    // CRLF line endings
  size_t chunkSize = 65535;  // body bytes per SMFIC_BODY packet, clamped to 1..65535
  // Called once, after this many SMFIC_BODY packets are on the wire (flushed), while the rest of the
  // body waits: lets a test act in the middle of a message (0: never).
  size_t midBodyAfterPackets = 0;
  std::function<void()> midBody;
};

struct HeaderChange {
  enum class Kind { Add, Insert, Change } kind = Kind::Add;
  int index = 0;       // Insert: 0 = top; Change: 1-based among same-named headers (0 acts as 1)
  std::string name;
  std::string value;   // as received on the wire; Change with "" = delete
};

struct Result {
  enum class Action { Accept, Continue, Reject, TempFail, Discard, ReplyCode, Error } action = Action::Error;
  std::string stage;      // "optneg","connect","helo","mail","rcpt","data","header","eoh","body","eom"
  std::string replyText;  // SMTP reply the MTA would give (ReplyCode/Reject/TempFail); Error: what went wrong
  std::vector<HeaderChange> changes;
  bool quarantined = false;
  std::string quarantineReason;
  HeaderList finalHeaders;  // headers after applying `changes` in order, as the MTA would
  // Recorded, not applied: envelope and body edits requested at end of message.
  std::vector<std::string> addedRcpts;     // SMFIR_ADDRCPT / SMFIR_ADDRCPT_PAR ("rcpt" or "rcpt args")
  std::vector<std::string> deletedRcpts;   // SMFIR_DELRCPT
  std::optional<std::string> newMailFrom;  // SMFIR_CHGFROM ("addr" or "addr args")
  std::optional<std::string> replacedBody; // SMFIR_REPLBODY chunks, concatenated
  bool ok() const { return action != Action::Error; }
};

const char* actionName(Result::Action a);  // "accept", "continue", "reject", ...

// Applies one change the way Postfix's cleanup does: Add appends; Insert puts the header before
// position `index` (0 = top, beyond the end = append); Change finds the index-th header of that
// name (case-insensitive; 0 counts as 1) and replaces it, or deletes it when value is empty; when
// there is no such header a non-empty Change appends and an empty one does nothing. Deleted
// headers no longer count, so later indexes shift. With leadingSpace (SMFIP_HDR_LEADSPC
// negotiated) the value carries its own leading space, which is stripped to keep HeaderList's
// convention.
void applyHeaderChange(HeaderList& headers, const HeaderChange& change, bool leadingSpace);

// Splits an RFC 5322 message (LF or CRLF line endings) into headers and body. Header values lose
// one space after the colon; continuation lines are joined with "\n" (LF-only folding, as the MTA
// hands headers to filters). The body gets CRLF line endings. A line in the header section that is
// neither a header nor a continuation is an error. Envelope fields keep their defaults.
std::optional<Message> parseRfc5322(std::string_view raw, std::string* err);

}  // namespace am::milter_client
