// filter/auth/dkim/verifier.cpp — createVerifier(): picks the DKIM engine (see verifier.h).
#include "filter/auth/dkim/verifier.h"

#include "filter/auth/dkim/native_verifier.h"
#include "filter/auth/dkim/opendkim_verifier.h"

namespace am::dkim {

std::unique_ptr<Verifier> createVerifier(bool libopendkim, Resolver& dns, VerifyOptions o,
                                         const Clock& clock, std::string* err) {
  if (libopendkim) return OpenDkimVerifier::create(dns, std::move(o), clock, err);
  return NativeVerifier::create(dns, std::move(o), clock, err);
}

}  // namespace am::dkim
