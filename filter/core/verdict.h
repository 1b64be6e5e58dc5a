// filter/core/verdict.h — what the core decides for one milter callback, as a value.
// The libmilter adapter (filter/milter/) applies it with smfi_* calls; nothing else does I/O.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/action.h"

namespace am::core {

// The one Action (common/action.h); Quarantine is applied as Accept plus `quarantine` below.
using am::Action;
using am::toString;

struct HeaderEdit {
  enum class Kind { Insert, Change } kind = Kind::Insert;
  std::string name;
  int index = 0;      // Insert: position (0 = top). Change: 1-based among same-named headers.
  std::string value;  // Change with empty value deletes the header. LF-only folding.
};

struct Verdict {
  Action action = Action::Continue;
  std::string rcode, xcode, text;         // SMTP reply for Reject/TempFail ("550", "5.7.1", "...")
  std::optional<std::string> quarantine;  // hold the message with this reason (end of message only)
  std::vector<HeaderEdit> edits;          // applied in order (deletes already sorted highest index first)

  static Verdict cont() { return {}; }
  static Verdict reply(Action a, std::string rcode, std::string xcode, std::string text) {
    Verdict v;
    v.action = a;
    v.rcode = std::move(rcode);
    v.xcode = std::move(xcode);
    v.text = std::move(text);
    return v;
  }
};

}  // namespace am::core
