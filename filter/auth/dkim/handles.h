// filter/auth/dkim/handles.h — RAII ownership of libopendkim handles and the header-rebuilding
// helper shared by DKIM verification (filter/auth/dkim) and signing (filter/auth/dkim_sign).
//
// Ownership: DkimLibPtr owns a DKIM_LIB (dkim_close on destruction); DkimPtr owns one DKIM
// message handle (dkim_free). A DKIM handle must be destroyed before the DKIM_LIB it came
// from. DKIM_SIGINFO pointers belong to their DKIM handle: copy what you need into values.
// Thread-safety: the deleters and headerForLibopendkim() are stateless and reentrant; a DKIM
// handle itself may be used by one thread at a time.
#pragma once
#include <memory>
#include <string>
#include <string_view>

// dkim.h is C99 and spells booleans `_Bool`, which C++ does not know: map it to bool for the
// duration of the include. Include libopendkim only through this header.
#include <sys/types.h>
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

namespace am::dkim {

struct DkimLibDeleter {
  void operator()(DKIM_LIB* l) const noexcept { dkim_close(l); }
};
struct DkimDeleter {
  void operator()(DKIM* d) const noexcept { (void)dkim_free(d); }
};
using DkimLibPtr = std::unique_ptr<DKIM_LIB, DkimLibDeleter>;
using DkimPtr = std::unique_ptr<DKIM, DkimDeleter>;

// Rebuilds one header field as libopendkim's dkim_header() wants it: "Name:value", without a
// trailing line break, every line break in CRLF form. `value` is what the MTA delivers with
// SMFIP_HDR_LEADSPC: leading whitespace kept, folding as bare LF ("\n\t"). Bare LFs become
// CRLF, existing CRLFs are kept, trailing CR/LF characters are dropped.
std::string headerForLibopendkim(std::string_view name, std::string_view value);

}  // namespace am::dkim
