// filter/auth/spf/record.h — SPF record selection and the strict RFC 7208 §4.5/§12 ABNF parser.
// A record parses completely or not at all: any syntax error anywhere gives an error value
// (the caller turns it into permerror, §4.6). Internal to am_spf. Pure values, thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"

namespace am::spf {

enum class Qualifier { Pass, Fail, SoftFail, Neutral };
enum class MechKind { All, Include, A, Mx, Ptr, Ip4, Ip6, Exists };

struct Mechanism {
  Qualifier qualifier = Qualifier::Pass;
  MechKind kind = MechKind::All;
  std::string domainSpec;  // macro-string; empty = the current <domain> (a, mx, ptr)
  int cidr4 = 32;          // a, mx, ip4
  int cidr6 = 128;         // a, mx, ip6
  IpAddress network;       // ip4, ip6
  std::string text;        // the term as written, for reasons and Received-SPF
};

struct Record {
  std::vector<Mechanism> mechanisms;  // in order
  std::optional<std::string> redirect;
  std::optional<std::string> exp;
};

struct ParsedRecord {
  std::optional<Record> record;  // set on success
  std::string error;             // set on failure
};

// "v=spf1" (any case) followed by SP or the end of the record (§4.5).
bool isSpfRecord(std::string_view txt);

// Parses one SPF record (the whole TXT text, "v=spf1 ..."); every term is checked.
ParsedRecord parseRecord(std::string_view txt);

}  // namespace am::spf
