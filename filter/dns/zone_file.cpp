// filter/dns/zone_file.cpp — see zone_file.h. Two steps: a lexer that turns the text into entries
// (one logical record line: parentheses joined, comments dropped, quoted strings decoded), then one
// function per entry that interprets names, TTL, class, type and RDATA.
#include "filter/dns/zone_file.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/strings.h"

namespace am::dns {
namespace {

constexpr size_t kMaxCharString = 255;  // RFC 1035 §3.3: one <character-string>
constexpr uint64_t kMaxTtl = 0x7fffffff;

struct Token {
  std::string text;  // quoted: decoded; unquoted: as written (escapes kept)
  bool quoted = false;
};

struct Entry {
  std::vector<Token> tokens;
  bool ownerOmitted = false;  // the line began with blank space: the previous owner
  size_t line = 0;
};

class Parser {
 public:
  Parser(std::string_view file, ZoneData& out, std::vector<std::string>& errors)
      : file_(file), out_(out), errors_(errors) {}

  bool run(std::string_view text) {
    if (!lex(text)) return false;
    return finish();
  }

 private:
  bool fail(size_t line, const std::string& msg) {
    errors_.push_back(std::string(file_) + ":" + std::to_string(line) + ": " + msg);
    return false;
  }

  // --- lexer -------------------------------------------------------------------------------
  bool lex(std::string_view t) {
    Entry cur;
    size_t line = 1, depth = 0, openLine = 0;
    bool atLineStart = true;
    auto flush = [&]() -> bool {
      bool ok = cur.tokens.empty() || entry(cur);
      cur = Entry{};
      return ok;
    };
    for (size_t i = 0; i < t.size();) {
      char c = t[i];
      if (atLineStart && depth == 0 && cur.tokens.empty()) {
        cur.ownerOmitted = c == ' ' || c == '\t';
        cur.line = line;
      }
      atLineStart = false;
      if (c == '\n') {
        ++line;
        ++i;
        atLineStart = true;
        if (depth == 0 && !flush()) return false;
        continue;
      }
      if (c == ' ' || c == '\t' || (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n')) {
        ++i;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fail(line, "control character in the file");
      if (c == ';') {
        while (i < t.size() && t[i] != '\n') ++i;
        continue;
      }
      if (c == '(') {
        if (depth++ == 0) openLine = line;
        ++i;
        continue;
      }
      if (c == ')') {
        if (depth == 0) return fail(line, "')' without '('");
        --depth;
        ++i;
        continue;
      }
      if (cur.tokens.empty()) cur.line = line;
      Token tok;
      if (c == '"') {
        tok.quoted = true;
        if (!quoted(t, i, line, tok.text)) return false;
      } else {
        size_t start = i;
        while (i < t.size() && !std::strchr(" \t\r\n;()\"", t[i])) {
          if (static_cast<unsigned char>(t[i]) < 0x20 || t[i] == 0x7f) return fail(line, "control character in the file");
          if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] != '\n') ++i;
          ++i;
        }
        tok.text = std::string(t.substr(start, i - start));
      }
      cur.tokens.push_back(std::move(tok));
    }
    if (depth > 0) return fail(openLine, "'(' is never closed");
    return flush();
  }

  // A quoted string starting at t[i] == '"'; leaves i after the closing quote.
  bool quoted(std::string_view t, size_t& i, size_t line, std::string& out) {
    for (++i; i < t.size(); ++i) {
      char c = t[i];
      if (c == '"') {
        ++i;
        return true;
      }
      if (c == '\n') break;
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return fail(line, "control character in a quoted string");
      if (c == '\\') {
        if (!unescape(t, i, out)) return fail(line, "bad escape in a quoted string");
        continue;
      }
      out += c;
    }
    return fail(line, "unterminated quoted string");
  }

  // t[i] == '\\': appends the escaped byte (\X or \DDD) and leaves i on its last character.
  static bool unescape(std::string_view t, size_t& i, std::string& out) {
    if (i + 1 >= t.size() || t[i + 1] == '\n') return false;
    if (std::isdigit(static_cast<unsigned char>(t[i + 1]))) {
      if (i + 3 >= t.size()) return false;
      unsigned v = 0;
      for (size_t k = 1; k <= 3; ++k) {
        if (!std::isdigit(static_cast<unsigned char>(t[i + k]))) return false;
        v = v * 10 + static_cast<unsigned>(t[i + k] - '0');
      }
      if (v > 255) return false;
      out += static_cast<char>(v);
      i += 3;
      return true;
    }
    out += t[++i];
    return true;
  }

