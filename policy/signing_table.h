// policy/signing_table.h — which DKIM keys sign mail from which sender (issue #6).
//
// A SigningTable holds the key table (name → domain, selector, key file, algorithm) and the
// signing rules (sender pattern → key names). It is filled from policy-file directives
// (parseSigningDirective) and/or from OpenDKIM's KeyTable/SigningTable files
// (loadOpenDkimTables). It reads no key material: keys are loaded by am::dkim::KeyStore.
//
// Rule kinds:
//   Glob    — checked in file order; '*' matches any run of characters (policy `sign` lines
//             and OpenDKIM `refile:` signing tables). A policy pattern without '@' is matched
//             against the domain only ("example.com" == "*@example.com").
//   Exact   — OpenDKIM plain-file keys, tried in OpenDKIM's order: user@host, host,
//             user@.parent (each parent domain), .parent (each), user@*, *.
// Exact rules are consulted before glob rules. Only the first matching rule applies unless
// `multipleSignatures` is set (then every match applies, keys de-duplicated). One rule may
// name several keys (dual rsa + ed25519 signing, or selector rotation overlap).
//
// Ownership: the table owns its keys and rules; lookup() returns pointers into `keys`, valid
// while the table lives unchanged. Thread-safety: const methods are safe to call concurrently.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace am::policy {

struct KeyEntry {
  enum class Alg { Rsa, Ed25519 };
  std::string name, domain, selector, keyPath;  // domain "%" = the sender's domain (OpenDKIM)
  Alg alg = Alg::Rsa;
  bool algFromKey = false;  // algorithm not declared: take it from the key file
  std::string origin;       // "FILE:LINE" where declared, for error messages (may be empty)
};

struct SigningRule {
  enum class Kind { Glob, Exact };
  enum class Target { Address, Domain };
  Kind kind = Kind::Glob;
  Target target = Target::Address;
  std::string pattern;         // lowercase
  std::vector<size_t> keys;    // indices into SigningTable::keys; "%" rules resolve at lookup
  bool keyIsSenderDomain = false;  // OpenDKIM value "%": the key named after the sender domain
  std::string origin;
};

struct SigningTable {
  std::vector<KeyEntry> keys;
  std::vector<SigningRule> rules;
  bool multipleSignatures = false;

  const KeyEntry* findKey(std::string_view name) const;
  // Keys to sign with for a sender address (user@domain; case and one trailing dot of the
  // domain are normalized here too). Empty = don't sign.
  std::vector<const KeyEntry*> lookup(std::string_view address) const;
};

// "User@Example.COM." → "user@example.com"; strips <>, surrounding space. nullopt if there is
// no '@' with a non-empty domain after it.
std::optional<std::string> normalizeAddress(std::string_view address);

// Glob match, '*' = any run of characters (also empty). Both sides compared byte-exactly.
bool globMatch(std::string_view pattern, std::string_view text);

// Policy-file directives (the policy parser calls this for keywords it doesn't know):
//   key NAME DOMAIN SELECTOR PATH [rsa|ed25519]
//   sign PATTERN KEYNAME[,KEYNAME...]
// Returns false with `error` set (no FILE:LINE prefix: the caller adds it) for a known keyword
// with bad arguments, and false with error "unknown directive" for other keywords.
// `origin` ("FILE:LINE") is recorded on the entry for later key-loading errors.
bool parseSigningDirective(std::string_view keyword, const std::vector<std::string>& args,
                           SigningTable& t, std::string& error, std::string_view origin = {});
bool isSigningDirective(std::string_view keyword);
// The signing directives' keywords ("key", "sign"): isSigningDirective() accepts exactly these.
std::vector<std::string> signingDirectiveNames();

// OpenDKIM KeyTable ("NAME DOMAIN:SELECTOR:KEYPATH", optional "file:"/"refile:" prefix on the
// path) and SigningTable (plain file, or "refile:/path" for wildcard patterns; value
// "KEYNAME [SIGNER]"). Errors are "FILE:LINE: message". Returns true if no error.
bool loadOpenDkimTables(const std::string& keyTablePath, const std::string& signingTablePath,
                        SigningTable& t, std::vector<std::string>& errors);

}  // namespace am::policy
