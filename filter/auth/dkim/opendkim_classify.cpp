// filter/auth/dkim/opendkim_classify.cpp — libopendkim codes → SigFacts (see opendkim_classify.h).
#include "filter/auth/dkim/opendkim_classify.h"

namespace am::dkim {

SigError sigErrorFromLibopendkim(int code) {
  switch (code) {
    case DKIM_SIGERROR_UNKNOWN: case DKIM_SIGERROR_OK: return SigError::None;
    case DKIM_SIGERROR_VERSION: return SigError::VersionUnsupported;
    case DKIM_SIGERROR_MISSING_V: return SigError::VersionMissing;
    case DKIM_SIGERROR_EMPTY_V: return SigError::VersionEmpty;
    case DKIM_SIGERROR_DOMAIN: return SigError::IdentityOutsideDomain;
    case DKIM_SIGERROR_EXPIRED: case DKIM_SIGERROR_FUTURE: return SigError::TimestampOutOfRange;
    case DKIM_SIGERROR_TIMESTAMPS: return SigError::TimestampOrder;
    case DKIM_SIGERROR_INVALID_HC: return SigError::HeaderCanonUnknown;
    case DKIM_SIGERROR_INVALID_BC: return SigError::BodyCanonUnknown;
    case DKIM_SIGERROR_MISSING_A: return SigError::AlgorithmMissing;
    case DKIM_SIGERROR_INVALID_A: return SigError::AlgorithmUnknown;
    case DKIM_SIGERROR_MISSING_H: return SigError::HeadersMissing;
    case DKIM_SIGERROR_EMPTY_H: return SigError::HeadersEmpty;
    case DKIM_SIGERROR_INVALID_H: return SigError::FromNotSigned;
    case DKIM_SIGERROR_INVALID_L: return SigError::LengthInvalid;
    case DKIM_SIGERROR_INVALID_Q: return SigError::QueryMethodUnknown;
    case DKIM_SIGERROR_INVALID_QO: return SigError::QueryOptionInvalid;
    case DKIM_SIGERROR_MISSING_D: return SigError::DomainMissing;
    case DKIM_SIGERROR_EMPTY_D: return SigError::DomainEmpty;
    case DKIM_SIGERROR_MISSING_S: return SigError::SelectorMissing;
    case DKIM_SIGERROR_EMPTY_S: return SigError::SelectorEmpty;
    case DKIM_SIGERROR_MISSING_B: return SigError::SignatureMissing;
    case DKIM_SIGERROR_EMPTY_B: return SigError::SignatureEmpty;
    case DKIM_SIGERROR_CORRUPT_B: return SigError::SignatureCorrupt;
    case DKIM_SIGERROR_MISSING_BH: return SigError::BodyHashMissing;
    case DKIM_SIGERROR_EMPTY_BH: return SigError::BodyHashEmpty;
    case DKIM_SIGERROR_CORRUPT_BH: return SigError::BodyHashCorrupt;
    case DKIM_SIGERROR_NOKEY: return SigError::KeyNotFound;
    case DKIM_SIGERROR_DNSSYNTAX: return SigError::KeySyntax;
    case DKIM_SIGERROR_KEYFAIL: return SigError::KeyTempFail;
    case DKIM_SIGERROR_MULTIREPLY: return SigError::KeyMultiple;
    case DKIM_SIGERROR_KEYVERSION: return SigError::KeyVersion;
    case DKIM_SIGERROR_KEYUNKNOWNHASH: return SigError::KeyHashUnknown;
    case DKIM_SIGERROR_KEYHASHMISMATCH: return SigError::KeyHashMismatch;
    case DKIM_SIGERROR_NOTEMAILKEY: return SigError::KeyNotEmail;
    case DKIM_SIGERROR_KEYTYPEMISSING: return SigError::KeyTypeMissing;
    case DKIM_SIGERROR_KEYTYPEUNKNOWN: return SigError::KeyTypeUnknown;
    case DKIM_SIGERROR_KEYREVOKED: return SigError::KeyRevoked;
    case DKIM_SIGERROR_KEYDECODE: return SigError::KeyDecode;
    case DKIM_SIGERROR_SUBDOMAIN: return SigError::SubdomainNotAllowed;
    case DKIM_SIGERROR_BADSIG: return SigError::BadSignature;
    case DKIM_SIGERROR_KEYTOOSMALL: return SigError::KeyTooSmall;
    case DKIM_SIGERROR_TOOLARGE_L: return SigError::LengthExceedsBody;
    default: return SigError::Other;
  }
}

void setLibopendkimFacts(SigFacts& f, int error, unsigned flags, int bodyHash) {
  f.error = sigErrorFromLibopendkim(error);
  if (f.error == SigError::Other) {
    const char* s = dkim_sig_geterrorstr(error);
    f.otherText = s != nullptr ? s : "signature error " + std::to_string(error);
  }
  f.processed = (flags & DKIM_SIGFLAG_PROCESSED) != 0;
  f.headerVerified = (flags & DKIM_SIGFLAG_PASSED) != 0;
  f.testKey = (flags & DKIM_SIGFLAG_TESTKEY) != 0;
  f.bodyHash = bodyHash == DKIM_SIGBH_MATCH      ? BodyHashCheck::Match
               : bodyHash == DKIM_SIGBH_MISMATCH ? BodyHashCheck::Mismatch
                                                 : BodyHashCheck::NotChecked;
}

}  // namespace am::dkim
