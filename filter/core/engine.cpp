// filter/core/engine.cpp — see engine.h.
#include "filter/core/engine.h"

#include "common/strings.h"
#include "filter/auth/arc/verifier.h"
#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/core/debug_resolver.h"
#include "filter/core/options.h"
#include "filter/dns/udp_resolver.h"
#include "filter/psl/libpsl_suffix.h"
#include "policy/signing_table.h"

namespace am::core {
namespace {

std::unique_ptr<Resolver> makeResolver(const config::Config& cfg, std::vector<std::string>& errors,
                                       metrics::Registry* metrics = nullptr) {
  auto o = dnsOptions(cfg, errors);
  if (!o) return nullptr;
  o->metrics = metrics;
  std::string err;
  auto r = dns::UdpResolver::create(*o, &err);
  if (!r) errors.push_back(cfg.where("Nameservers") + "DNS resolver: " + err);
  return r;
}

// The policy file (or an empty one), with the OpenDKIM tables merged into its signing table.
std::shared_ptr<policy::PolicyFile> loadPolicy(const config::Config& cfg, std::vector<std::string>& errors) {
  std::shared_ptr<const policy::PolicyFile> loaded =
      cfg.policyFile.empty() ? policy::parsePolicyText("", "(no policy file)", errors)
                             : policy::loadPolicyFile(cfg.policyFile, errors);
  if (!loaded) return nullptr;
  auto pf = std::make_shared<policy::PolicyFile>(*loaded);
  if (!cfg.keyTable.empty())
    policy::loadOpenDkimTables(cfg.keyTable, cfg.signingTable, pf->signing, errors);
  else if (!cfg.signingTable.empty())
    errors.push_back(cfg.where("SigningTable") + "SigningTable needs a KeyTable");
  pf->signing.multipleSignatures = pf->signing.multipleSignatures || cfg.multipleSignatures;
  return pf;
}

// `arc-seal` keys: a file becomes a key entry of its own (loaded with the signing keys); a name
// must be a `key` line or a KeyTable entry. Errors carry the rule's FILE:LINE.
std::vector<ArcSealer> resolveArcSeals(policy::PolicyFile& pf, std::vector<std::string>& errors) {
  std::vector<ArcSealer> out;
  for (const auto& r : pf.arcSeals) {
    policy::KeyEntry k;
    if (r.keyIsPath) {
      k.name = "arc-seal:" + r.domain;
      k.domain = r.domain;
      k.selector = r.selector;
      k.keyPath = r.key;
      k.algFromKey = true;
      k.origin = r.origin;
      pf.signing.keys.push_back(k);
    } else if (const policy::KeyEntry* e = pf.signing.findKey(r.key)) {
      k = *e;
    } else {
      errors.push_back(r.origin + ": arc-seal: no key named '" + r.key +
                       "' (declare it with a `key` line or in the KeyTable, or give a key file path)");
      continue;
    }
    out.push_back({r, std::move(k)});
  }
  return out;
}

bool isTcpSocket(std::string_view spec) {
  return spec.size() > 5 && (iequals(spec.substr(0, 5), "inet:") || iequals(spec.substr(0, 6), "inet6:"));
}

}  // namespace

Snapshot::Snapshot() = default;
Snapshot::~Snapshot() = default;

bool Snapshot::isInternal(const ClientInfo& client) const {
  for (auto& h : internalHosts)
    if (h.matches(client)) return true;
  return false;
}

std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> cfg, Resolver& dns,
                                              const Clock& clock, std::vector<std::string>& errors) {
  auto s = std::make_shared<Snapshot>();
  size_t before = errors.size();
  auto pf = loadPolicy(*cfg, errors);
  if (pf) s->arcSealers = resolveArcSeals(*pf, errors);
  if (pf && !pf->signing.keys.empty()) s->keys = std::shared_ptr<const dkim::KeyStore>(dkim::KeyStore::load(pf->signing, errors));
  for (auto& h : cfg->internalHosts) {
    if (auto p = policy::parseHostPattern(h)) s->internalHosts.push_back(*p);
    else errors.push_back(cfg->where("InternalHosts") + "InternalHosts: invalid address, network or host name '" + h + "'");
  }
  std::string err;
  if (cfg->dmarcMode == config::DmarcMode::Rfc7489) {
    s->psl = psl::LibPsl::load(cfg->publicSuffixList, &err);
    if (!s->psl)
      errors.push_back(cfg->where(cfg->lines.count("PublicSuffixList") ? "PublicSuffixList" : "DMARCMode") +
                       "PublicSuffixList: " + err);
  }
  s->dkim = dkim::createVerifier(cfg->dkimLibopendkim, dns, verifyOptions(*cfg), clock, &err);
  if (!s->dkim) errors.push_back(cfg->where("DKIMVerifier") + "DKIM verifier: " + err);
  s->arc = arc::Verifier::create(dns, arcVerifyOptions(*cfg), &err);
  if (!s->arc) errors.push_back(cfg->where("MinimumKeyBits") + "ARC verifier: " + err);
  spf::Options so;
  so.timeBudget = std::chrono::milliseconds(cfg->spfTimeoutMs);
  so.receiver = cfg->authservId;
  s->spf = std::make_unique<spf::Evaluator>(dns, so, clock);
  if (!cfg->reportStore.empty() && !reports::validStoreUri(cfg->reportStore, &err))
    errors.push_back(cfg->where("ReportStore") + "ReportStore: " + err);
  reportSettings(*cfg, errors);  // ReportSMTPRelay: --check-config sees what `authmilter report` would refuse
  s->config = std::move(cfg);
  s->policy = std::move(pf);
  if (errors.size() != before || !s->policy) return nullptr;
  return s;
}

