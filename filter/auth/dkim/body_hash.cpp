// filter/auth/dkim/body_hash.cpp — streaming canonical body digest (see body_hash.h).
#include "filter/auth/dkim/body_hash.h"

#include <cstring>

namespace am::dkim {
namespace {
inline bool isWsp(char c) { return c == ' ' || c == '\t'; }
bool plainSpacing(const char* p, size_t n);
}  // namespace

BodyHasher::BodyHasher(CanonMode canon, const EVP_MD* md, std::optional<uint64_t> limit)
    : canon_(canon), md_(md), limit_(limit), ctx_(EVP_MD_CTX_new()) {
  if (ctx_ && (md == nullptr || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1)) ctx_.reset();
}

void BodyHasher::feed(std::string_view chunk) {
  const char* p = chunk.data();
  size_t n = chunk.size();
  if (n == 0) return;
  if (pendingCr_) {
    pendingCr_ = false;
    if (p[0] == '\n') {
      lineEnd();
      ++p;
      --n;
    } else {
      line("\r", 1);  // a lone CR is line content
    }
  }
  while (n > 0) {
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', n));
    if (lf == nullptr) {
      size_t len = n;
      if (p[len - 1] == '\r') {  // may be the first half of a CRLF split across chunks
        pendingCr_ = true;
        --len;
      }
      line(p, len);
      return;
    }
    size_t len = static_cast<size_t>(lf - p);
    line(p, len > 0 && p[len - 1] == '\r' ? len - 1 : len);
    lineEnd();
    n -= len + 1;
    p = lf + 1;
  }
}

void BodyHasher::line(const char* p, size_t n) {
  if (n == 0) return;
  if (canon_ == CanonMode::Relaxed) {
    relaxedContent(p, n);
    return;
  }
  startContent();
  emit(p, n);
}

// True when the bytes hold no tab and no two spaces in a row: then only a leading and a
// trailing space can differ from the relaxed form. Branch-free so the compiler vectorizes it.
namespace {
bool plainSpacing(const char* p, size_t n) {
  unsigned bad = 0;
  for (size_t i = 0; i < n; ++i) bad |= static_cast<unsigned>(p[i] == '\t');
  for (size_t i = 0; i + 1 < n; ++i) bad |= static_cast<unsigned>(p[i] == ' ') & static_cast<unsigned>(p[i + 1] == ' ');
  return bad == 0;
}
}  // namespace

// Fast path: a typical text line goes to the digest in one piece (see plainSpacing()).
// Otherwise copies runs in which every WSP is a single SP followed by a non-WSP byte (already
// canonical); other WSP runs become one SP, emitted only when content follows on the line.
void BodyHasher::relaxedContent(const char* p, size_t n) {
  if (plainSpacing(p, n)) {
    size_t start = 0, end = n;
    if (p[0] == ' ') {
      pendingWsp_ = true;
      start = 1;
    }
    const bool trailing = end > start && p[end - 1] == ' ';
    if (trailing) --end;
    if (end > start) {
      startContent();
      emit(p + start, end - start);
    }
    if (trailing) pendingWsp_ = true;
    return;
  }
  size_t i = 0;
  while (i < n) {
    if (isWsp(p[i])) {
      pendingWsp_ = true;
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n) {
      char c = p[j];
      if (!isWsp(c)) { ++j; continue; }
      if (c == ' ' && j + 1 < n && !isWsp(p[j + 1])) { j += 2; continue; }
      break;
    }
    startContent();
    emit(p + i, j - i);
    i = j;
  }
}

void BodyHasher::startContent() {
  for (; pendingEmpty_ > 0; --pendingEmpty_) emit("\r\n", 2);
  if (pendingWsp_) emit(" ", 1);
  pendingWsp_ = false;
  lineHasContent_ = true;
}

void BodyHasher::lineEnd() {
  if (lineHasContent_) emit("\r\n", 2);
  else ++pendingEmpty_;
  lineHasContent_ = false;
  pendingWsp_ = false;
}

void BodyHasher::emit(const char* p, size_t n) {
  total_ += n;
  anyOutput_ = true;
  if (limit_) {
    if (hashed_ >= *limit_) return;
    if (n > *limit_ - hashed_) n = static_cast<size_t>(*limit_ - hashed_);
  }
  hashed_ += n;
  if (used_ + n > sizeof buf_) flush();
  if (n >= sizeof buf_) {
    if (ctx_) EVP_DigestUpdate(ctx_.get(), p, n);
    return;
  }
  std::memcpy(buf_ + used_, p, n);
  used_ += n;
}

void BodyHasher::flush() {
  if (used_ > 0 && ctx_) EVP_DigestUpdate(ctx_.get(), buf_, used_);
  used_ = 0;
}

std::string BodyHasher::finish() {
  if (pendingCr_) line("\r", 1);
  pendingCr_ = false;
  if (lineHasContent_) lineEnd();                                      // last line gets a CRLF
  if (canon_ == CanonMode::Simple && !anyOutput_) emit("\r\n", 2);    // empty body is CRLF
  pendingEmpty_ = 0;                                                    // trailing empty lines go
  flush();
  if (!ctx_) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &len) != 1) return "";
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace am::dkim
