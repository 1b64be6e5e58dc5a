// filter/core/options.h — the one place where the typed configuration becomes each component's
// options (DKIM verification and signing, DMARC evaluation, disposition, the resolver). Pure functions
// of the Config; thread-safe. (The milter server takes Socket and UMask as they are: filter/main.cpp.)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/config/config.h"
#include "filter/dns/udp_resolver.h"
#include "policy/disposition.h"
#include "policy/dmarc.h"

namespace am::core {

dkim::VerifyOptions verifyOptions(const config::Config& cfg);
dkim::SignOptions signOptions(const config::Config& cfg);
// `honorPct` comes from the policy file (the one place for pct handling).
policy::DmarcOptions dmarcOptions(const config::Config& cfg, bool honorPct);
policy::DispositionOptions dispositionOptions(const config::Config& cfg);
// The resolver's options; a bad Nameservers entry is an error at the key's line (nullopt).
std::optional<dns::Options> dnsOptions(const config::Config& cfg, std::vector<std::string>& errors);

}  // namespace am::core
