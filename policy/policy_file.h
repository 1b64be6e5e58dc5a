// policy/policy_file.h — the local policy file (etc/authmilter.policy documents every rule):
// per-domain overrides, trusted forwarders, trusted ARC sealers, allowlists, pct handling, what to do
// with bad From headers and which From domains must arrive over TLS. (Internal hosts and the switches that ignore internal and authenticated clients
// live in authmilter.conf; the old `internal`/`skip-*` rules give an error naming the key.) Syntax: one `keyword args...` per line, '#'
// starts a comment, blank lines ignored. Errors are collected, each as "FILE:LINE: message".
//
// A PolicyFile is an immutable snapshot: loaders return shared_ptr<const PolicyFile> (null when
// any line had an error) and a reload builds a new one. Reading it from many threads is safe.
// Unknown keywords are offered to the signing-table parser (policy/signing_table.h) through
// dispatchSigningDirective() before they count as errors.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/action.h"
#include "common/client.h"
#include "common/ip.h"
#include "policy/from_header.h"
#include "policy/signing_table.h"

namespace am::policy {

// What to do with a message; the order is the strength of the action.
// The one Action (common/action.h); the policy file and the disposition use Accept, Quarantine,
// TempFail and Reject.
using am::Action;
using am::toString;

// Per-domain override for mail that fails DMARC.
enum class OverrideKind {
  NeverReject,         // reject -> quarantine
  QuarantineAsReject,  // quarantine -> reject
  ForceNone,           // never act (report only)
  ForceQuarantine,     // quarantine whatever the published policy
  ForceReject,         // reject whatever the published policy
};

// A domain pattern: "example.com" matches that name only, ".example.com" (or
// "*.example.com") matches example.com and every name below it.
struct DomainPattern {
  std::string domain;  // normalised, without the leading '.'/'*.'
  bool subdomains = false;
  bool matches(std::string_view d) const;
};

// A client pattern: an IP/CIDR, or a host name (exact, or ".suffix" for a subtree) matched
// against the client's verified host name.
struct HostPattern {
  std::optional<am::Cidr> cidr;
  DomainPattern host;
  bool matches(const am::IpAddress& addr, std::string_view hostname) const;
  bool matches(const am::ClientInfo& client) const;  // false for an address pattern without an address
};

// One host pattern as written: "192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "mail.example.org"
// or ".example.org" (a subtree). Used by the policy file and by InternalHosts.
std::optional<HostPattern> parseHostPattern(std::string_view text);

// `require-tls <domain-pattern> <reject|tempfail|quarantine> [min-version]`: mail whose From
// domain matches must have arrived over TLS (at least `minVersion` when one is given).
struct TlsRequirement {
  DomainPattern pattern;
  Action action = Action::Reject;
  int minRank = 0;         // tlsVersionRank() of the minimum; 0: any TLS version will do
  std::string minVersion;  // as the MTA names it ("TLSv1.2"); "" when not given
  int line = 0;
};

// Orders the protocol names the MTAs put in {tls_version} (OpenSSL's SSL_get_version(): "SSLv3",
// "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"; case-insensitive, "TLSv1.0" and a later "TLSv1.4" too):
// a larger number is a newer protocol. nullopt for anything else.
std::optional<int> tlsVersionRank(std::string_view version);

struct DomainOverride {
  DomainPattern pattern;
  OverrideKind kind;
  int line = 0;
};

// `arc-seal <domain> <selector> <key>`: accepted or quarantined mail for a recipient in <domain>
// (or below it) is ARC-sealed (RFC 8617) with d=<domain> s=<selector>. <key> is a private key
// file (a path: it contains '/') or the name of a key from a `key` line or the KeyTable; the
// engine resolves it (policy files are read before the KeyTable is merged).
struct ArcSealRule {
  std::string domain;    // normalised; d= and the recipient domain matched (with subdomains)
  std::string selector;  // s=
  std::string key;       // path or key name, as written
  bool keyIsPath = false;
  int line = 0;
  std::string origin;    // "FILE:LINE"
  bool matches(std::string_view rcptDomain) const;
};

struct PolicyFile {
  std::vector<DomainOverride> overrides;      // `domain`    (first match wins)
  std::vector<HostPattern> forwarders;        // `forwarder` evaluate + report, never act
  std::vector<HostPattern> allowClients;      // `allow-client` skip enforcement
  std::vector<DomainPattern> allowFrom;       // `allow-from` From domains never acted on
  std::vector<DomainPattern> arcTrust;        // `arc-trust` ARC sealers (AS d=) whose results count
  bool honorPct = true;                       // `pct honor|ignore` (feeds DmarcOptions)
  std::vector<TlsRequirement> requireTls;     // `require-tls` (first match wins)
  // `from <missing|multiple|multiple-addresses|no-domain|unparseable> <action>`
  std::map<FromResult::Status, Action> fromActions{
      {FromResult::Status::Missing, Action::Reject},
      {FromResult::Status::Multiple, Action::Reject},
      {FromResult::Status::MultipleAddresses, Action::Reject},
      {FromResult::Status::NoDomain, Action::Reject},
      {FromResult::Status::Unparseable, Action::Reject},
  };
  SigningTable signing;  // `key` and `sign` lines (policy/signing_table.h)
  std::vector<ArcSealRule> arcSeals;  // `arc-seal` (the first rule matching a recipient seals)

  const DomainOverride* overrideFor(std::string_view fromDomain) const;
  const TlsRequirement* tlsRequirementFor(std::string_view fromDomain) const;
};

// Every keyword of the policy file, in table order, then the signing directives (`key`, `sign`);
// removed rules (an error naming what to write instead) are marked. authmilter.policy(5) is checked
// against this list (tests/man).
struct RuleKeyword {
  std::string name;
  bool removed;
};
std::vector<RuleKeyword> ruleKeywords();

std::shared_ptr<const PolicyFile> parsePolicyText(std::string_view text, const std::string& nameForErrors,
                                                  std::vector<std::string>& errors);
std::shared_ptr<const PolicyFile> loadPolicyFile(const std::string& path, std::vector<std::string>& errors);

}  // namespace am::policy
