// filter/auth/dkim_sign/keystore.h — decoded DKIM private keys, loaded once (start / reload).
//
// KeyStore::load reads every KeyEntry of a SigningTable, refuses unsafe or unusable keys and
// keeps each decoded key as an EVP_PKEY, so signing never decodes PEM per message (decoding
// costs more than an RSA-2048 signature on OpenSSL 3.0; see docs/signing.md).
// Checks per key file: it opens, it is a regular file, it is not readable or writable by group
// or others, it is an unencrypted PEM private key, it is RSA (>= 1024 bits) or Ed25519, and it
// matches the declared algorithm. Loading is all-or-nothing: any error → nullptr, every error
// reported as "ORIGIN: key 'NAME': message" (ORIGIN = FILE:LINE of the declaration).
// Ownership: the store owns its keys; Signing objects borrow them, so a store must outlive
// the signings started from it (keep it in the same config snapshot as the table).
// Thread-safety: immutable after load; concurrent signing with the same keys is safe.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "filter/auth/dkim/primitives/openssl_ptr.h"
#include "policy/signing_table.h"

namespace am::dkim {

using Alg = policy::KeyEntry::Alg;

struct LoadedKey {
  std::string name, domain, selector, keyPath;
  Alg alg = Alg::Rsa;
  unsigned bits = 0;  // RSA modulus bits; 256 for Ed25519
  EvpPkeyPtr pkey;
};

class KeyStore {
 public:
  static std::unique_ptr<KeyStore> load(const policy::SigningTable& t, std::vector<std::string>& errors);
  const LoadedKey* find(const policy::KeyEntry& e) const;  // by name and path
  size_t size() const { return keys_.size(); }

 private:
  KeyStore() = default;
  std::vector<LoadedKey> keys_;
};

// Reads and checks one private key file (mode, format, type, size). `declared` empty = any
// supported type. On failure returns nullopt and sets *err (without a prefix).
std::optional<LoadedKey> loadKeyFile(const std::string& path, std::optional<Alg> declared, std::string* err);

const char* algName(Alg a);  // "rsa-sha256" / "ed25519-sha256"

}  // namespace am::dkim
