// policy/from_header.cpp — RFC 5322 §3.4 address-list parser for the From field: a tokenizer
// (atoms, quoted strings, domain literals, specials; comments and folding white space
// dropped) and a small recursive-descent parser over the tokens. Strict: obsolete routes,
// missing brackets and stray specials are Unparseable. Pure, thread-safe.
#include "policy/from_header.h"

#include "common/strings.h"

namespace am::policy {
namespace {

enum class Tok { Atom, Quoted, Literal, Special, End };
struct Token {
  Tok kind;
  std::string text;  // Special: the character
};

bool isAtext(unsigned char c) {
  if (c >= 0x80) return true;  // RFC 6532 UTF-8
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Returns false (with error) on unterminated quotes/comments/literals or stray characters.
bool tokenize(std::string_view s, std::vector<Token>& out, std::string& error) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { ++i; continue; }
    if (c == '(') {
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') { ++i; continue; }
        if (s[i] == '(') ++depth;
        if (s[i] == ')' && --depth == 0) break;
      }
      if (i >= s.size()) { error = "unterminated comment"; return false; }
      ++i;
      continue;
    }
    if (c == '"' || c == '[') {
      char close = c == '"' ? '"' : ']';
      std::string text;
      for (++i; i < s.size() && s[i] != close; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        else if (close == ']' && (s[i] == '[' || s[i] == '\\')) { error = "bad domain literal"; return false; }
        text += s[i];
      }
      if (i >= s.size()) { error = c == '"' ? "unterminated quoted string" : "unterminated domain literal"; return false; }
      ++i;
      out.push_back({c == '"' ? Tok::Quoted : Tok::Literal, std::move(text)});
      continue;
    }
    if (isAtext(c)) {
      size_t start = i;
      while (i < s.size() && isAtext(static_cast<unsigned char>(s[i]))) ++i;
      out.push_back({Tok::Atom, std::string(s.substr(start, i - start))});
      continue;
    }
    if (std::string_view("<>:;@,.").find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back({Tok::Special, std::string(1, static_cast<char>(c))});
      ++i;
      continue;
    }
    error = std::string("unexpected character '") + static_cast<char>(c) + "'";
    return false;
  }
  out.push_back({Tok::End, ""});
  return true;
}

struct Mailbox {
  std::string local, domain;
  bool hasAt = false, literal = false;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}
  std::string error;
  std::vector<Mailbox> boxes;

  bool addressList() {
    for (;;) {
      if (special(",")) { ++p_; continue; }  // obs-addr-list: empty elements
      if (peek().kind == Tok::End) return true;
      if (!address()) return false;
      if (peek().kind == Tok::End) return true;
      if (!special(",")) return fail("expected ',' between addresses");
    }
  }

 private:
  std::vector<Token> t_;
  size_t p_ = 0;

  const Token& peek() const { return t_[p_]; }
  bool special(const char* ch) const { return peek().kind == Tok::Special && peek().text == ch; }
  bool fail(const std::string& e) {
    if (error.empty()) error = e;
    return false;
  }
  bool isWord() const { return peek().kind == Tok::Atom || peek().kind == Tok::Quoted; }

  // phrase (display name): words, obs-phrase also allows '.'.
  size_t phrase() {
    size_t n = 0;
    while (isWord() || (n > 0 && special("."))) { ++p_; ++n; }
    return n;
  }

  bool address() {
    size_t start = p_;
    size_t words = phrase();
    if (special("<")) return angleAddr();
    if (special(":") && words > 0) return group();
    p_ = start;
    if (!isWord()) return fail("expected an address");
    Mailbox m;
    if (!addrSpec(m)) return false;
    boxes.push_back(std::move(m));
    return true;
  }

  bool group() {
    ++p_;  // ':'
    for (;;) {
      if (special(";")) { ++p_; return true; }
      if (special(",")) { ++p_; continue; }
      if (peek().kind == Tok::End) return fail("group without ';'");
      size_t start = p_;
      phrase();
      bool angle = special("<");
      p_ = start;
      if (angle) { phrase(); if (!angleAddr()) return false; continue; }
      if (!isWord()) return fail("bad group member");
      Mailbox m;
      if (!addrSpec(m)) return false;
      boxes.push_back(std::move(m));
    }
  }

  bool angleAddr() {
    ++p_;  // '<'
    if (special(">")) return fail("empty angle address");
    if (special("@")) return fail("source route not accepted");
    if (!isWord()) return fail("bad angle address");
    Mailbox m;
    if (!addrSpec(m)) return false;
    if (!special(">")) return fail("expected '>'");
    ++p_;
    boxes.push_back(std::move(m));
    return true;
  }

  // local-part ["@" domain]; a missing '@' is recorded (NoDomain), not an error.
  bool addrSpec(Mailbox& m) {
    for (;;) {
      if (!isWord()) return fail("bad local part");
      m.local += peek().text;
      ++p_;
      if (!special(".")) break;
      m.local += '.';
      ++p_;
    }
    if (!special("@")) return true;
    ++p_;
    m.hasAt = true;
    if (peek().kind == Tok::Literal) {
      m.literal = true;
      m.domain = "[" + peek().text + "]";
      ++p_;
      return true;
    }
    for (;;) {
      if (peek().kind != Tok::Atom) return fail("bad domain");
      m.domain += peek().text;
      ++p_;
      if (!special(".")) return true;
      m.domain += '.';
      ++p_;
    }
  }
};

