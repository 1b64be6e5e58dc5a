// policy/from_header.h — strict RFC 5322 From header parsing for DMARC (RFC 7489 §6.6.1,
// RFC 9989 §4.4): the author domain comes from exactly one From field holding exactly one
// mailbox. Every other shape is a named status so the caller can act on it; no guessing, so a
// message can never be evaluated against the wrong domain.
//
// Handles comments (nested), quoted strings and quoted local parts (which may contain '<', '@',
// ','), quoted pairs, encoded words in display names, groups, obsolete phrase dots, UTF-8
// (RFC 6532) domains, which are returned as lowercase A-labels (punycode; no Unicode
// normalisation). Pure functions, thread-safe.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace am::policy {

struct FromResult {
  enum class Status {
    Ok,                 // one header, one mailbox with a domain
    Missing,            // no From header
    Multiple,           // more than one From header
    MultipleAddresses,  // one header, several mailboxes
    NoDomain,           // no mailbox, a mailbox without '@', or a domain literal
    Unparseable,        // syntax error (unbalanced quotes/comments/brackets, bad domain...)
  } status = Status::Missing;
  std::string domain;   // Ok only: lowercase A-label form, no trailing dot
  std::string address;  // Ok only: local@domain as written (local part unquoted text kept)
  std::vector<std::string> domains;  // every domain seen (MultipleAddresses: all of them)
  std::string error;    // what was wrong, for logs
};

const char* toString(FromResult::Status s);  // "ok", "missing", "multiple", ...

// fromHeaderValues: the value of each From field of the message (without "From:"), unfolded
// or not.
FromResult parseFrom(const std::vector<std::string>& fromHeaderValues);

// Lowercases ASCII and converts UTF-8 labels to A-labels ("xn--..."). Empty on invalid input
// (bad UTF-8, empty label, label over 63 octets, name over 253 octets, characters outside
// letters/digits/'-'/'_' in ASCII labels).
std::string toAsciiDomain(std::string_view domain);

}  // namespace am::policy
