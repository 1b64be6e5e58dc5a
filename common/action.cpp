// common/action.cpp — see action.h.
#include "common/action.h"

namespace am {

const char* toString(Action a) {
  switch (a) {
    case Action::Continue: return "continue";
    case Action::Accept: return "accept";
    case Action::Quarantine: return "quarantine";
    case Action::TempFail: return "tempfail";
    case Action::Reject: return "reject";
    case Action::Discard: return "discard";
  }
  return "?";
}

}  // namespace am
