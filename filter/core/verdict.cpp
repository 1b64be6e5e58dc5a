// filter/core/verdict.cpp — see verdict.h.
#include "filter/core/verdict.h"

namespace am::core {

const char* toString(Action a) {
  switch (a) {
    case Action::Continue: return "continue";
    case Action::Accept: return "accept";
    case Action::Reject: return "reject";
    case Action::TempFail: return "tempfail";
    case Action::Discard: return "discard";
  }
  return "?";
}

}  // namespace am::core