std::vector<std::string> configurationWarnings(const Snapshot& snap) {
  std::vector<std::string> out;
  const auto& cfg = *snap.config;
  if (snap.keys && isTcpSocket(cfg.socket))
    out.push_back(cfg.where("Socket") + "Socket " + cfg.socket +
                  ": signing keys are loaded and the milter socket is TCP: any local user who can connect "
                  "to it can claim {auth_authen} and have mail signed for every signing domain; use a unix "
                  "socket in a directory only the MTA's group can enter");
  return out;
}

std::unique_ptr<Engine> Engine::create(std::shared_ptr<const config::Config> cfg, Logger& log,
                                       std::unique_ptr<Resolver> dns, const Clock& clock,
                                       std::vector<std::string>& errors) {
  std::unique_ptr<Engine> e(new Engine(log, clock));
  if (metricsSettings(*cfg).enabled) {
    e->metrics_ = std::make_unique<metrics::Registry>();
    e->messageMetrics_ = std::make_unique<MessageMetrics>(*e->metrics_);
    Engine* self = e.get();
    e->metrics_->gaugeFrom("authmilter_messages_in_flight", "Transactions between MAIL FROM and their end", {},
                           [self] { return static_cast<double>(self->transactionsInFlight.load()); });
  }
  e->dns_ = dns ? std::move(dns) : makeResolver(*cfg, errors, e->metrics_.get());
  if (!e->dns_) return nullptr;
  if (cfg->logDebug) e->dns_ = std::make_unique<DebugResolver>(std::move(e->dns_), log);  // LogDebug: each answer
  e->snap_ = buildSnapshot(cfg, *e->dns_, clock, errors);
  if (!e->snap_) return nullptr;
  if (auto ro = recorderOptions(*cfg)) {
    std::string uri = cfg->reportStore;
    Logger* lg = &log;
    e->recorder_ = std::make_unique<reports::Recorder>(
        [uri](std::string* err) { return reports::openStore(uri, err); }, *ro,
        [lg](std::string_view line) { lg->warning(line); });
    if (e->metrics_) {  // read from the recorder's own counts at scrape time
      Engine* self = e.get();
      const char* help = "DMARC report records: written to the store, or dropped (queue full, store failed)";
      e->metrics_->counterFrom("authmilter_report_records_total", help, {{"outcome", "written"}},
                               [self] { return self->recorder_->stats().written; });
      e->metrics_->counterFrom("authmilter_report_records_total", help, {{"outcome", "dropped_queue_full"}},
                               [self] { return self->recorder_->stats().droppedQueueFull; });
      e->metrics_->counterFrom("authmilter_report_records_total", help, {{"outcome", "dropped_store"}},
                               [self] { return self->recorder_->stats().droppedStore; });
    }
  }
  if (cfg->failureReports) {
    Logger* lg = &log;
    e->failureReporter_ = std::make_unique<reports::FailureReporter>(
        [](const reports::Transport& t, const std::string& to, const std::string& msg) {
          return reports::sendMessage(t, to, msg);
        },
        *e->dns_, clock, reports::FailureReporter::Options{},
        [lg](reports::FailureReporter::Level l, std::string_view line) {
          if (l == reports::FailureReporter::Level::Info) lg->info(line);
          else lg->warning(line);
        });
    if (e->metrics_) {  // read from the reporter's own counts at scrape time
      Engine* self = e.get();
      const char* help = "DMARC failure reports: messages the relay accepted, destinations refused, sends failed, "
                         "reports dropped (over the rate limit, queue full, at shutdown)";
      using Stats = reports::FailureReporter::Stats;
      for (auto [name, field] : {std::pair{"sent", &Stats::sent}, {"refused", &Stats::refused}, {"failed", &Stats::failed},
                                 {"rate_limited", &Stats::rateLimited}, {"dropped_queue_full", &Stats::droppedQueueFull},
                                 {"dropped_at_stop", &Stats::droppedAtStop}})
        e->metrics_->counterFrom("authmilter_failure_reports_total", help, {{"outcome", name}},
                                 [self, field = field] { return self->failureReporter_->stats().*field; });
    }
  }
  return e;
}