  // --- names, numbers ------------------------------------------------------------------------
  // An owner or RDATA name: '@', absolute ("a.example."), or relative to $ORIGIN. Lowercase, no
  // trailing dot. allowRoot: "." is the root (the null MX), returned as "".
  std::optional<std::string> name(const Token& tok, size_t line, bool allowRoot = false) {
    const std::string& s = tok.text;
    if (tok.quoted) return fail(line, "a name cannot be a quoted string"), std::nullopt;
    if (s == "@") {
      if (origin_.empty()) return fail(line, "'@' without $ORIGIN"), std::nullopt;
      return origin_;
    }
    if (s == ".") {
      if (allowRoot) return std::string();
      return fail(line, "the root name cannot own or be named here"), std::nullopt;
    }
    std::string decoded, label;
    bool absolute = false;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '.') {
        if (label.empty()) return fail(line, "empty label in '" + s + "'"), std::nullopt;
        if (i + 1 == s.size()) absolute = true;
        decoded += (decoded.empty() ? "" : ".") + label;
        label.clear();
        continue;
      }
      size_t before = label.size();
      if (s[i] == '\\') {
        if (!unescape(s, i, label)) return fail(line, "bad escape in name '" + s + "'"), std::nullopt;
      } else {
        label += s[i];
      }
      unsigned char b = static_cast<unsigned char>(label[before]);
      if (b == '.' || b < 0x21 || b == 0x7f) return fail(line, "unsupported character in name '" + s + "'"), std::nullopt;
    }
    if (!label.empty()) decoded += (decoded.empty() ? "" : ".") + label;
    if (!absolute) {
      if (origin_.empty()) return fail(line, "relative name '" + s + "' without $ORIGIN"), std::nullopt;
      decoded += "." + origin_;
    }
    decoded = toLower(decoded);
    if (!queryableName(decoded)) return fail(line, "name too long or label over 63 octets: '" + s + "'"), std::nullopt;
    return decoded;
  }

