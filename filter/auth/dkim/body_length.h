// filter/auth/dkim/body_length.h — streaming length of a canonicalized message body
// (RFC 6376 §3.4.3 simple, §3.4.4 relaxed), used to decide whether a signature's l= leaves
// unsigned content after the signed prefix. Counts bytes only: O(1) memory whatever the body
// size. Input must already use CRLF line endings.
// Thread-safety: one counter per message, used by one thread at a time.
#pragma once
#include <cstdint>
#include <string_view>

namespace am::dkim {

enum class BodyCanon { Simple, Relaxed };

class BodyLengthCounter {
 public:
  explicit BodyLengthCounter(BodyCanon c) : canon_(c) {}
  void feed(std::string_view data);
  // Length of the canonical body as if the input ended here.
  uint64_t total() const;

 private:
  void endLine();
  BodyCanon canon_;
  uint64_t committed_ = 0;   // bytes of canonical output up to the last non-empty line
  uint64_t pendingEmpty_ = 0;  // empty lines seen after it (dropped if nothing follows)
  uint64_t lineLen_ = 0;     // canonical length of the current line so far (no trailing WSP)
  uint64_t pendingWsp_ = 0;  // WSP run not yet emitted (relaxed: becomes 1 SP; simple: as is)
  bool pendingCR_ = false;
};

}  // namespace am::dkim
