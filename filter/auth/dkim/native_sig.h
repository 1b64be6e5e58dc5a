// filter/auth/dkim/native_sig.h — the native engine's view of one DKIM-Signature field: tag
// parsing and the RFC 6376 §3.5 checks libopendkim makes on the signature header, in its order
// (reported as SigError, so classify.h gives both engines one result table), and the
// header-hash input (h= selection bottom-up, b= emptied).
// Pure functions over values; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim/primitives/key_record.h"
#include "filter/auth/dkim/primitives/sig_error.h"
#include "filter/auth/dkim/primitives/tag_list.h"

namespace am::dkim {

struct SigSpec {
  std::string name, value;       // the header field as delivered (value keeps leading space)
  TagList tags;
  std::string tagProblem;        // checkSignatureTags(); empty if fine
  SigError error = SigError::None;  // of the header stage
  std::string domain, selector, algorithm, identity, bPrefix;  // as reported
  HashAlg hash = HashAlg::Sha256;
  KeyType keyType = KeyType::Rsa;
  Canon headerCanon = Canon::Simple, bodyCanon = Canon::Simple;
  std::vector<std::string> signedHeaders;  // h=, lowercase
  std::optional<uint64_t> length;          // l=
  std::string signature, bodyHash;         // decoded b=, bh=
  std::string identityDomain;              // lowercase domain part of i= (d= when absent)
};

// Parses and checks one DKIM-Signature field. Never throws for any input.
SigSpec parseSignature(std::string_view name, std::string_view value);

// The header fields of one message, for h= selection. All field bytes live in one buffer
// (names, lowercase names, values back to back), so a message costs a few allocations however
// many fields it has; the by-name index (field numbers sorted by lowercase name) is built on
// the first hashInput() after an add(). Not thread-safe (hashInput() updates that index and a
// scratch buffer): one message, one thread at a time.
class HeaderIndex {
 public:
  HeaderIndex();
  void add(std::string_view name, std::string_view value);
  // The bytes the signature's header hash covers: selected fields bottom-up per name (absent
  // ones contribute nothing), then the signature field itself with b= emptied, no final CRLF.
  std::string hashInput(const SigSpec& sig) const;
  // The same bytes written into `out` (cleared first), so a caller can reuse one buffer.
  void hashInputInto(std::string& out, const SigSpec& sig) const;
  size_t size() const { return fields_.size(); }

 private:
  struct Field {
    size_t name, nameLen, lower, lowerLen, value, valueLen;  // offsets into text_
  };
  std::string_view at(size_t off, size_t len) const { return {text_.data() + off, len}; }
  std::string_view lowerName(size_t field) const { return at(fields_[field].lower, fields_[field].lowerLen); }
  void buildIndex() const;

  std::string text_;
  std::vector<Field> fields_;
  mutable std::vector<size_t> byName_;  // field numbers by (lowercase name, position); 2x size: 2nd half = use counts
  mutable bool indexed_ = true;
  mutable std::string scratch_;         // the signature value with b= emptied
};

// The signature field's value with the b= tag's value removed (RFC 6376 §3.7).
std::string withEmptyB(std::string_view value);
// The same, appended to `out`.
void appendWithEmptyB(std::string& out, std::string_view value);

}  // namespace am::dkim