Engine::Engine(Logger& log, const Clock& clock) : log_(log), clock_(clock) {}

Engine::~Engine() = default;

std::shared_ptr<const Snapshot> Engine::snapshot() const {
  std::lock_guard lk(mu_);
  return snap_;
}

bool Engine::reload(const std::string& configPath, std::vector<std::string>& errors) {
  bool ok = rebuild(configPath, errors);
  if (messageMetrics_) messageMetrics_->reload(ok);
  return ok;
}

bool Engine::rebuild(const std::string& configPath, std::vector<std::string>& errors) {
  auto loaded = config::loadFile(configPath);
  if (!loaded.config) {
    errors = loaded.errors;
    return false;
  }
  auto s = buildSnapshot(loaded.config, *dns_, clock_, errors);
  if (!s) return false;
  auto old = snapshot();
  for (auto& key : config::restartOnlyChanges(*old->config, *loaded.config))
    log_.warning("reload: " + loaded.config->where(key) + key + " changed; it takes effect only after a restart (" +
                 "the running value stays)");
  for (auto& w : configurationWarnings(*s)) log_.warning(w);
  std::lock_guard lk(mu_);
  snap_ = std::move(s);
  return true;
}

std::vector<std::string> checkConfiguration(const std::string& configPath, std::vector<std::string>* warnings) {
  auto loaded = config::loadFile(configPath);
  if (!loaded.config) return loaded.errors;
  std::vector<std::string> errors;
  auto dns = makeResolver(*loaded.config, errors);
  if (!dns) return errors;
  auto snap = buildSnapshot(loaded.config, *dns, SystemClock::instance(), errors);
  if (snap && warnings) *warnings = configurationWarnings(*snap);
  return errors;
}

}  // namespace am::core
