// filter/auth/dkim/opendkim_classify.h — the libopendkim engine's half of the result table:
// libopendkim's per-signature findings (dkim_sig_geterror / getflags / getbh) put into the
// engine-neutral SigFacts that classify.h reads. A DKIM_SIGERROR_* code without an equivalent
// becomes SigError::Other with the library's own text.
// Pure functions; thread-safe.
#pragma once
#include "filter/auth/dkim/classify.h"
#include "filter/auth/dkim/handles.h"

namespace am::dkim {

SigError sigErrorFromLibopendkim(int code);

// Sets error (and otherText), processed, headerVerified, testKey and bodyHash from the
// library's error code, DKIM_SIGFLAG_* flags and DKIM_SIGBH_* body hash state.
void setLibopendkimFacts(SigFacts& f, int error, unsigned flags, int bodyHash);

}  // namespace am::dkim
