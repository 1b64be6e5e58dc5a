// filter/auth/dkim/primitives/openssl_ptr.h — RAII owners for the OpenSSL handles of DKIM
// signing, verification and key generation. Stateless deleters; each pointer owns exactly one
// reference.
// Thread-safety: as the underlying handle (an EVP_PKEY or a fetched EVP_MD may be shared
// read-only by threads; EVP_MD_CTX / EVP_PKEY_CTX / BIO belong to one thread at a time).
#pragma once
#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>

namespace am::dkim {

struct EvpPkeyFree { void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); } };
struct EvpPkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); } };
struct EvpMdCtxFree { void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); } };
struct EvpMdFree { void operator()(EVP_MD* m) const noexcept { EVP_MD_free(m); } };
struct BioFree { void operator()(BIO* p) const noexcept { BIO_free_all(p); } };

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using EvpMdPtr = std::unique_ptr<EVP_MD, EvpMdFree>;  // from EVP_MD_fetch
using BioPtr = std::unique_ptr<BIO, BioFree>;

}  // namespace am::dkim