FromResult fail(FromResult::Status s, std::string error) {
  FromResult r;
  r.status = s;
  r.error = std::move(error);
  return r;
}

}  // namespace

const char* toString(FromResult::Status s) {
  switch (s) {
    case FromResult::Status::Ok: return "ok";
    case FromResult::Status::Missing: return "missing";
    case FromResult::Status::Multiple: return "multiple";
    case FromResult::Status::MultipleAddresses: return "multiple-addresses";
    case FromResult::Status::NoDomain: return "no-domain";
    case FromResult::Status::Unparseable: return "unparseable";
  }
  return "unparseable";
}

FromResult parseFrom(const std::vector<std::string>& values) {
  using S = FromResult::Status;
  if (values.empty()) return fail(S::Missing, "no From header");
  if (values.size() > 1) return fail(S::Multiple, std::to_string(values.size()) + " From headers");
  if (values[0].size() > 16384) return fail(S::Unparseable, "From header too long");
  std::vector<Token> toks;
  std::string error;
  if (!tokenize(values[0], toks, error)) return fail(S::Unparseable, error);
  Parser ps(std::move(toks));
  if (!ps.addressList()) return fail(S::Unparseable, ps.error);
  FromResult r;
  for (auto& b : ps.boxes)
    if (b.hasAt) r.domains.push_back(b.literal ? b.domain : toLower(b.domain));
  if (ps.boxes.empty()) {
    r.status = S::NoDomain;
    r.error = "no mailbox";
    return r;
  }
  if (ps.boxes.size() > 1) {
    r.status = S::MultipleAddresses;
    r.error = std::to_string(ps.boxes.size()) + " mailboxes";
    return r;
  }
  const Mailbox& b = ps.boxes[0];
  if (!b.hasAt || b.literal || b.domain.empty()) {
    r.status = S::NoDomain;
    r.error = b.literal ? "domain literal" : "mailbox without a domain";
    return r;
  }
  std::string ascii = toAsciiDomain(b.domain);
  if (ascii.empty()) {
    r.status = S::Unparseable;
    r.error = "invalid domain '" + b.domain + "'";
    return r;
  }
  r.status = S::Ok;
  r.domain = ascii;
  r.address = b.local + "@" + b.domain;
  return r;
}

}  // namespace am::policy
