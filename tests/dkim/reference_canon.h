// tests/dkim/reference_canon.h — a second, deliberately simple DKIM canonicalizer (RFC 6376
// §3.4), header and body, kept as the test oracle for the production one
// (filter/auth/dkim/primitives: appendCanonHeader, BodyHasher). It steps through the body a byte
// at a time and shares no code with the production canonicalizer, so agreement on random and
// real bodies is evidence, not a tautology.
//
// Headers are given as the MTA delivers them to a milter with SMFIP_HDR_LEADSPC: the value
// keeps its leading whitespace and folds with bare LF. The body is streamed in arbitrary
// chunks; CRLF and bare LF both end a line (a bare LF counts as CRLF), a lone CR is data.
// BodyCanonicalizer keeps O(1) state (a run of pending empty lines is a counter) and hands
// its output to a sink through a kOutBuf buffer (long runs of plain bytes go to the sink
// straight from the caller's chunk), so memory does not grow with the body.
// Thread-safety: one canonicalizer per message, used by one thread at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "filter/auth/dkim/primitives/canon.h"

namespace am::dkim::ref {

// Canonical header field including the trailing CRLF.
std::string canonHeader(Canon c, std::string_view name, std::string_view value);

class BodyCanonicalizer {
 public:
  using Sink = std::function<void(std::string_view)>;
  static constexpr size_t kOutBuf = 16384;

  BodyCanonicalizer(Canon c, Sink sink);
  void feed(std::string_view chunk);
  void finish();                      // flushes; call once
  uint64_t bytesOut() const { return bytesOut_; }

 private:
  bool plain(char c) const;
  void step(char c);
  void emitRun(std::string_view run);
  void content(char c);
  void lineEnd();
  void emit(char c);
  void emitCrlf() { emit('\r'); emit('\n'); }
  void flush();

  Canon canon_;
  Sink sink_;
  std::string out_;
  uint64_t pendingEmpty_ = 0;   // empty lines seen but not yet emitted
  uint64_t bytesOut_ = 0;
  bool pendingCr_ = false;      // last byte was CR; its meaning depends on the next byte
  bool pendingWsp_ = false;     // relaxed: a WSP run not yet emitted
  bool lineHasContent_ = false;
  bool anyOutput_ = false;
};

}  // namespace am::dkim::ref
