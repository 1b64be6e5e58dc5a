// filter/authres/parse.cpp — RFC 8601 §2.2 parser for untrusted Authentication-Results values, plus the
// authserv-id extraction used to strip forged headers. One Parser object per call; no recursion, no
// globals; every error becomes std::nullopt with an "offset N: ..." message.
#include <cstddef>
#include <string>

#include "common/strings.h"
#include "filter/authres/authres.h"
#include "filter/authres/lexer.h"

namespace am::authres {

namespace {

using detail::Cursor;

constexpr size_t kMaxItems = 4096;  // results + properties: bounds memory on 1 MB of "; a=b"

std::string joinComments(const std::vector<std::string>& comments) {
  std::string out;
  for (const auto& c : comments) {
    if (!out.empty()) out.push_back(' ');
    out += c;
  }
  return out;
}

void appendComments(std::string& to, const std::vector<std::string>& comments) {
  std::string more = joinComments(comments);
  if (more.empty()) return;
  if (!to.empty()) to.push_back(' ');
  to += more;
}

class Parser {
 public:
  explicit Parser(std::string_view v) : c_(v) {}

  std::optional<Parsed> run();
  const std::string& error() const { return err_; }

 private:
  bool fail(const char* what) {
    err_ = "offset " + std::to_string(c_.pos()) + ": " + what;
    return false;
  }
  bool cfws(std::vector<std::string>* comments = nullptr) {
    return c_.skipCfws(comments) || fail("unterminated comment");
  }
  bool expect(char ch, const char* what) {
    if (c_.peek() != ch || c_.atEnd()) return fail(what);
    c_.advance();
    return true;
  }
  bool value(std::string& out, const char* what);
  bool pvalue(std::string& out);
  bool unquotedPvalue(std::string& out);
  bool authservAndVersion(Parsed& p);
  bool noneForm(Parsed& p);
  bool resinfo(ResInfo& r, std::string_view method);
  bool isNoneForm(std::string_view kw) const;
  bool methodspec(ResInfo& r);
  bool item(ResInfo& r);
  bool countItem() { return ++items_ <= kMaxItems || fail("too many results or properties"); }

