// filter/auth/dkim_sign/keygen.h — DKIM key generation and DNS record text
// (`authmilter keygen -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS] [-D DIR]`).
//
// keygen() writes DIR/DOMAIN.SELECTOR.key (PKCS#8 PEM, mode 0600 whatever the umask,
// never overwriting an existing file) and returns a zone-file record:
//   sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; " "p=MIIB..." )
// with the TXT data split into quoted strings of at most 255 bytes.
// Thread-safety: reentrant (no shared state).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "filter/auth/dkim_sign/keystore.h"

namespace am::dkim {

struct KeygenResult {
  std::string privateKeyPath;
  std::string dnsRecord;  // zone-file line(s), see above
};

// bits: RSA modulus size, 0 = 2048; 1024..4096 accepted. Ignored for Ed25519.
std::optional<KeygenResult> keygen(std::string_view domain, std::string_view selector, Alg alg, unsigned bits,
                                   const std::string& dir, std::string* err);

// "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>" or "v=DKIM1; k=ed25519; p=<base64 raw 32 bytes>".
std::optional<std::string> publicKeyTxt(EVP_PKEY* key);

// The zone-file form of a TXT record for SELECTOR._domainkey.DOMAIN.
std::string zoneFileRecord(std::string_view domain, std::string_view selector, std::string_view txt);

}  // namespace am::dkim
