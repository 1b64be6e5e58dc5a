// tests/dkim/reference_canon.cpp — the reference canonicalizer (see reference_canon.h).
#include "reference_canon.h"

namespace am::dkim::ref {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }

// Value with every line break as CRLF and trailing CR/LF removed (simple form).
std::string crlfValue(std::string_view v) {
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
  std::string out;
  out.reserve(v.size() + 8);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')) out += '\r';
    out += v[i];
  }
  return out;
}

// Unfolded, WSP runs collapsed to one SP, leading/trailing WSP removed (relaxed form).
std::string relaxedValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool wsp = false;
  for (char c : v) {
    if (c == '\r' || c == '\n') continue;
    if (isWsp(c)) {
      wsp = true;
      continue;
    }
    if (wsp && !out.empty()) out += ' ';
    wsp = false;
    out += c;
  }
  return out;
}

std::string_view trimWsp(std::string_view s) {
  while (!s.empty() && isWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string canonHeader(Canon c, std::string_view name, std::string_view value) {
  if (c == Canon::Simple) return std::string(name) + ":" + crlfValue(value) + "\r\n";
  std::string n(trimWsp(name));
  for (auto& ch : n)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return n + ":" + relaxedValue(value) + "\r\n";
}

BodyCanonicalizer::BodyCanonicalizer(Canon c, Sink sink) : canon_(c), sink_(std::move(sink)) {
  out_.reserve(kOutBuf);
}

bool BodyCanonicalizer::plain(char c) const {
  return c != '\r' && c != '\n' && (canon_ == Canon::Simple || !isWsp(c));
}

// Bytes that need no state change are appended as one run (the hot path); the first byte of
// a run goes through content() so pending empty lines and whitespace are emitted first.
void BodyCanonicalizer::feed(std::string_view chunk) {
  size_t i = 0;
  while (i < chunk.size()) {
    if (!pendingCr_ && plain(chunk[i])) {
      size_t j = i + 1;
      while (j < chunk.size() && plain(chunk[j])) ++j;
      content(chunk[i]);
      emitRun(chunk.substr(i + 1, j - i - 1));
      i = j;
      continue;
    }
    step(chunk[i++]);
  }
}

void BodyCanonicalizer::emitRun(std::string_view run) {
  if (run.empty()) return;
  bytesOut_ += run.size();
  if (out_.size() + run.size() > kOutBuf) flush();
  if (run.size() >= kOutBuf) sink_(run);
  else out_.append(run);
}

void BodyCanonicalizer::step(char ch) {
  if (pendingCr_) {
    pendingCr_ = false;
    if (ch == '\n') {
      lineEnd();
      return;
    }
    content('\r');
  }
  if (ch == '\r') pendingCr_ = true;
  else if (ch == '\n') lineEnd();  // bare LF counts as a line end
  else content(ch);
}

void BodyCanonicalizer::content(char c) {
  if (canon_ == Canon::Relaxed && isWsp(c)) {
    pendingWsp_ = true;
    return;
  }
  for (; pendingEmpty_ > 0; --pendingEmpty_) emitCrlf();
  if (pendingWsp_) emit(' ');
  pendingWsp_ = false;
  emit(c);
  lineHasContent_ = true;
}

void BodyCanonicalizer::lineEnd() {
  if (lineHasContent_) emitCrlf();
  else ++pendingEmpty_;
  lineHasContent_ = false;
  pendingWsp_ = false;
}

void BodyCanonicalizer::emit(char c) {
  out_ += c;
  anyOutput_ = true;
  ++bytesOut_;
  if (out_.size() >= kOutBuf) flush();
}

void BodyCanonicalizer::flush() {
  if (!out_.empty()) sink_(out_);
  out_.clear();
}

void BodyCanonicalizer::finish() {
  if (pendingCr_) content('\r');
  pendingCr_ = false;
  if (lineHasContent_) lineEnd();  // a last line without CRLF gets one
  if (canon_ == Canon::Simple && !anyOutput_) emitCrlf();  // empty body is one CRLF
  pendingEmpty_ = 0;  // trailing empty lines are ignored
  flush();
}

}  // namespace am::dkim::ref
