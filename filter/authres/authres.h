// filter/authres/authres.h — Authentication-Results (RFC 8601) header values: writing ours, parsing
// anybody's (hostile input), and recognising headers that claim our authserv-id so forged ones can
// be deleted before ours is added.
//
// Pure functions over values: no I/O, no globals, no allocation kept between calls; safe to call from
// any number of threads at once. Untrusted input never asserts or throws a parse exception: parse()
// answers std::nullopt plus a message, authservIdOf() answers "" (std::bad_alloc is the only exception
// that can escape, as with any std::string code).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace am::authres {

// One "ptype.name=value" property, e.g. {"header", "d", "example.org"}. `comment` is an optional
// "(...)" written after the value (RFC 8601 Appendix B: `policy.iprev=192.0.2.200 (host.example)`).
struct Property {
  std::string ptype;
  std::string name;
  std::string value;
  std::string comment = {};
};

// One resinfo: "method=result (comment) reason=... ptype.name=value ...".
struct ResInfo {
  std::string method;              // "spf", "dkim", "dmarc", "auth", "arc", "iprev"...
  std::string result;              // "pass", "fail", "none"...
  std::string reason = {};         // optional reason= (quoted when it is not a token)
  std::string comment = {};        // optional "(...)" after the result, e.g. "p=reject sp=none dis=reject"
  std::vector<Property> props = {};
};

// The header VALUE (no "Authentication-Results:" name): authserv-id first, "; " between resinfos,
// folded with "\n\t" (LF only, as libmilter wants) so that no line, counting the 24 columns of the
// header name on the first line, exceeds 78 characters where a single item allows it.
//  - No resinfo → "authserv-id; none". A lone ResInfo{method "none", result ""} gives the same with
//    its comment ("id; none (SPF not checked)").
//  - method, result, ptype and name are reduced to RFC 5321 ldh characters and lower-cased; a resinfo
//    whose method or result ends up empty (other than the "none" form) is left out, as is a property
//    whose ptype or name does.
//  - Values (authserv-id, reason, property values) are written as-is when they are RFC 2045 tokens (or,
//    for property values, local-part@domain as RFC 8601 pvalue allows), otherwise as quoted-strings.
//  - Free text (values, reasons, comments) loses control characters (CR, LF, NUL... become spaces),
//    invalid UTF-8 bytes become '?', and is cut to 400 bytes, so every line stays far below the
//    998-character limit. Comments keep balanced parentheses; unbalanced ones and '\' are escaped.
//  - `idComment`, when not empty, is written as a comment after the authserv-id (CFWS, RFC 8601 §2.2):
//    "mx.example.org (tls=TLSv1.3 ...); spf=pass ...".
std::string format(std::string_view authservId, const std::vector<ResInfo>& results, std::string_view idComment = {});

struct Parsed {
  std::string authservId;              // unquoted, original case
  std::optional<std::string> version;  // authres-version digits, when present
  std::vector<ResInfo> results;        // method/result/ptype/name lower-cased; values verbatim
  bool none = false;                   // the "; none" form
  std::string noneComment = {};        // comment after "none", if any
};

// Parses a header value (no field name) with the RFC 8601 §2.2 grammar including CFWS (nested comments,
// quoted-strings, folding with CRLF or bare LF). Returns std::nullopt and, when `error` is not null,
// sets "offset N: <what>". Deliberate leniencies (see docs/authres.md): a ptype-less "key=value"
// after the result is skipped, a trailing ";" after the last resinfo is accepted, unquoted property
// values may hold '/', '=', '?' anywhere (header.b=Qgi/FoC0), 8-bit bytes are accepted inside
// comments and quoted-strings. Method versions ("dkim/1") are accepted and dropped.
// Bounded: linear time, no recursion, at most 4096 results+properties.
std::optional<Parsed> parse(std::string_view value, std::string* error);

// The authserv-id as RFC 8601 defines it (value = token / quoted-string) after leading CFWS, even
// when the rest of the value is garbage. Empty when none can be found (unterminated comment or
// quote, NUL, a value starting with ';'...). For every value parse() accepts, this equals
// parse(value)->authservId.
std::string authservIdOf(std::string_view value);

// True when the header value's authserv-id is `ours`: ASCII case-insensitive, surrounding blanks and
// one trailing dot ignored on both sides ("MX.Example.ORG." claims "mx.example.org"). A superstring
// ("mx.example.org.evil", "evil-mx.example.org") does not claim it. Used to delete forged headers.
bool claimsAuthservId(std::string_view value, std::string_view ours);

// The lenient reading a downstream filter (a Sieve :contains test, a regex) may apply: true when
// the text before the first ';' (the whole value when there is none) holds `ours` as a token,
// whatever surrounds it — unclosed comments, stray backslashes, quotes, other words. Tokens are
// runs of letters, digits, '.', '-' and '_'; compared as in claimsAuthservId().
bool mentionsAuthservId(std::string_view value, std::string_view ours);

// The rule for deleting an incoming header as a forgery of ours: claimsAuthservId() or
// mentionsAuthservId(). A header that does not parse at all is deleted only when it mentions us.
bool forgesAuthservId(std::string_view value, std::string_view ours);

}  // namespace am::authres
