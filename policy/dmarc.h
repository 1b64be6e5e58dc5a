// policy/dmarc.h — DMARC as a pure function: record parsing, policy discovery, organizational
// domain, identifier alignment and the policy to apply, in two generations selected by
// DmarcOptions::mode: RFC 9989 (DMARCbis; DNS tree walk, psd/np/t tags, pct ignored; default)
// and RFC 7489 (org domain from the Public Suffix List, pct sampling).
//
// Inputs are values (From domain, SPF and DKIM outputs) plus three injected services: a
// Resolver (DNS), a PublicSuffix (RFC 7489 mode only) and an Rng (pct sampling). Nothing here
// logs, throws for untrusted input, or keeps state between calls: evaluate() is thread-safe as
// long as the injected services are. Local policy (overrides, forwarders, report-only) is a
// separate step: policy/disposition.h.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth_types.h"
#include "common/dns.h"

namespace am::policy {

enum class DmarcMode { Rfc9989, Rfc7489 };
enum class DmarcResult { None, Pass, Fail, TempError, PermError };
enum class Policy { Unspecified, None, Quarantine, Reject };
enum class AlignMode { Relaxed, Strict };
enum class PsdFlag { Unspecified, Yes, No };  // psd=u or absent -> Unspecified

const char* toString(DmarcResult r);  // "none", "pass", "fail", "temperror", "permerror" (RFC 8601)
const char* toString(Policy p);       // "none", "quarantine", "reject"; Unspecified -> "unspecified"
const char* toString(DmarcMode m);    // "rfc9989", "rfc7489"

// One parsed DMARC policy record. Fields hold the effective value (defaults applied); `tags`
// keeps each recognised tag that was published with a non-empty value, as written.
struct DmarcRecord {
  Policy p = Policy::Unspecified;   // Unspecified: absent or invalid (see pInvalid)
  Policy sp = Policy::Unspecified;  // absent -> p applies
  Policy np = Policy::Unspecified;  // absent -> sp, then p
  PsdFlag psd = PsdFlag::Unspecified;
  bool testing = false;             // t=y (RFC 9989)
  bool tPresent = false;
  unsigned pct = 100;
  bool pctPresent = false;
  AlignMode adkim = AlignMode::Relaxed;
  AlignMode aspf = AlignMode::Relaxed;
  std::vector<std::string> rua, ruf;  // syntactically usable URIs only (mailto/http/https)
  std::string fo = "0";
  std::string rf = "afrf";
  uint32_t ri = 86400;
  bool pInvalid = false, spInvalid = false;      // published with a bad value
  std::vector<std::string> invalidTags;          // names of known tags whose value was bad
  std::vector<std::string> warnings;             // ignored junk, bad URIs, duplicates
  std::map<std::string, std::string> tags;       // recognised tag -> raw value (first wins)

  bool invalid(std::string_view tag) const;
  // RFC 7489 §6.6.3 step 6: usable when p is valid and sp is not invalid, or else when at
  // least one usable rua URI exists (then read as p=none).
  bool usable7489() const;
};

// Parses one TXT string. Returns nullopt when the text is not a DMARC record at all (empty, or
// not starting with v=DMARC1): such TXT records are discarded by discovery. Otherwise a record;
// bad values of known tags are listed in invalidTags (and described in *error if given).
std::optional<DmarcRecord> parseRecord(std::string_view txt, std::string* error = nullptr);

// The Public Suffix List seen by RFC 7489 mode. filter/psl implements it with libpsl.
class PublicSuffix {
 public:
  virtual ~PublicSuffix() = default;
  // Registrable domain (public suffix + one label) of a lowercase domain; a domain that is
  // itself a public suffix, an IP literal or invalid comes back unchanged.
  virtual std::string organizationalDomain(std::string_view domain) const = 0;
  virtual bool isPublicSuffix(std::string_view domain) const = 0;  // listed rules only, no implicit '*'
};

class Rng {
 public:
  virtual ~Rng() = default;
  virtual unsigned percent() = 0;  // uniform 0..99
};

struct DmarcOptions {
  DmarcMode mode = DmarcMode::Rfc9989;
  bool honorPct = true;  // RFC 7489 mode: pct sampling; false -> pct ignored
};

struct DmarcOutput {
  DmarcResult result = DmarcResult::None;
  Policy policy = Policy::Unspecified;           // p of the record used
  Policy subdomainPolicy = Policy::Unspecified;  // sp of the record used (as published)
  Policy appliedPolicy = Policy::Unspecified;    // p, sp or np: the one that applies to this From
  Policy disposition = Policy::None;             // what to do, after pct/t= (None when pass)
  bool alignedSpf = false, alignedDkim = false;
  std::string alignedDkimDomain;                 // d= of the first aligned passing signature
  std::string fromDomain;                        // author domain (normalised)
  std::string policyDomain;                      // where the record was found ("" if none)
  std::string orgDomain;                         // organizational domain of the From domain
  bool sampledOut = false;                       // pct sampling or t=y lowered the policy
  bool nonExistent = false;                      // RFC 9989 np: author domain does not exist
  unsigned dnsQueries = 0;                       // TXT/A/AAAA/MX lookups made
  std::string reason;                            // short human reason, for logs and comments
  std::optional<DmarcRecord> record;             // the record used
};

// Alignment of one authenticated identifier with the author domain. Strict: equal after
// normalisation; relaxed: equal organizational domains (orgOf supplies them).
bool aligned(std::string_view fromDomain, std::string_view authDomain, AlignMode mode,
             const std::function<std::string(std::string_view)>& orgOf);

// Full evaluation. psl is required in Rfc7489 mode (without it: PermError). Only an SPF result
// for the MAIL FROM identity counts; only DKIM signatures with result Pass count.
DmarcOutput evaluate(std::string_view fromDomain, const am::SpfOutput& spfMailFrom,
                     const std::vector<am::DkimOutput>& dkim, am::Resolver& dns,
                     const PublicSuffix* psl, const DmarcOptions& opts, Rng& rng);

}  // namespace am::policy
