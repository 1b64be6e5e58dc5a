// filter/core/options.cpp — see options.h.
#include "filter/core/options.h"

namespace am::core {

dkim::VerifyOptions verifyOptions(const config::Config& cfg) {
  dkim::VerifyOptions v;
  v.maxSignatures = cfg.maxSignatures;
  v.minKeyBits = cfg.minimumKeyBits;
  v.algorithms = cfg.dkimAlgorithms;
  v.bodyLength = cfg.bodyLengthFail ? dkim::VerifyOptions::BodyLength::Fail : dkim::VerifyOptions::BodyLength::Accept;
  v.clockSkew = cfg.clockSkew;
  return v;
}

arc::VerifyOptions arcVerifyOptions(const config::Config& cfg) {
  arc::VerifyOptions o;
  o.minKeyBits = cfg.minimumKeyBits;  // the same floor as DKIM (RFC 8301 §3.2)
  return o;
}

dkim::SignOptions signOptions(const config::Config& cfg) {
  dkim::SignOptions o;
  std::string err;
  dkim::parseCanonicalization(cfg.canonicalization, o, &err);  // validated when the config was read
  if (!cfg.signHeaders.empty()) o.signHeaders = cfg.signHeaders;
  o.oversignHeaders = cfg.oversignHeaders;
  o.expireSeconds = cfg.signatureTtl;
  return o;
}

policy::DmarcOptions dmarcOptions(const config::Config& cfg, bool honorPct) {
  policy::DmarcOptions o;
  o.mode = cfg.dmarcMode == config::DmarcMode::Rfc7489 ? policy::DmarcMode::Rfc7489 : policy::DmarcMode::Rfc9989;
  o.honorPct = honorPct;
  return o;
}

policy::DispositionOptions dispositionOptions(const config::Config& cfg) {
  policy::DispositionOptions o;
  o.rejectFailures = cfg.rejectFailures;
  o.holdQuarantined = cfg.holdQuarantinedMessages;
  o.tempfailOnDnsError = cfg.tempfailOnDnsError;
  o.spfRejectFailures = cfg.spfRejectFailures;
  o.ignoreAuthenticated = cfg.ignoreAuthenticated;
  o.ignoreInternal = cfg.ignoreInternal;
  return o;
}

MilterSettings milterSettings(const config::Config& cfg) {
  MilterSettings m;
  m.socket = cfg.socket;
  m.umask = cfg.umask;
  m.libmilter = cfg.milterLibmilter;
  m.maxConnections = cfg.maxConnections;
  m.timeout = std::chrono::seconds(cfg.milterTimeout);
  m.maxWorkers = cfg.maxWorkers;
  return m;
}

MetricsSettings metricsSettings(const config::Config& cfg) {
  MetricsSettings m;
  if (cfg.metricsListen.empty()) return m;
  auto l = config::parseListenAddress(cfg.metricsListen, nullptr);  // validated when the config was read
  if (!l) return m;
  m.enabled = true;
  m.addr = l->addr;
  m.port = l->port;
  return m;
}

std::optional<dns::Options> dnsOptions(const config::Config& cfg, std::vector<std::string>& errors) {
  dns::Options o;
  for (auto& s : cfg.nameservers) {
    auto srv = dns::parseServer(s);
    if (!srv) {
      errors.push_back(cfg.where("Nameservers") + "Nameservers: bad server '" + s + "'");
      return std::nullopt;
    }
    o.servers.push_back(*srv);
  }
  o.timeout = std::chrono::milliseconds(cfg.dnsTimeoutMs);
  o.retries = cfg.dnsRetries;
  o.cacheEntries = cfg.dnsCacheSize;
  o.cacheBytes = cfg.dnsCacheBytes;
  o.failureTtl = cfg.dnsFailureTtl;
  return o;
}

std::optional<reports::Recorder::Options> recorderOptions(const config::Config& cfg) {
  if (cfg.reportStore.empty()) return std::nullopt;
  reports::Recorder::Options o;
  o.queueLimit = cfg.reportQueueSize;
  return o;
}

std::optional<ReportSettings> reportSettings(const config::Config& cfg, std::vector<std::string>& errors) {
  ReportSettings r;
  std::string why;
  if (!reports::parseRelay(cfg.reportSmtpRelay, r.relay, &why)) {
    errors.push_back(cfg.where("ReportSMTPRelay") + "ReportSMTPRelay: " + why);
    return std::nullopt;
  }
  r.heloName = cfg.authservId;
  r.command = cfg.reportCommand;
  r.store = cfg.reportStore;
  r.retentionDays = cfg.reportRetention;
  r.reporter.orgName = cfg.reportingOrganization.empty() ? cfg.authservId : cfg.reportingOrganization;
  r.reporter.email = cfg.reportingEmail.empty() ? "postmaster@" + cfg.authservId : cfg.reportingEmail;
  r.reporter.generator = std::string("authmilter ") + AM_VERSION;
  r.format = cfg.reportFormat7489 ? reports::Format::Rfc7489 : reports::Format::Rfc9990;
  return r;
}

reports::FailureJob failureJobTemplate(const config::Config& cfg) {
  std::vector<std::string> errors;  // a bad ReportSMTPRelay was refused when the configuration was read
  auto rs = reportSettings(cfg, errors);
  reports::FailureJob j;
  j.settings.sentBy = !cfg.failureReportsSentBy.empty() ? cfg.failureReportsSentBy
                      : rs                              ? rs->reporter.email
                                                        : "postmaster@" + cfg.authservId;
  j.settings.reportingMta = cfg.authservId;
  j.settings.userAgent = std::string("authmilter/") + AM_VERSION;
  j.settings.includeBody = cfg.failureReportsBody;
  if (rs) j.transport = rs->transport(j.settings.sentBy);
  j.bcc = cfg.failureReportsBcc;
  j.ratePerHour = cfg.failureReportsRateLimit;
  return j;
}

}  // namespace am::core
