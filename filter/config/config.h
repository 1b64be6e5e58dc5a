// filter/config/config.h — the typed configuration of authmilter: one struct, one table of keys,
// immutable snapshots. Keys follow opendkim.conf / opendmarc.conf names where the meaning is the same.
//
// Syntax: one "Key value" per line; '#' starts a comment; keys are case-insensitive; booleans accept
// yes/no/true/false/1/0; lists are comma- or space-separated. Errors are "FILE:LINE: message", all of them
// collected (parsing never stops at the first). A loaded Config is never mutated: a reload builds a new one.
// Thread-safety: a const Config is read-only and may be shared by every thread.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"

namespace am::config {

enum class DmarcMode { Rfc9989, Rfc7489 };
enum class FallbackAction { Accept, TempFail };

struct Config {
  std::string path;  // file it came from ("" for built-in defaults)
  // Each key set in the file: the line it was set on and its value as written (for FILE:LINE
  // errors found after parsing, and for telling which restart-only keys a reload changed).
  std::map<std::string, int, std::less<>> lines;
  std::map<std::string, std::string, std::less<>> values;
  // "FILE:LINE: " of `key` (its canonical name, as in the key table); line 0 when not set.
  std::string where(std::string_view key) const;

  // --- process and milter ---
  std::string socket = "inet:8894@127.0.0.1";
  unsigned umask = 007;
  std::string userId;   // empty: keep the current user
  std::string pidFile;  // empty: none
  bool syslog = true;   // false: log to stderr
  std::string syslogFacility = "mail";
  bool logDebug = false;
  bool logJson = false;  // LogFormat json: the per-message line as one JSON object (default kv)
  std::string authservId;  // empty: the host name
  std::vector<std::string> trustedAuthservIds;  // other ids whose AR headers we keep; ours is always removed
  // The one list of internal hosts (addresses, networks, verified host names, ".domain" subtrees):
  // their mail is signed, and with the Ignore* switches neither SPF-checked nor DMARC-enforced.
  std::vector<std::string> internalHosts{"127.0.0.1", "::1"};
  bool ignoreAuthenticated = true;  // IgnoreAuthenticatedClients: no SPF check, DMARC not enforced
  bool ignoreInternal = true;       // IgnoreInternalHosts: the same for InternalHosts clients
  std::string policyFile;  // empty: no policy file
  FallbackAction onInternalError = FallbackAction::TempFail;
  unsigned shutdownTimeout = 25;  // seconds to let messages in flight finish on SIGTERM
  size_t maxHeaderBytes = 1024 * 1024;  // per message, all headers; beyond → TempFail the message
  bool milterLibmilter = false;  // MilterServer native|libmilter: who speaks the milter protocol
  // The native server (restart-only). Defaults as the benchmark ran (docs/benchmark.md).
  size_t maxConnections = 1024;  // MaxConnections: open milter connections at once (more wait in the listen queue)
  unsigned milterTimeout = 600;  // MilterTimeout: seconds a connection may complete no packet (also libmilter's)
  size_t maxWorkers = 256;       // MaxWorkers: threads, busy, blocked in DNS or idle

  // --- metrics (restart-only) ---
  std::string metricsListen;             // MetricsListen ADDR:PORT or [V6]:PORT; empty: no metrics
  bool metricsAllowNonLoopback = false;  // MetricsAllowNonLoopback: serve beyond this host

  // --- DNS ---
  std::vector<std::string> nameservers;  // "ip", "ip:port", "[v6]:port"; empty: /etc/resolv.conf
  unsigned dnsTimeoutMs = 5000;
  unsigned dnsRetries = 2;
  size_t dnsCacheSize = 10000;
  size_t dnsCacheBytes = 32u << 20;  // bound on the accounted bytes of cached answers
  unsigned dnsFailureTtl = 30;       // seconds a temporary failure (timeout, SERVFAIL) is cached

  // --- SPF ---
  bool spfCheckHelo = true;
  bool addReceivedSpf = false;
  unsigned spfTimeoutMs = 20000;
  bool spfRejectFailures = false;  // for From domains that publish no DMARC record

  // --- DKIM verification ---
  unsigned maxSignatures = 5;
  unsigned minimumKeyBits = 1024;
  std::vector<std::string> dkimAlgorithms{"rsa-sha256", "ed25519-sha256"};
  bool bodyLengthFail = false;  // BodyLengthPolicy fail|accept
  unsigned clockSkew = 300;
  bool dkimLibopendkim = false;  // DKIMVerifier native|libopendkim: which engine verifies signatures

