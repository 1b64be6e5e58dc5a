// filter/authres/lexer.h — internal: character classes of RFC 2045/5322/5321 and a cursor that reads
// the lexical pieces of an Authentication-Results value (CFWS, quoted-strings, tokens, keywords).
//
// A Cursor borrows the string_view it reads (the caller keeps the bytes alive) and is used by one
// thread. Nothing here recurses: nested comments are tracked with a depth counter, so 1000-deep or
// unterminated nesting costs one linear pass and no stack.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace am::authres::detail {

inline bool isAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
inline bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
// Whitespace inside the value: SP, HTAB and the CR/LF of folding (bare LF accepted: libmilter's form).
inline bool isBlank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// RFC 2045 token character: US-ASCII printable except SPACE and tspecials.
bool isTokenChar(unsigned char c);
// RFC 5322 atext.
bool isAtext(unsigned char c);
// RFC 5321 ldh-str character (RFC 8601 Keyword).
inline bool isKeywordChar(unsigned char c) { return isAlnum(c) || c == '-'; }

bool isToken(std::string_view s);      // non-empty, all token characters
bool isDotAtom(std::string_view s);    // RFC 5322 dot-atom-text
bool isDomainName(std::string_view s); // labels of alnum/'-'/'_' separated by single dots

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool atEnd() const { return pos_ >= s_.size(); }
  char peek() const { return atEnd() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }
  void advance() { if (!atEnd()) ++pos_; }
  std::string_view slice(size_t from, size_t to) const { return s_.substr(from, to - from); }

  // Skips blanks and comments. When `comments` is not null, the text of each outermost comment is
  // appended (line breaks removed, HTAB read as SP, quoted-pairs decoded, nested parentheses kept). False (cursor left at
  // the problem) on an unterminated comment or a NUL byte inside one.
  bool skipCfws(std::vector<std::string>* comments = nullptr);
  // At a '"': reads the quoted-string, decoding quoted-pairs and removing folding into `out`.
  // False when unterminated or when it holds a NUL.
  bool readQuoted(std::string& out);
  std::string_view readToken();    // maximal run of token characters (may be empty)
  std::string_view readKeyword();  // maximal run of keyword characters (may be empty)
  std::string_view readDigits();
  // Maximal run of characters that may appear in an unquoted pvalue (token, atext and '@').
  std::string_view readPvalueRun();

 private:
  bool readComment(std::string* text);
  template <class Pred>
  std::string_view readWhile(Pred pred) {
    size_t start = pos_;
    while (!atEnd() && pred(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace am::authres::detail
