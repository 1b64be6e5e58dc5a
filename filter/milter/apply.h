// filter/milter/apply.h — the one verdict applier of both milter front ends: authmilter's own
// server (connection.cpp) and the libmilter adapter (adapter.cpp).
//
// plan() turns a core::Verdict, whether it answers end of message, and what the MTA granted in the
// option negotiation into an ordered Plan with the final strings:
//   - header edits: every change/delete first, highest index first (the core's indexes count the
//     message as received, so they are used before an insert can shift them), then the inserts in
//     the core's order; values with CR removed and, when SMFIP_HDR_LEADSPC was granted, the one
//     space after the colon that the MTA then no longer writes itself;
//   - the quarantine reason (one line, never empty);
//   - the SMTP reply of a Reject/TempFail when its code is valid for the action (one line, '%'
//     doubled: the MTA reads the text as a format), and the final action.
// An edit whose action was not granted is dropped with a warning the front end logs. Each front
// end maps a Plan to packets or smfi_* calls and nothing else.
//
// Also here: the fallback verdict of OnInternalError, and the table of milter stages (their
// SMFIP_NR_* bits, and whether the core may answer there with anything but continue).
// Pure functions over values: thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "filter/config/config.h"
#include "filter/core/verdict.h"

namespace am::milter {

// What the MTA granted in the option negotiation (SMFIF_* actions, SMFIP_* protocol bits; the
// values are the protocol's, so libmilter's constants and proto::* both fit).
struct Granted {
  bool leadingSpace = false;   // SMFIP_HDR_LEADSPC: the MTA writes "Name:" + value verbatim
  bool addHeaders = false;     // SMFIF_ADDHDRS
  bool changeHeaders = false;  // SMFIF_CHGHDRS
  bool quarantine = false;     // SMFIF_QUARANTINE
  static Granted from(uint32_t actions, uint32_t protocol);
};

enum class Final { Continue, Accept, Discard, Reject, TempFail };

struct HeaderStep {
  bool insert = true;  // true: insert at `index` (0 = top); false: change the index-th (1-based) header `name`
  int index = 0;       // never negative
  std::string name;
  std::string value;   // as the MTA writes it after "Name:"; a change with "" deletes the header
};

struct ReplyCode {
  std::string rcode;  // "550": three digits, the first '5' for Reject, '4' for TempFail
  std::string xcode;  // "5.7.1" of the same class, or empty when the verdict's was not valid
  std::string text;   // one line, '%' doubled; may be empty
};

struct Plan {
  std::vector<HeaderStep> headers;        // in the order to send
  std::optional<std::string> quarantine;  // reason
  Final final = Final::Continue;
  std::optional<ReplyCode> reply;         // only with Reject/TempFail; absent: the MTA's default reply
  std::vector<std::string> warnings;      // what was dropped, for the log
};

// Header edits and quarantine are planned only at end of message (the only stage where the MTA
// takes them); elsewhere they are ignored.
Plan plan(const core::Verdict& v, bool atEndOfMessage, const Granted& granted);

// Longest reply text sent (after '%' doubling); libmilter refuses replies much beyond it.
inline constexpr size_t kMaxReplyText = 900;

// The verdict after an internal error in a callback: OnInternalError's accept or tempfail.
core::Verdict fallbackVerdict(config::FallbackAction onInternalError);

// Milter stages that carry a verdict, with their "no reply" protocol bit.
enum class MilterStage { Connect, Helo, Mail, Rcpt, Data, Unknown, Header, EndOfHeaders, Body, EndOfMessage };
struct StageInfo {
  MilterStage stage;
  uint32_t noReplyFlag;  // SMFIP_NR_*; 0 for end of message (always answered)
  bool coreMayAnswer;    // the core may return something other than Continue here
};
const StageInfo& stageInfo(MilterStage s);
// The SMFIP_NR_* bits of every stage where the core always continues. Connect is one of them
// unless draining (the connect reply then carries the 421).
uint32_t noReplyFlags(bool draining);

}  // namespace am::milter
