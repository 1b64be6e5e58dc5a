// filter/auth/dkim/body_length.cpp — canonical body length counter (see body_length.h).
#include "filter/auth/dkim/body_length.h"

namespace am::dkim {

void BodyLengthCounter::endLine() {
  if (canon_ == BodyCanon::Simple) lineLen_ += pendingWsp_;  // simple keeps trailing WSP
  pendingWsp_ = 0;
  if (lineLen_ == 0) {
    ++pendingEmpty_;
  } else {
    committed_ += pendingEmpty_ * 2 + lineLen_ + 2;
    pendingEmpty_ = 0;
  }
  lineLen_ = 0;
}

void BodyLengthCounter::feed(std::string_view data) {
  for (char c : data) {
    if (pendingCR_) {
      pendingCR_ = false;
      if (c == '\n') { endLine(); continue; }
      lineLen_ += pendingWsp_ + 1;  // a lone CR is ordinary line content
      pendingWsp_ = 0;
    }
    if (c == '\r') { pendingCR_ = true; continue; }
    if (c == ' ' || c == '\t') {
      if (canon_ == BodyCanon::Relaxed) pendingWsp_ = 1;
      else ++pendingWsp_;
      continue;
    }
    lineLen_ += pendingWsp_ + 1;
    pendingWsp_ = 0;
  }
}

uint64_t BodyLengthCounter::total() const {
  uint64_t line = lineLen_ + (pendingCR_ ? pendingWsp_ + 1 : 0);
  if (canon_ == BodyCanon::Simple && !pendingCR_) line += pendingWsp_;
  if (line > 0) return committed_ + pendingEmpty_ * 2 + line + 2;  // unterminated last line gets CRLF
  if (canon_ == BodyCanon::Simple && committed_ == 0) return 2;   // empty body is "CRLF"
  return committed_;
}

}  // namespace am::dkim
