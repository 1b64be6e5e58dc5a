// common/dns.cpp — see dns.h.
#include "common/dns.h"

namespace am {

const char* toString(DnsStatus s) {
  switch (s) {
    case DnsStatus::Ok: return "ok";
    case DnsStatus::NxDomain: return "nxdomain";
    case DnsStatus::NoData: return "nodata";
    case DnsStatus::TempFail: return "tempfail";
    case DnsStatus::PermFail: return "permfail";
  }
  return "unknown";
}

bool queryableName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (c < 0x20 || c == 0x7f || ++label > 63) {
      return false;
    }
  }
  return label > 0;
}

}  // namespace am
