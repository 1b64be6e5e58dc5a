// common/action.h — the one Action: what is done with a message. The policy decides Accept,
// Quarantine, TempFail or Reject (policy/disposition.h); the milter layer also uses Continue (go
// on with the next stage) and Discard, and applies Quarantine as accept-and-hold
// (core::Verdict::quarantine carries the reason). Pure value; thread-safe.
#pragma once

namespace am {

enum class Action { Continue, Accept, Quarantine, TempFail, Reject, Discard };

// "continue", "accept", "quarantine", "tempfail", "reject", "discard".
const char* toString(Action a);

}  // namespace am
