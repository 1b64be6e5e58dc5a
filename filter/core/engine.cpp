// filter/core/engine.cpp — see engine.h.
#include "filter/core/engine.h"

#include "common/strings.h"
#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/core/options.h"
#include "filter/dns/udp_resolver.h"
#include "filter/psl/libpsl_suffix.h"
#include "policy/signing_table.h"

namespace am::core {
namespace {

std::unique_ptr<Resolver> makeResolver(const config::Config& cfg, std::vector<std::string>& errors) {
  dns::Options o;
  for (auto& s : cfg.nameservers) {
    auto srv = dns::parseServer(s);
    if (!srv) {
      errors.push_back(cfg.path + ":0: Nameservers: bad server '" + s + "'");
      return nullptr;
    }
    o.servers.push_back(*srv);
  }
  o.timeout = std::chrono::milliseconds(cfg.dnsTimeoutMs);
  o.retries = cfg.dnsRetries;
  o.cacheEntries = cfg.dnsCacheSize;
  std::string err;
  auto r = dns::UdpResolver::create(o, &err);
  if (!r) errors.push_back(cfg.path + ":0: DNS resolver: " + err);
  return r;
}

}  // namespace

bool Snapshot::isInternal(const IpAddress* addr, std::string_view hostname) const {
  if (addr)
    for (auto& n : internalNets)
      if (n.contains(*addr)) return true;
  for (auto& h : internalNames)
    if (!hostname.empty() && iequals(h, hostname)) return true;
  return false;
}

std::shared_ptr<const Snapshot> Engine::buildSnapshot(std::shared_ptr<const config::Config> cfg,
                                                      std::vector<std::string>& errors) {
  auto s = std::make_shared<Snapshot>();
  size_t before = errors.size();
  std::shared_ptr<policy::PolicyFile> pf;
  if (!cfg->policyFile.empty()) {
    auto loaded = policy::loadPolicyFile(cfg->policyFile, errors);
    if (loaded) pf = std::make_shared<policy::PolicyFile>(*loaded);
  } else {
    auto empty = policy::parsePolicyText("", "(no policy file)", errors);
    if (empty) pf = std::make_shared<policy::PolicyFile>(*empty);
  }
  if (pf && !cfg->keyTable.empty())
    policy::loadOpenDkimTables(cfg->keyTable, cfg->signingTable, pf->signing, errors);
  else if (pf && !cfg->signingTable.empty())
    errors.push_back(cfg->path + ":0: SigningTable needs a KeyTable");
  if (pf) pf->signing.multipleSignatures = pf->signing.multipleSignatures || cfg->multipleSignatures;
  if (pf && !pf->signing.keys.empty()) {
    auto keys = dkim::KeyStore::load(pf->signing, errors);
    s->keys = std::shared_ptr<const dkim::KeyStore>(std::move(keys));
  }
  for (auto& h : cfg->internalHosts) {
    if (auto c = Cidr::parse(h)) s->internalNets.push_back(*c);
    else s->internalNames.push_back(toLower(h));
  }
  spf::Options so;
  so.timeBudget = std::chrono::milliseconds(cfg->spfTimeoutMs);
  so.receiver = cfg->authservId;
  s->spf = std::make_unique<spf::Evaluator>(*dns_, so, clock_);
  s->config = std::move(cfg);
  s->policy = std::move(pf);
  if (errors.size() != before || !s->policy) return nullptr;
  return s;
}

std::unique_ptr<Engine> Engine::create(std::shared_ptr<const config::Config> cfg, Logger& log,
                                       std::unique_ptr<Resolver> dns, const Clock& clock,
                                       std::vector<std::string>& errors) {
  std::unique_ptr<Engine> e(new Engine(log, clock));
  e->dns_ = dns ? std::move(dns) : makeResolver(*cfg, errors);
  if (!e->dns_) return nullptr;
  std::string err;
  e->dkim_ = dkim::createVerifier(cfg->dkimLibopendkim, *e->dns_, verifyOptions(*cfg), clock, &err);
  if (!e->dkim_) {
    errors.push_back(cfg->path + ":0: DKIM verifier: " + err);
    return nullptr;
  }
  if (cfg->dmarcMode == config::DmarcMode::Rfc7489) {
    e->psl_ = psl::LibPsl::load(cfg->publicSuffixList, &err);
    if (!e->psl_) {
      errors.push_back(cfg->path + ":0: PublicSuffixList: " + err);
      return nullptr;
    }
  }
  e->snap_ = e->buildSnapshot(std::move(cfg), errors);
  if (!e->snap_) return nullptr;
  return e;
}

Engine::Engine(Logger& log, const Clock& clock) : log_(log), clock_(clock) {}

Engine::~Engine() = default;

std::shared_ptr<const Snapshot> Engine::snapshot() const {
  std::lock_guard lk(mu_);
  return snap_;
}

bool Engine::reload(const std::string& configPath, std::vector<std::string>& errors) {
  auto loaded = config::loadFile(configPath);
  if (!loaded.config) {
    errors = loaded.errors;
    return false;
  }
  auto old = snapshot();
  const auto& n = *loaded.config;
  const auto& o = *old->config;
  if (n.socket != o.socket || n.userId != o.userId || n.nameservers != o.nameservers ||
      n.milterLibmilter != o.milterLibmilter)
    log_.warning("reload: Socket, UserID, Nameservers and MilterServer changes take effect only after a restart");
  if (n.dkimLibopendkim != o.dkimLibopendkim || n.maxSignatures != o.maxSignatures ||
      n.minimumKeyBits != o.minimumKeyBits || n.dkimAlgorithms != o.dkimAlgorithms ||
      n.bodyLengthFail != o.bodyLengthFail || n.clockSkew != o.clockSkew)
    log_.warning("reload: DKIM verification settings (DKIMVerifier, MaximumSignaturesToVerify, MinimumKeyBits, "
                 "DKIMAlgorithms, BodyLengthPolicy, ClockSkew) take effect only after a restart");
  auto s = buildSnapshot(loaded.config, errors);
  if (!s) return false;
  std::lock_guard lk(mu_);
  snap_ = std::move(s);
  return true;
}

std::vector<std::string> checkConfiguration(const std::string& configPath) {
  auto loaded = config::loadFile(configPath);
  if (!loaded.config) return loaded.errors;
  std::vector<std::string> errors;
  const auto& cfg = *loaded.config;
  std::shared_ptr<const policy::PolicyFile> pf;
  if (!cfg.policyFile.empty()) pf = policy::loadPolicyFile(cfg.policyFile, errors);
  if (pf) {  // the signing keys must load too: permissions, format, algorithm
    policy::SigningTable table = pf->signing;
    if (!cfg.keyTable.empty()) policy::loadOpenDkimTables(cfg.keyTable, cfg.signingTable, table, errors);
    if (!table.keys.empty()) dkim::KeyStore::load(table, errors);
  }
  if (cfg.dmarcMode == config::DmarcMode::Rfc7489) {
    std::string err;
    if (!psl::LibPsl::load(cfg.publicSuffixList, &err)) errors.push_back(configPath + ":0: PublicSuffixList: " + err);
  }
  return errors;
}

}  // namespace am::core