  // A TTL: digits, or units like 1h30m (s, m, h, d, w).
  static std::optional<uint64_t> ttl(std::string_view s) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    uint64_t total = 0, n = 0;
    bool digits = false;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      if (std::isdigit(static_cast<unsigned char>(c))) {
        n = n * 10 + static_cast<uint64_t>(c - '0');
        digits = true;
        if (n > kMaxTtl) return std::nullopt;
        continue;
      }
      const char* units = "smhdw";
      static const uint64_t mult[] = {1, 60, 3600, 86400, 604800};
      const char* u = std::strchr(units, c);
      if (!u || !digits || c == '\0') return std::nullopt;
      total += n * mult[u - units];
      n = 0;
      digits = false;
      if (total > kMaxTtl) return std::nullopt;
    }
    total += n;
    return total > kMaxTtl ? std::nullopt : std::optional<uint64_t>(total);
  }

  static bool isClass(std::string_view s) {
    return iequals(s, "IN") || iequals(s, "CH") || iequals(s, "HS") || iequals(s, "CS");
  }

  static bool isTypeName(std::string_view s) {
    if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    return true;
  }

  // --- entries -------------------------------------------------------------------------------
  bool directive(const Entry& e) {
    const std::string& d = e.tokens[0].text;
    if (iequals(d, "$ORIGIN")) {
      if (e.tokens.size() != 2) return fail(e.line, "$ORIGIN takes one name");
      auto n = name(e.tokens[1], e.line);
      if (!n) return false;
      origin_ = *n;
      return true;
    }
    if (iequals(d, "$TTL")) {
      if (e.tokens.size() != 2 || !ttl(e.tokens[1].text)) return fail(e.line, "$TTL takes one TTL value");
      return true;
    }
    if (iequals(d, "$INCLUDE")) return fail(e.line, "$INCLUDE is not supported: give each file with its own --dns-zone");
    return fail(e.line, "unknown directive '" + d + "'");
  }

  bool entry(const Entry& e) {
    if (!e.tokens[0].quoted && !e.tokens[0].text.empty() && e.tokens[0].text[0] == '$') return directive(e);
    size_t i = 0;
    std::string owner;
    if (e.ownerOmitted) {
      if (lastOwner_.empty()) return fail(e.line, "record without an owner name (no previous owner)");
      owner = lastOwner_;
    } else {
      auto n = name(e.tokens[i++], e.line);
      if (!n) return false;
      owner = *n;
    }
    for (int k = 0; k < 2 && i < e.tokens.size() && !e.tokens[i].quoted; ++k) {
      const std::string& t = e.tokens[i].text;
      if (ttl(t)) ++i;
      else if (isClass(t)) {
        if (!iequals(t, "IN")) return fail(e.line, "only class IN is supported, not " + t);
        ++i;
      } else break;
    }
    if (i >= e.tokens.size()) return fail(e.line, "missing record type");
    const Token& type = e.tokens[i++];
    if (type.quoted || !isTypeName(type.text)) return fail(e.line, "bad record type '" + type.text + "'");
    lastOwner_ = owner;
    std::vector<Token> rdata(e.tokens.begin() + static_cast<std::ptrdiff_t>(i), e.tokens.end());
    if (!record(owner, toUpper(type.text), rdata, e.line)) return false;
    addInterior(owner);
    return true;
  }

  static std::string toUpper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }

  bool record(const std::string& owner, const std::string& type, const std::vector<Token>& rd, size_t line) {
    ZoneNode& n = out_.nodes[owner];
    auto count = [&](size_t want) {
      return rd.size() == want || fail(line, type + " takes " + std::to_string(want) + " value(s), got " + std::to_string(rd.size()));
    };
    if (type == "A" || type == "AAAA") {
      if (!count(1)) return false;
      bool v6 = type == "AAAA";
      auto ip = rd[0].quoted || rd[0].text.find('[') != std::string::npos ? std::nullopt : IpAddress::parse(rd[0].text);
      if (!ip || ip->v6 != v6) return fail(line, "bad " + type + " address '" + rd[0].text + "'");
      (v6 ? n.aaaa : n.a).push_back(*ip);
      return true;
    }
    if (type == "MX") {
      if (!count(2)) return false;
      char* end = nullptr;
      errno = 0;
      unsigned long pref = std::strtoul(rd[0].text.c_str(), &end, 10);
      if (rd[0].quoted || rd[0].text.empty() || *end || errno || pref > 65535 || !std::isdigit(static_cast<unsigned char>(rd[0].text[0])))
        return fail(line, "bad MX preference '" + rd[0].text + "'");
      auto host = name(rd[1], line, true);
      if (!host) return false;
      n.mx.push_back({static_cast<uint16_t>(pref), *host});
      return true;
    }
    if (type == "TXT") {
      if (rd.empty()) return fail(line, "TXT needs at least one string");
      std::string joined;
      for (auto& t : rd) {
        std::string s = t.text;
        if (!t.quoted) {
          s.clear();
          for (size_t k = 0; k < t.text.size(); ++k) {
            if (t.text[k] != '\\') s += t.text[k];
            else if (!unescape(t.text, k, s)) return fail(line, "bad escape in TXT data");
          }
        }
        if (s.size() > kMaxCharString) return fail(line, "TXT string over 255 octets: split it into several quoted strings");
        joined += s;
      }
      n.txt.push_back(std::move(joined));
      return true;
    }
    if (type == "PTR" || type == "CNAME") {
      if (!count(1)) return false;
      auto target = name(rd[0], line);
      if (!target) return false;
      if (type == "PTR") {
        n.ptr.push_back(*target);
      } else {
        if (!n.cname.empty()) return fail(line, "more than one CNAME for " + owner);
        n.cname = *target;
        cnameLine_[owner] = line;
      }
      return true;
    }
    if (type == "SOA" && rd.size() != 7) return fail(line, "SOA takes 7 values, got " + std::to_string(rd.size()));
    n.otherTypes = true;
    return true;
  }

  // Every name between the owner and the zone's origin exists (RFC 4592 §2.2.2).
  void addInterior(const std::string& owner) {
    if (origin_.empty() || owner == origin_) return;
    const std::string suffix = "." + origin_;
    if (owner.size() <= suffix.size() || owner.compare(owner.size() - suffix.size(), suffix.size(), suffix) != 0) return;
    for (size_t dot = owner.find('.'); dot != std::string::npos && dot + 1 < owner.size(); dot = owner.find('.', dot + 1)) {
      std::string parent = owner.substr(dot + 1);
      out_.interior.insert(parent);
      if (parent == origin_) break;
    }
  }

  // RFC 1034 §3.6.2: an alias owns no other data.
  bool finish() {
    for (auto& [owner, line] : cnameLine_)
      if (out_.nodes[owner].hasData()) return fail(line, "CNAME and other data for " + owner);
    return true;
  }

  std::string_view file_;
  ZoneData& out_;
  std::vector<std::string>& errors_;
  std::string origin_, lastOwner_;
  std::map<std::string, size_t> cnameLine_;
};

}  // namespace

bool parseZoneText(std::string_view text, std::string_view fileName, ZoneData& into, std::vector<std::string>& errors) {
  size_t before = errors.size();
  Parser p(fileName, into, errors);
  bool ok = p.run(text);
  if (!ok && errors.size() == before) errors.push_back(std::string(fileName) + ": unreadable zone file");
  return ok;
}

bool loadZoneFile(const std::string& path, ZoneData& into, std::vector<std::string>& errors) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    errors.push_back(path + ": cannot read: " + std::strerror(errno));
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  return parseZoneText(ss.str(), path, into, errors);
}

}  // namespace am::dns
