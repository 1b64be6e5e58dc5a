// common/client.h — ClientInfo: the SMTP client of one connection, classified once at connect
// (address, host name, internal or not) and completed at HELO and MAIL FROM (HELO name, SMTP
// AUTH, TLS). SPF, signing and the disposition read it; none of them classifies a client again.
// A plain value; thread-safe to read.
#pragma once
#include <optional>
#include <string>

#include "common/ip.h"

namespace am {

struct ClientInfo {
  std::optional<IpAddress> addr;  // none when the MTA gave no address (a local submission)
  std::string hostname;           // lowercase, as the MTA gave it ("unknown" or "[ip]" when unverified)
  std::string helo;
  std::string authUser;           // {auth_authen}; "" when the client did not authenticate
  std::string tlsVersion;         // {tls_version}; "" without TLS
  std::string tlsCipher;          // {cipher}
  std::string tlsBits;            // {cipher_bits}: the cipher's key length
  bool internal = false;          // matched InternalHosts

  bool authenticated() const { return !authUser.empty(); }
  // The client used STARTTLS (the MTA gave {tls_version}; it gives none for a plain connection).
  bool tls() const { return !tlsVersion.empty(); }
  // The name is one the MTA verified: not empty, not "unknown", not an "[address]" literal.
  bool verifiedName() const { return !hostname.empty() && hostname != "unknown" && hostname.front() != '['; }
};

}  // namespace am
