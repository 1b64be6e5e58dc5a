// filter/auth/dkim/primitives/sig_error.cpp — reason texts and stages of SigError (see
// sig_error.h).
#include "filter/auth/dkim/primitives/sig_error.h"

namespace am::dkim {

const char* sigErrorText(SigError e) {
  switch (e) {
    case SigError::None: case SigError::Other: return "";
    case SigError::VersionMissing: return "signature version (v=) missing";
    case SigError::VersionEmpty: return "signature version (v=) empty";
    case SigError::VersionUnsupported: return "signature version (v=) not supported";
    case SigError::AlgorithmMissing: return "algorithm (a=) missing";
    case SigError::AlgorithmUnknown: return "algorithm (a=) not supported";
    case SigError::SignatureMissing: return "signature (b=) missing";
    case SigError::SignatureEmpty: return "signature (b=) empty";
    case SigError::SignatureCorrupt: return "signature (b=) not valid base64";
    case SigError::BodyHashMissing: return "body hash (bh=) missing";
    case SigError::BodyHashEmpty: return "body hash (bh=) empty";
    case SigError::BodyHashCorrupt: return "body hash (bh=) not valid base64";
    case SigError::HeaderCanonUnknown: return "header canonicalization (c=) not supported";
    case SigError::BodyCanonUnknown: return "body canonicalization (c=) not supported";
    case SigError::DomainMissing: return "signing domain (d=) missing";
    case SigError::DomainEmpty: return "signing domain (d=) empty";
    case SigError::HeadersMissing: return "signed header list (h=) missing";
    case SigError::HeadersEmpty: return "signed header list (h=) empty";
    case SigError::FromNotSigned: return "signed header list (h=) lacks From";
    case SigError::IdentityOutsideDomain: return "i= not within d=";
    case SigError::LengthInvalid: return "body length (l=) not a number";
    case SigError::QueryMethodUnknown: return "query method (q=) not supported";
    case SigError::QueryOptionInvalid: return "query method (q=) option not supported";
    case SigError::SelectorMissing: return "selector (s=) missing";
    case SigError::SelectorEmpty: return "selector (s=) empty";
    case SigError::TimestampOrder: return "x= earlier than t=";
    case SigError::TimestampOutOfRange: return "signature timestamp out of range";
    case SigError::KeyTempFail: return "key lookup failed (temporary DNS error)";
    case SigError::KeyNotFound: return "key not found";
    case SigError::KeyMultiple: return "multiple key records";
    case SigError::KeySyntax: return "key record syntax error";
    case SigError::KeyVersion: return "key version (v=) not DKIM1";
    case SigError::KeyHashUnknown: return "key hash list (h=) names no known hash";
    case SigError::KeyHashMismatch: return "key hash list (h=) excludes the signature's hash";
    case SigError::KeyNotEmail: return "key service type (s=) excludes email";
    case SigError::KeyTypeMissing: return "key type (k=) missing";
    case SigError::KeyTypeUnknown: return "key type (k=) unknown or not the signature's";
    case SigError::KeyRevoked: return "key revoked";
    case SigError::KeyDecode: return "public key (p=) does not decode";
    case SigError::SubdomainNotAllowed: return "i= in a subdomain of d= but the key has t=s";
    case SigError::BadSignature: return "signature mismatch";
    case SigError::KeyTooSmall: return "key too small";
    case SigError::LengthExceedsBody: return "l= exceeds body length";
  }
  return "";
}

bool isKeyStage(SigError e) { return e >= SigError::KeyTempFail && e <= SigError::KeyDecode; }

bool isHeaderStage(SigError e) {
  return (e >= SigError::VersionMissing && e <= SigError::TimestampOutOfRange) ||
         e == SigError::SubdomainNotAllowed || e == SigError::Other;
}

}  // namespace am::dkim
