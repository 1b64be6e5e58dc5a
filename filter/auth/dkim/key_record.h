// filter/auth/dkim/key_record.h — interop fix-ups applied to a DKIM key TXT record before
// libopendkim sees it. RFC 6376 §3.6.1 describes p= as an RSAPublicKey, yet nearly every
// signer publishes a SubjectPublicKeyInfo, and libopendkim only decodes the latter
// (d2i_PUBKEY). A record whose p= is a bare PKCS#1 RSAPublicKey is rewritten to carry the
// equivalent SubjectPublicKeyInfo; anything else is returned unchanged.
// Pure function (OpenSSL calls only); thread-safe.
#pragma once
#include <string>
#include <string_view>

namespace am::dkim {

std::string normalizeKeyRecord(std::string_view record);

}  // namespace am::dkim
