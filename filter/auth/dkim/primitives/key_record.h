// filter/auth/dkim/primitives/key_record.h — DKIM key records (RFC 6376 §3.6.1): the record's
// checks against a signature, public key decoding, and the PKCS#1 → SubjectPublicKeyInfo
// rewrite the libopendkim engine needs.
//
// RFC 6376 §3.6.1 describes p= as an RSAPublicKey, yet nearly every signer publishes a
// SubjectPublicKeyInfo; decodePublicKey() accepts both. A PKCS#1 key is told apart by shape
// (a SEQUENCE whose first element is an INTEGER), not by a trial d2i_PUBKEY(), which on
// OpenSSL 3 costs as much as an RSA verification.
// Pure functions (OpenSSL calls only); thread-safe.
#pragma once
#include <string>
#include <string_view>

#include "filter/auth/dkim/primitives/openssl_ptr.h"
#include "filter/auth/dkim/primitives/sig_error.h"
#include "filter/auth/dkim/primitives/tag_list.h"

namespace am::dkim {

enum class HashAlg { Sha1, Sha256 };
enum class KeyType { Rsa, Ed25519 };

// What a usable key record says beyond p=.
struct KeyRecordUse {
  std::string_view p;    // p= as written (a view into the record)
  bool testing = false;  // t=y
  bool strict = false;   // t=s: i= must be in d= exactly
};

// The record's checks, in the order libopendkim makes them, so both engines name the same
// problem: syntax, v=DKIM1, h= lists the signature's hash, s= allows email, k= known and the
// signature's key type, p= present (empty: revoked). SigError::None when usable, with *use set.
SigError checkKeyRecord(const TagViews& record, HashAlg hash, KeyType type, KeyRecordUse& use);

struct PublicKey {
  EvpPkeyPtr pkey;     // null when p= did not decode to a key of the record's type
  unsigned bits = 0;   // RSA modulus size; 0 for Ed25519
};

// Decodes the base64 p= value (whitespace allowed) as a key of type `type`. RSA accepts both
// SubjectPublicKeyInfo and a bare PKCS#1 RSAPublicKey.
PublicKey decodePublicKey(KeyType type, std::string_view p);

// The record with a bare PKCS#1 RSA p= rewritten as a SubjectPublicKeyInfo (libopendkim decodes
// only the latter); any other record is returned unchanged.
std::string normalizeKeyRecord(std::string_view record);

}  // namespace am::dkim
