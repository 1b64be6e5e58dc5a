// filter/core/options.h — the one place where the typed configuration becomes each component's
// options (DKIM verification and signing, DMARC evaluation, disposition, the resolver). Pure functions
// of the Config, the milter front ends' and the metrics exporter's settings); thread-safe.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "filter/auth/arc/verifier.h"
#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/config/config.h"
#include "filter/dns/udp_resolver.h"
#include "policy/disposition.h"
#include "policy/dmarc.h"
#include "reports/aggregate.h"
#include "reports/failure_sender.h"
#include "reports/mail.h"
#include "reports/recorder.h"

namespace am::core {

dkim::VerifyOptions verifyOptions(const config::Config& cfg);
dkim::SignOptions signOptions(const config::Config& cfg);
arc::VerifyOptions arcVerifyOptions(const config::Config& cfg);
// `honorPct` comes from the policy file (the one place for pct handling).
policy::DmarcOptions dmarcOptions(const config::Config& cfg, bool honorPct);
policy::DispositionOptions dispositionOptions(const config::Config& cfg);
// What the milter front ends take from the configuration (filter/main.cpp hands it to the server
// or the libmilter adapter, which cannot be named here: they depend on the core).
struct MilterSettings {
  std::string socket;  // Socket
  unsigned umask = 007;
  bool libmilter = false;  // MilterServer
  size_t maxConnections = 1024;
  std::chrono::seconds timeout{600};  // MilterTimeout
  size_t maxWorkers = 256;
};
MilterSettings milterSettings(const config::Config& cfg);

// Where the metrics are served (MetricsListen); `enabled` false when the key is not set.
struct MetricsSettings {
  bool enabled = false;
  IpAddress addr;
  uint16_t port = 0;
};
MetricsSettings metricsSettings(const config::Config& cfg);

// The resolver's options; a bad Nameservers entry is an error at the key's line (nullopt).
std::optional<dns::Options> dnsOptions(const config::Config& cfg, std::vector<std::string>& errors);

// The report recorder's settings (ReportQueueSize); nullopt when ReportStore is unset (reports off).
std::optional<reports::Recorder::Options> recorderOptions(const config::Config& cfg);

// What `authmilter report` takes from the configuration.
struct ReportSettings {
  std::string store;           // ReportStore ("" = reports off)
  unsigned retentionDays = 31;  // ReportRetention
  reports::Reporter reporter;   // ReportingOrganization, ReportingEmail
  reports::Format format = reports::Format::Rfc9990;
  reports::Relay relay;         // ReportSMTPRelay
  std::string heloName;         // AuthservID
  std::string command;          // ReportCommand ("" = SMTP to the relay)
  // How reports leave: the relay or the command, envelope sender `from`.
  reports::Transport transport(const std::string& from) const {
    reports::Transport t;
    t.relay = relay;
    t.command = command;
    t.heloName = heloName;
    t.from = from;
    return t;
  }
};
// A bad ReportSMTPRelay is an error at its line (nullopt).
std::optional<ReportSettings> reportSettings(const config::Config& cfg, std::vector<std::string>& errors);

// DMARC failure reports (FailureReports*): a job without its message, the settings of `cfg` filled
// in (FailureReportsSentBy or ReportingEmail's value, AuthservID, FailureReportsBcc,
// FailureReportsRateLimit, FailureReportsContent, the transport of the report settings). Read for
// each failing message, so that a reload changes them for the next one.
reports::FailureJob failureJobTemplate(const config::Config& cfg);

}  // namespace am::core