  Cursor c_;
  std::string err_;
  size_t items_ = 0;
};

// value = token / quoted-string
bool Parser::value(std::string& out, const char* what) {
  if (c_.peek() == '"' && !c_.atEnd()) return c_.readQuoted(out) || fail("unterminated quoted-string");
  std::string_view t = c_.readToken();
  if (t.empty()) return fail(what);
  out.assign(t);
  return true;
}

// The unquoted alternatives of pvalue: a token, or [local-part] "@" domain-name. Lenient: any run of
// token/atext/'@' characters is taken, so real-world base64 such as header.b=Qgi/FoC0 (an authres
// vector) parses; ':' ',' '[' ']' '<' '>' and blanks still end the value (an unquoted IPv6 address is
// a syntax error, as in authres).
bool Parser::unquotedPvalue(std::string& out) {
  std::string_view run = c_.readPvalueRun();
  if (run.empty()) return fail("expected a property value");
  out.assign(run);
  return true;
}

// pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]; the caller handles CFWS.
bool Parser::pvalue(std::string& out) {
  if (c_.peek() != '"' || c_.atEnd()) return unquotedPvalue(out);
  size_t start = c_.pos();
  std::string decoded;
  if (!c_.readQuoted(decoded)) return fail("unterminated quoted-string");
  if (c_.peek() != '@') {
    out = std::move(decoded);
    return true;
  }
  // quoted local-part "@" domain: keep the local-part as written (folding removed).
  for (char ch : c_.slice(start, c_.pos()))
    if (ch != '\r' && ch != '\n') out.push_back(ch);
  c_.advance();
  std::string_view dom = c_.readPvalueRun();
  if (!detail::isDomainName(dom)) return fail("invalid domain after quoted local-part");
  out.push_back('@');
  out += dom;
  return true;
}

bool Parser::authservAndVersion(Parsed& p) {
  if (!cfws()) return false;
  if (c_.atEnd() || c_.peek() == ';') return fail("missing authserv-id");
  if (!value(p.authservId, "invalid authserv-id")) return false;
  size_t before = c_.pos();
  if (!cfws()) return false;
  if (c_.pos() > before && detail::isDigit(static_cast<unsigned char>(c_.peek()))) {
    p.version = std::string(c_.readDigits());
    if (!cfws()) return false;
  }
  return true;
}

// After "; none": only CFWS may follow.
bool Parser::noneForm(Parsed& p) {
  std::vector<std::string> comments;
  if (!cfws(&comments)) return false;
  if (!c_.atEnd()) return fail("nothing may follow \"none\"");
  p.none = true;
  p.noneComment = joinComments(comments);
  return true;
}

// methodspec = [CFWS] method [CFWS] "=" [CFWS] result; method = Keyword [[CFWS] "/" [CFWS] version]
bool Parser::methodspec(ResInfo& r) {
  if (!cfws()) return false;
  if (c_.peek() == '/') {
    c_.advance();
    if (!cfws()) return false;
    if (c_.readDigits().empty()) return fail("expected a method version");
    if (!cfws()) return false;
  }
  if (!expect('=', "expected '=' after the method")) return false;
  if (!cfws()) return false;
  std::string_view res = c_.readKeyword();
  if (res.empty()) return fail("expected a result keyword");
  r.result = toLower(res);
  return true;
}

// One "reason=value", "ptype.property=pvalue" or (lenient, skipped) "key=pvalue" after the result.
bool Parser::item(ResInfo& r) {
  std::string_view key = c_.readKeyword();
  if (key.empty()) return fail("expected a property or ';'");
  if (!cfws()) return false;
  if (c_.peek() == '.' && !c_.atEnd()) {
    Property prop{toLower(key), "", ""};
    c_.advance();
    if (!cfws()) return false;
    std::string_view name = c_.readKeyword();
    if (name.empty()) return fail("expected a property name after '.'");
    prop.name = toLower(name);
    if (!cfws() || !expect('=', "expected '=' after the property name") || !cfws()) return false;
    if (!pvalue(prop.value) || !countItem()) return false;
    std::vector<std::string> comments;
    if (!cfws(&comments)) return false;
    prop.comment = joinComments(comments);
    r.props.push_back(std::move(prop));
    return true;
  }
  if (!expect('=', "expected '.' or '=' after a keyword") || !cfws()) return false;
  bool isReason = iequals(key, "reason") && r.reason.empty() && r.props.empty();
  std::string v;
  if (isReason ? !value(v, "expected a reason value") : !pvalue(v)) return false;
  if (isReason) r.reason = std::move(v);
  std::vector<std::string> comments;
  if (!cfws(&comments)) return false;
  if (r.props.empty()) appendComments(r.comment, comments);
  else appendComments(r.props.back().comment, comments);
  return true;
}

bool Parser::resinfo(ResInfo& r, std::string_view method) {
  if (method.empty()) return fail("expected a method");
  r.method = toLower(method);
  if (!methodspec(r) || !countItem()) return false;
  std::vector<std::string> comments;
  if (!cfws(&comments)) return false;
  r.comment = joinComments(comments);
  while (!c_.atEnd() && c_.peek() != ';')
    if (!item(r)) return false;
  return true;
}

// "none" is the no-result form unless it is followed by '=' or '/' (then it is a method name).
bool Parser::isNoneForm(std::string_view kw) const {
  if (!iequals(kw, "none")) return false;
  Cursor ahead = c_;
  if (!ahead.skipCfws()) return true;  // let noneForm() report the comment
  return ahead.atEnd() || (ahead.peek() != '=' && ahead.peek() != '/');
}

std::optional<Parsed> Parser::run() {
  Parsed p;
  if (!authservAndVersion(p)) return std::nullopt;
  if (c_.atEnd()) {
    fail("expected ';' after the authserv-id");
    return std::nullopt;
  }
  while (!c_.atEnd()) {
    if (!expect(';', "expected ';'") || !cfws()) return std::nullopt;
    if (c_.atEnd() && !p.results.empty()) break;  // lenient: trailing ';'
    std::string_view kw = c_.readKeyword();
    if (isNoneForm(kw)) {
      if (!p.results.empty()) {
        fail("\"none\" cannot follow results");
        return std::nullopt;
      }
      if (!noneForm(p)) return std::nullopt;
      break;
    }
    ResInfo r;
    if (!resinfo(r, kw)) return std::nullopt;
    p.results.push_back(std::move(r));
  }
  return p;
}

}  // namespace

std::optional<Parsed> parse(std::string_view value, std::string* error) {
  Parser parser(value);
  auto out = parser.run();
  if (!out && error) *error = parser.error();
  return out;
}

std::string authservIdOf(std::string_view value) {
  Cursor c(value);
  if (!c.skipCfws() || c.atEnd()) return {};
  std::string out;
  if (c.peek() == '"') {
    if (!c.readQuoted(out)) return {};
    return out;
  }
  return std::string(c.readToken());
}

bool claimsAuthservId(std::string_view value, std::string_view ours) {
  std::string id = normalizeDomain(authservIdOf(value));
  std::string want = normalizeDomain(ours);
  return !id.empty() && !want.empty() && id == want;
}

bool mentionsAuthservId(std::string_view value, std::string_view ours) {
  std::string want = normalizeDomain(ours);
  if (want.empty()) return false;
  std::string_view head = value.substr(0, value.find(';'));
  auto tokenChar = [](char c) { return detail::isAlnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'; };
  size_t i = 0;
  while (i < head.size()) {
    if (!tokenChar(head[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < head.size() && tokenChar(head[i])) ++i;
    std::string_view tok = head.substr(start, i - start);
    if (tok.size() <= want.size() + 1 && normalizeDomain(tok) == want) return true;
  }
  return false;
}

bool forgesAuthservId(std::string_view value, std::string_view ours) {
  return claimsAuthservId(value, ours) || mentionsAuthservId(value, ours);
}

}  // namespace am::authres
