// filter/authres/format.cpp — writes our Authentication-Results value (RFC 8601) from ResInfo values.
// Everything the caller passes may come from a hostile message (header.d, smtp.mailfrom, reasons), so
// every piece is reduced to what the grammar allows before it is written; the output always parses
// back with parse(). Pure function, thread-safe.
#include <cstddef>
#include <string>

#include "common/strings.h"
#include "filter/authres/authres.h"
#include "filter/authres/lexer.h"

namespace am::authres {

namespace {

constexpr size_t kLineMax = 78;
constexpr size_t kHeaderNameWidth = 24;  // "Authentication-Results: "
constexpr size_t kMaxKeyword = 64;
constexpr size_t kMaxText = 400;

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not a valid one.
size_t utf8Length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  auto c1 = static_cast<unsigned char>(s[i + 1]);  // no overlongs, surrogates or > U+10FFFF
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 > 0x8f))
    return 0;
  return n;
}

// Control characters become spaces, invalid UTF-8 bytes '?'; cut to kMaxText bytes on a character
// boundary.
std::string cleanText(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = 1;
    std::string_view piece = " ";
    if (c >= 0x80) {
      n = utf8Length(s, i);
      piece = n ? s.substr(i, n) : std::string_view("?");
      n = n ? n : 1;
    } else if (c >= 0x20 && c != 0x7f) {
      piece = s.substr(i, 1);
    }
    if (out.size() + piece.size() > kMaxText) break;
    out += piece;
    i += n;
  }
  return out;
}

std::string keyword(std::string_view s) {
  std::string out;
  for (char c : s)
    if (detail::isKeywordChar(static_cast<unsigned char>(c)) && out.size() < kMaxKeyword) out.push_back(c);
  return toLower(out);
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// value = token / quoted-string
std::string valueText(std::string_view raw) {
  std::string v = cleanText(raw);
  return detail::isToken(v) ? v : quoted(v);
}

// pvalue also allows local-part@domain unquoted (RFC 8601 §2.2), e.g. smtp.mailfrom=user@example.com.
std::string pvalueText(std::string_view raw) {
  std::string v = cleanText(raw);
  if (detail::isToken(v)) return v;
  size_t at = v.rfind('@');
  if (at != std::string::npos && detail::isDomainName(std::string_view(v).substr(at + 1)) &&
      (at == 0 || detail::isDotAtom(std::string_view(v).substr(0, at))))
    return v;
  return quoted(v);
}

// Comment words "(a", "b", "c)": parentheses that pair up stay, unpaired ones and '\' are escaped;
// blank runs collapse so the words can be folded between.
std::vector<std::string> commentWords(std::string_view raw) {
  std::string text = cleanText(raw);
  std::vector<bool> escape(text.size(), false);
  std::vector<size_t> open;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') escape[i] = true;
    if (text[i] == '(') open.push_back(i);
    if (text[i] == ')') {
      if (open.empty()) escape[i] = true;
      else open.pop_back();
    }
  }
  for (size_t i : open) escape[i] = true;
  std::vector<std::string> words(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ') {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (escape[i]) words.back().push_back('\\');
    words.back().push_back(text[i]);
  }
  if (words.back().empty()) words.pop_back();
  if (words.empty()) return words;
  words.front().insert(0, "(");
  words.back().push_back(')');
  return words;
}

// Joins pieces with a space, or with "\n\t" when the line would pass kLineMax.
class Folder {
 public:
  void add(std::string piece) {
    if (!started_) {
      started_ = true;
    } else if (col_ + 1 + piece.size() > kLineMax && col_ > 1) {
      out_ += "\n\t";
      col_ = 1;
    } else {
      out_.push_back(' ');
      ++col_;
    }
    col_ += piece.size();
    out_ += piece;
  }
  void addComment(std::string_view raw) {
    for (auto& w : commentWords(raw)) add(std::move(w));
  }
  void endItem() { out_.push_back(';'); ++col_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  size_t col_ = kHeaderNameWidth;
  bool started_ = false;
};

bool isNoneMarker(const ResInfo& r) { return iequals(r.method, "none") && keyword(r.result).empty(); }

void addResinfo(Folder& f, const ResInfo& r, const std::string& method, const std::string& result) {
  f.add(method + "=" + result);
  f.addComment(r.comment);
  if (!r.reason.empty()) f.add("reason=" + valueText(r.reason));
  for (const auto& p : r.props) {
    std::string ptype = keyword(p.ptype), name = keyword(p.name);
    if (ptype.empty() || name.empty()) continue;
    f.add(ptype + "." + name + "=" + pvalueText(p.value));
    f.addComment(p.comment);
  }
}

}  // namespace

std::string format(std::string_view authservId, const std::vector<ResInfo>& results, std::string_view idComment) {
  Folder f;
  f.add(valueText(authservId));
  f.addComment(idComment);
  const ResInfo* noneMarker = nullptr;
  bool any = false;
  for (const auto& r : results) {
    if (isNoneMarker(r)) {
      if (!noneMarker) noneMarker = &r;
      continue;
    }
    std::string method = keyword(r.method), result = keyword(r.result);
    if (method.empty() || result.empty()) continue;
    f.endItem();
    addResinfo(f, r, method, result);
    any = true;
  }
  if (!any) {
    f.endItem();
    f.add("none");
    if (noneMarker) f.addComment(noneMarker->comment);
  }
  return f.take();
}

}  // namespace am::authres
