// filter/core/options.h — the one place where the typed configuration becomes each component's
// options (DKIM verification and signing, DMARC evaluation, disposition). Pure functions of the
// Config; thread-safe.
#pragma once
#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/config/config.h"
#include "policy/disposition.h"
#include "policy/dmarc.h"

namespace am::core {

dkim::VerifyOptions verifyOptions(const config::Config& cfg);
dkim::SignOptions signOptions(const config::Config& cfg);
// `honorPct` comes from the policy file (the one place for pct handling).
policy::DmarcOptions dmarcOptions(const config::Config& cfg, bool honorPct);
policy::DispositionOptions dispositionOptions(const config::Config& cfg);

}  // namespace am::core
