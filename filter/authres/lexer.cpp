// filter/authres/lexer.cpp — see lexer.h. Iterative, linear-time lexing of untrusted header bytes.
#include "filter/authres/lexer.h"

namespace am::authres::detail {

namespace {
constexpr std::string_view kTspecials = "()<>@,;:\\\"/[]?=";
constexpr std::string_view kAtextSpecials = "!#$%&'*+-/=?^_`{|}~";
}  // namespace

bool isTokenChar(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return kTspecials.find(static_cast<char>(c)) == std::string_view::npos;
}

bool isAtext(unsigned char c) {
  return isAlnum(c) || kAtextSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!isTokenChar(c)) return false;
  return true;
}

bool isDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = '\0';
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!isAtext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool isDomainName(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = '\0';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!isKeywordChar(u) && c != '_') {
      return false;
    }
    prev = c;
  }
  return true;
}

bool Cursor::readComment(std::string* text) {
  // At '('. Depth counter instead of recursion; the outer parentheses are not part of the text.
  size_t depth = 0;
  while (!atEnd()) {
    char c = s_[pos_++];
    if (c == '\0') return false;
    if (c == '\\') {
      if (atEnd()) return false;
      char q = s_[pos_++];
      if (q == '\0') return false;
      if (text && q != '\r' && q != '\n') text->push_back(q);
      continue;
    }
    if (c == '(') {
      if (depth++ == 0) continue;
    } else if (c == ')') {
      if (--depth == 0) return true;
    } else if (c == '\r' || c == '\n') {
      continue;  // folding: the line break goes, the WSP after it stays...
    } else if (c == '\t') {
      c = ' ';  // ...as a space: comment text is free text, and folding often uses HTAB
    }
    if (text) text->push_back(c);
  }
  return false;
}

bool Cursor::skipCfws(std::vector<std::string>* comments) {
  while (!atEnd()) {
    char c = peek();
    if (isBlank(static_cast<unsigned char>(c))) {
      ++pos_;
    } else if (c == '(') {
      std::string text;
      size_t start = pos_;
      if (!readComment(comments ? &text : nullptr)) {
        pos_ = start;
        return false;
      }
      if (comments) comments->push_back(std::move(text));
    } else {
      break;
    }
  }
  return true;
}

bool Cursor::readQuoted(std::string& out) {
  size_t start = pos_;
  ++pos_;  // opening quote
  while (!atEnd()) {
    char c = s_[pos_++];
    if (c == '"') return true;
    if (c == '\0') break;
    if (c == '\\') {
      if (atEnd() || s_[pos_] == '\0') break;
      c = s_[pos_++];
      if (c == '\r' || c == '\n') continue;
      out.push_back(c);
      continue;
    }
    if (c == '\r' || c == '\n') continue;
    out.push_back(c);
  }
  pos_ = start;
  return false;
}

std::string_view Cursor::readToken() { return readWhile(isTokenChar); }
std::string_view Cursor::readKeyword() { return readWhile(isKeywordChar); }
std::string_view Cursor::readDigits() { return readWhile(isDigit); }
std::string_view Cursor::readPvalueRun() {
  return readWhile([](unsigned char c) { return isTokenChar(c) || isAtext(c) || c == '@'; });
}

}  // namespace am::authres::detail
