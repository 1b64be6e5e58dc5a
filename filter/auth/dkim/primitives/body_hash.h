// filter/auth/dkim/primitives/body_hash.h — streaming body canonicalization (RFC 6376 §3.4.3 simple,
// §3.4.4 relaxed) fed straight into a message digest, with an optional l= limit.
//
// One BodyHasher per distinct (canonicalization, hash, l=) among a message's signatures. Input
// is the body as the MTA delivers it in any chunks: CRLF and bare LF both end a line, a lone CR
// is data. Lines are found with memchr. Output that is a contiguous run of the input (ordinary
// lines and their CRLFs, which is most of a body in either canonicalization) is collected as one
// span and hashed straight from the chunk when long; short spans and synthesized bytes (a CRLF
// for a bare LF, a SP for a WSP run, delayed empty lines) go through a 16 KiB buffer. Memory is
// O(1) in the body size (runs of empty lines are a counter). total() is the full canonical
// length (for l=). A null EVP_MD counts without hashing; copyTo() also hands the hashed bytes
// to a string (tests and measurements).
// Ownership: owns its EVP_MD_CTX; borrows the EVP_MD (process-wide, fetched once).
// Thread-safety: one hasher per message, used by one thread at a time.
#pragma once
#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/primitives/openssl_ptr.h"

namespace am::dkim {

class BodyHasher {
 public:
  BodyHasher(Canon canon, const EVP_MD* md, std::optional<uint64_t> limit);
  bool ok() const { return md_ == nullptr || ctx_ != nullptr; }  // false: OpenSSL failed
  // Also appends every hashed byte to *out (null: stop). Call before the first feed().
  void copyTo(std::string* out) { copy_ = out; }
  void feed(std::string_view chunk);
  // Finishes the canonical body; returns the digest (empty without an EVP_MD or on an OpenSSL
  // failure). Call once.
  std::string finish();
  uint64_t total() const { return total_; }  // canonical length of the whole body (after finish)

  Canon canon() const { return canon_; }
  const EVP_MD* md() const { return md_; }
  std::optional<uint64_t> limit() const { return limit_; }

 private:
  void line(const char* p, size_t n);       // content of one line (no CR/LF), possibly partial
  void lineEnd(const char* crlf = nullptr); // crlf: the line's CRLF in the input, when it has one
  void relaxedContent(const char* p, size_t n);
  void startContent();
  void emit(const char* p, size_t n);       // p: bytes of the current chunk (may join the span)
  void emitCopy(const char* p, size_t n);   // p: anything else (copied now)
  bool admit(size_t& n);                    // counts n output bytes; trims n to the l= limit
  void flushSpan();
  void flush();
  void digest(const char* p, size_t n);

  Canon canon_;
  const EVP_MD* md_;
  std::optional<uint64_t> limit_;
  EvpMdCtxPtr ctx_;
  std::string* copy_ = nullptr;
  char buf_[16384];
  size_t used_ = 0;
  const char* span_ = nullptr;  // pending run of input bytes (valid until feed() returns)
  size_t spanLen_ = 0;
  uint64_t total_ = 0;          // canonical bytes produced
  uint64_t hashed_ = 0;         // canonical bytes given to the digest (≤ limit)
  uint64_t pendingEmpty_ = 0;   // empty lines not yet emitted
  bool pendingCr_ = false;      // chunk ended in CR: meaning depends on the next byte
  bool pendingWsp_ = false;     // relaxed: a WSP run not yet emitted
  bool lineHasContent_ = false;
  bool anyOutput_ = false;
};

}  // namespace am::dkim
