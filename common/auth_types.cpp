// common/auth_types.cpp — RFC 8601 result names, one table each.
#include "common/auth_types.h"

namespace am {

const char* toString(SpfResult r) {
  switch (r) {
    case SpfResult::None: return "none";
    case SpfResult::Neutral: return "neutral";
    case SpfResult::Pass: return "pass";
    case SpfResult::Fail: return "fail";
    case SpfResult::SoftFail: return "softfail";
    case SpfResult::TempError: return "temperror";
    case SpfResult::PermError: return "permerror";
  }
  return "permerror";
}

const char* toString(DkimResult r) {
  switch (r) {
    case DkimResult::None: return "none";
    case DkimResult::Pass: return "pass";
    case DkimResult::Fail: return "fail";
    case DkimResult::Neutral: return "neutral";
    case DkimResult::Policy: return "policy";
    case DkimResult::TempError: return "temperror";
    case DkimResult::PermError: return "permerror";
  }
  return "permerror";
}

}  // namespace am