  // --- DKIM signing ---
  std::string keyTable;      // OpenDKIM KeyTable file (optional; the policy file has native tables)
  std::string signingTable;  // OpenDKIM SigningTable file, "refile:/path" allowed
  std::string canonicalization = "relaxed/relaxed";
  std::vector<std::string> signHeaders;      // empty: built-in default list
  std::vector<std::string> oversignHeaders{"from"};
  bool multipleSignatures = false;   // sign with every matching SigningTable rule
  unsigned signatureTtl = 0;         // seconds; > 0 adds x=
  bool signByEnvelopeSender = false;  // SigningIdentity from|envelope
  bool evaluateSignedMail = false;     // DMARC/DKIM-verify mail we sign

  // --- DMARC and disposition ---
  DmarcMode dmarcMode = DmarcMode::Rfc9989;
  std::string publicSuffixList = "/usr/share/publicsuffix/public_suffix_list.dat";
  bool rejectFailures = true;
  bool holdQuarantinedMessages = true;
  bool tempfailOnDnsError = true;
  // pct handling and missing/multiple From actions live in the policy file (one place each).

  // --- DMARC failure reports (ruf), sent by the milter ---
  bool failureReports = false;            // FailureReports: off by default (privacy); restart-only
  std::string failureReportsSentBy;       // FailureReportsSentBy ("" -> ReportingEmail's value)
  std::vector<std::string> failureReportsBcc;  // FailureReportsBcc: a copy of every report to these
  bool failureReportsOnNone = false;      // FailureReportsOnNone: also for domains with p=none
  unsigned failureReportsRateLimit = 10;  // FailureReportsRateLimit: per report domain and hour; 0 = none
  bool failureReportsBody = false;        // FailureReportsContent headers|body

  // Member-wise; tests compare a file's effect with the built-in defaults (docs/man checks).
  bool operator==(const Config&) const = default;
  // --- DMARC reports ---
  std::string reportStore;        // ReportStore: "" (off) or sqlite:/path; restart-only
  unsigned reportRetention = 31;  // ReportRetention: days the aggregated rows are kept
  size_t reportQueueSize = 10000;  // ReportQueueSize: records waiting for the writer; beyond: dropped, counted
  std::string reportingOrganization;  // ReportingOrganization: org_name of our reports ("" -> AuthservID)
  std::string reportingEmail;         // ReportingEmail: metadata email and From ("" -> postmaster@AuthservID)
  bool reportFormat7489 = false;      // ReportFormat rfc9990|rfc7489
  std::string reportSmtpRelay = "127.0.0.1:25";  // ReportSMTPRelay: where `authmilter report` hands reports
  std::string reportCommand;  // ReportCommand: "" (SMTP to ReportSMTPRelay) or e.g. "/usr/sbin/sendmail -t -oi"
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  std::vector<std::string> errors;       // "FILE:LINE: message"
};

LoadResult loadFile(const std::string& path);
LoadResult parseText(std::string_view text, const std::string& nameForErrors);

// Socket specification in libmilter form: unix:/path, local:/path, inet:PORT@ADDR, inet6:PORT@ADDR.
bool validSocketSpec(std::string_view spec, std::string* why);

// MetricsListen: "127.0.0.1:9471", "[::1]:9471" (port 0: any free port). nullopt with *why.
struct ListenAddress {
  IpAddress addr;
  uint16_t port = 0;
};
std::optional<ListenAddress> parseListenAddress(std::string_view spec, std::string* why);

// Names of every key, for --help and the docs.
std::vector<std::string> keyNames();

// Whether a SIGHUP can change a key. Restart-only keys (the socket, privileges, logging, the DNS
// resolver, the milter server) keep their running value after a reload that changes them.
enum class Reload { Yes, Restart };
Reload reloadOf(std::string_view key);
// Every row of the key table, in table order: its name, whether a reload changes it, and whether it
// is a removed key (setting it is an error naming its replacement). authmilter.conf(5) is checked
// against this list (tests/man).
struct KeyInfo {
  std::string name;
  Reload reload;
  bool removed;
};
std::vector<KeyInfo> knownKeys();
// The restart-only keys whose value differs between two configurations (in key-table order).
std::vector<std::string> restartOnlyChanges(const Config& before, const Config& after);

}  // namespace am::config
