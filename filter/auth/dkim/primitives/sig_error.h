// filter/auth/dkim/primitives/sig_error.h — what is wrong with one DKIM signature, in terms
// that belong to no engine. The native verifier reports these directly; the libopendkim engine
// maps its DKIM_SIGERROR_* codes onto them (opendkim_verifier.cpp), so one result table
// (filter/auth/dkim/classify.h) and one set of reason texts serve both.
// Grouped by the stage that finds them: the signature header (RFC 6376 §3.5), the key record
// (§3.6), then verification. Pure values; thread-safe.
#pragma once

namespace am::dkim {

enum class SigError {
  None,  // nothing found against the signature (so far)
  // The signature header.
  VersionMissing, VersionEmpty, VersionUnsupported,             // v=
  AlgorithmMissing, AlgorithmUnknown,                           // a=
  SignatureMissing, SignatureEmpty, SignatureCorrupt,           // b=
  BodyHashMissing, BodyHashEmpty, BodyHashCorrupt,              // bh=
  HeaderCanonUnknown, BodyCanonUnknown,                         // c=
  DomainMissing, DomainEmpty,                                   // d=
  HeadersMissing, HeadersEmpty, FromNotSigned,                  // h=
  IdentityOutsideDomain,                                        // i=
  LengthInvalid,                                                // l=
  QueryMethodUnknown, QueryOptionInvalid,                       // q=
  SelectorMissing, SelectorEmpty,                               // s=
  TimestampOrder,                                               // x= < t=
  TimestampOutOfRange,                                          // t=/x= judged by the engine's clock
  // The key record.
  KeyTempFail, KeyNotFound, KeyMultiple, KeySyntax, KeyVersion, KeyHashUnknown, KeyHashMismatch,
  KeyNotEmail, KeyTypeMissing, KeyTypeUnknown, KeyRevoked, KeyDecode,
  SubdomainNotAllowed,                                          // key t=s and i= in a subdomain
  // Verification.
  BadSignature, KeyTooSmall, LengthExceedsBody,
  Other,  // an engine-specific finding with no equivalent here (the engine supplies the text)
};

// A short reason text for the error ("" for None and Other).
const char* sigErrorText(SigError e);

bool isKeyStage(SigError e);     // KeyTempFail .. KeyDecode
bool isHeaderStage(SigError e);  // VersionMissing .. TimestampOutOfRange, SubdomainNotAllowed, Other

}  // namespace am::dkim
