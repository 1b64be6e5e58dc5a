// filter/auth/dkim/primitives/body_hash.cpp — streaming canonical body digest (see body_hash.h).
#include "filter/auth/dkim/primitives/body_hash.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace am::dkim {
namespace {
inline bool isWsp(char c) { return c == ' ' || c == '\t'; }
bool plainSpacing(const char* p, size_t n);
constexpr size_t kDirectSpan = 512;  // spans at least this long are hashed without a copy
}  // namespace

BodyHasher::BodyHasher(Canon canon, const EVP_MD* md, std::optional<uint64_t> limit)
    : canon_(canon), md_(md), limit_(limit), ctx_(md != nullptr ? EVP_MD_CTX_new() : nullptr) {
  if (ctx_ && EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) ctx_.reset();
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
      flushSpan();
      return;
    }
    size_t len = static_cast<size_t>(lf - p);
    const bool crlf = len > 0 && p[len - 1] == '\r';
    line(p, crlf ? len - 1 : len);
    lineEnd(crlf ? lf - 1 : nullptr);
    n -= len + 1;
    p = lf + 1;
  }
  flushSpan();
}

void BodyHasher::line(const char* p, size_t n) {
  if (n == 0) return;
  if (canon_ == Canon::Relaxed) {
    relaxedContent(p, n);
    return;
  }
  startContent();
  emit(p, n);
}

// True when the bytes hold no tab and no two spaces in a row: then only a leading and a
// trailing space can differ from the relaxed form. With SSE2 (every x86-64), 16 bytes per
// step: byte masks of SP and HTAB; a double space is an SP bit whose lower neighbour (or the
// previous block's top byte) is an SP bit too. The last partial block is checked as the final
// 16 bytes of the line: any tab or SP pair found there is a real one, and the pair straddling
// the two is inside the part already checked. Lines under 16 bytes and other CPUs: a byte loop.
namespace {
bool plainSpacingBytes(const char* p, size_t n, bool prevSpace) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '\t' || (p[i] == ' ' && prevSpace)) return false;
    prevSpace = p[i] == ' ';
  }
  return true;
}

#if defined(__SSE2__)
inline unsigned spaceBits(__m128i v) { return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')))); }
inline unsigned tabBits(__m128i v) { return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')))); }

bool plainSpacing(const char* p, size_t n) {
  if (n < 16) return plainSpacingBytes(p, n, false);
  unsigned carry = 0;  // 1 when the byte before the block is SP
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    unsigned sp = spaceBits(v);
    if ((tabBits(v) | (sp & ((sp << 1) | carry))) != 0) return false;
    carry = sp >> 15;
  }
  if (i == n) return true;
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
  unsigned sp = spaceBits(v);
  return (tabBits(v) | (sp & (sp << 1))) == 0;
}
#else
bool plainSpacing(const char* p, size_t n) { return plainSpacingBytes(p, n, false); }
#endif
}  // namespace

// Fast path: a typical text line goes to the digest in one piece (see plainSpacing()).
// Otherwise the line is squeezed byte by byte into a stack buffer: a WSP run becomes one SP,
// emitted only when content follows on the line (pendingWsp_ carries it across pieces).
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
  // State in locals: the byte stores into tmp could alias the members otherwise.
  size_t i = 0;
  bool wsp = pendingWsp_;
  if (!lineHasContent_) {
    while (i < n && isWsp(p[i])) {
      wsp = true;
      ++i;
    }
    pendingWsp_ = wsp;
    if (i == n) return;
    startContent();  // delayed empty lines and a leading SP go first
    wsp = false;
  }
  char tmp[2048];
  size_t k = 0;
  // Branch-free per byte (word lengths make WSP/non-WSP unpredictable): a non-WSP byte after
  // a WSP run writes SP + byte, another non-WSP byte writes itself, a WSP byte writes nothing.
  for (; i < n; ++i) {
    const char c = p[i];
    const bool w = isWsp(c);
    tmp[k] = ' ';
    k += static_cast<size_t>(wsp && !w);
    tmp[k] = c;
    k += static_cast<size_t>(!w);
    wsp = w;
    if (k >= sizeof tmp - 2) {
      emitCopy(tmp, k);
      k = 0;
    }
  }
  pendingWsp_ = wsp;
  if (k > 0) emitCopy(tmp, k);
}

void BodyHasher::startContent() {
  for (; pendingEmpty_ > 0; --pendingEmpty_) emitCopy("\r\n", 2);
  if (pendingWsp_) emitCopy(" ", 1);
  pendingWsp_ = false;
  lineHasContent_ = true;
}

void BodyHasher::lineEnd(const char* crlf) {
  if (!lineHasContent_) ++pendingEmpty_;
  else if (crlf != nullptr) emit(crlf, 2);
  else emitCopy("\r\n", 2);
  lineHasContent_ = false;
  pendingWsp_ = false;
}

bool BodyHasher::admit(size_t& n) {
  total_ += n;
  anyOutput_ = true;
  if (limit_) {
    if (hashed_ >= *limit_) return false;
    if (n > *limit_ - hashed_) n = static_cast<size_t>(*limit_ - hashed_);
  }
  hashed_ += n;
  return n > 0;
}

void BodyHasher::emit(const char* p, size_t n) {
  if (!admit(n)) return;
  if (spanLen_ > 0 && p == span_ + spanLen_) {
    spanLen_ += n;
    return;
  }
  flushSpan();
  span_ = p;
  spanLen_ = n;
}

void BodyHasher::emitCopy(const char* p, size_t n) {
  if (!admit(n)) return;
  flushSpan();
  if (used_ + n > sizeof buf_) flush();
  std::memcpy(buf_ + used_, p, n);
  used_ += n;
}

// Hands the pending input span to the digest: directly when long (after the buffer, to keep
// the order), else through the buffer.
void BodyHasher::flushSpan() {
  if (spanLen_ == 0) return;
  const char* p = span_;
  size_t n = spanLen_;
  spanLen_ = 0;
  if (n >= kDirectSpan || n > sizeof buf_ - used_) {
    flush();
    if (n >= kDirectSpan) {
      digest(p, n);
      return;
    }
  }
  std::memcpy(buf_ + used_, p, n);
  used_ += n;
}

void BodyHasher::flush() {
  if (used_ > 0) digest(buf_, used_);
  used_ = 0;
}

void BodyHasher::digest(const char* p, size_t n) {
  if (ctx_) EVP_DigestUpdate(ctx_.get(), p, n);
  if (copy_ != nullptr) copy_->append(p, n);
}

std::string BodyHasher::finish() {
  if (pendingCr_) line("\r", 1);
  pendingCr_ = false;
  if (lineHasContent_) lineEnd();                                      // last line gets a CRLF
  if (canon_ == Canon::Simple && !anyOutput_) emitCopy("\r\n", 2);  // empty body is CRLF
  pendingEmpty_ = 0;                                                    // trailing empty lines go
  flushSpan();
  flush();
  if (!ctx_) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &len) != 1) return "";
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace am::dkim
