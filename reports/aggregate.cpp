// reports/aggregate.cpp — see aggregate.h.
#include "reports/aggregate.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "common/ip.h"

namespace am::reports {
namespace {

std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else if (u < 0x20 && c != '\t') o += ' ';  // not allowed in XML 1.0
    else o += c;
  }
  return o;
}

struct Xml {
  std::string out;
  int depth = 0;
  void open(std::string_view tag) { indent(), out.append("<").append(tag).append(">\n"), ++depth; }
  void close(std::string_view tag) { --depth, indent(), out.append("</").append(tag).append(">\n"); }
  void leaf(std::string_view tag, std::string_view v) {
    indent();
    out.append("<").append(tag).append(">").append(esc(v)).append("</").append(tag).append(">\n");
  }
  void indent() { out.append(static_cast<size_t>(depth) * 2, ' '); }
};

// RFC 7489's schema knows IPv6 only in its full eight-group form.
std::string fullIp(const std::string& ip) {
  auto a = IpAddress::parse(ip);
  if (!a || !a->v6) return ip;
  static const char* hex = "0123456789abcdef";
  std::string o;
  for (int i = 0; i < 16; i += 2) {
    if (i) o += ':';
    unsigned v = (a->bytes[i] << 8) | a->bytes[i + 1];
    o += hex[(v >> 12) & 15], o += hex[(v >> 8) & 15], o += hex[(v >> 4) & 15], o += hex[v & 15];
  }
  return o;
}

// Override reasons of each format; ours that a format lacks become "other" with our word as comment.
std::pair<std::string, std::string> overrideFor(const std::string& ours, Format f) {
  static const char* k7489[] = {"forwarded", "sampled_out", "trusted_forwarder", "mailing_list", "local_policy", "other"};
  static const char* k9990[] = {"local_policy", "mailing_list", "other", "policy_test_mode", "trusted_forwarder"};
  if (f == Format::Rfc9990 && ours == "sampled_out") return {"policy_test_mode", ""};  // t=y (RFC 9989)
  if (ours == "arc") return {"local_policy", "arc"};  // a trusted ARC sealer: local policy (RFC 8617, DMARC reporting)
  for (const char* k : f == Format::Rfc7489 ? std::vector<const char*>(std::begin(k7489), std::end(k7489))
                                            : std::vector<const char*>(std::begin(k9990), std::end(k9990)))
    if (ours == k) return {ours, ""};
  return {"other", ours};
}

void writePolicy(Xml& x, const Report& r, Format f) {
  const PublishedPolicy& p = r.published;
  x.open("policy_published");
  x.leaf("domain", r.domain);
  if (f == Format::Rfc7489) {
    x.leaf("adkim", p.adkim);
    x.leaf("aspf", p.aspf);
    x.leaf("p", p.p.empty() ? "none" : p.p);
    x.leaf("sp", p.sp.empty() ? (p.p.empty() ? "none" : p.p) : p.sp);
    x.leaf("pct", std::to_string(p.pct));
    x.leaf("fo", p.fo);
  } else {
    x.leaf("p", p.p.empty() ? "none" : p.p);
    if (!p.sp.empty()) x.leaf("sp", p.sp);
    if (!p.np.empty()) x.leaf("np", p.np);
    x.leaf("adkim", p.adkim);
    x.leaf("aspf", p.aspf);
    if (!p.discovery.empty()) x.leaf("discovery_method", p.discovery);
    x.leaf("fo", p.fo);
    x.leaf("testing", p.testing == "y" ? "y" : "n");
  }
  x.close("policy_published");
}

void writeRecord(Xml& x, const Report& r, const AggregateRow& row, Format f) {
  const AggregateKey& k = row.key;
  x.open("record");
  x.open("row");
  x.leaf("source_ip", f == Format::Rfc7489 ? fullIp(k.sourceIp) : k.sourceIp);
  x.leaf("count", std::to_string(row.count));
  x.open("policy_evaluated");
  std::string disposition = k.disposition;
  // RFC 9990: "pass" is no action for a message that passed under an enforcing policy.
  if (f == Format::Rfc9990 && disposition == "none" && k.dmarcResult == "pass" &&
      (r.published.p == "quarantine" || r.published.p == "reject"))
    disposition = "pass";
  x.leaf("disposition", disposition);
  x.leaf("dkim", k.dkimAligned == "pass" ? "pass" : "fail");
  x.leaf("spf", k.spfAligned == "pass" ? "pass" : "fail");
  if (!k.overrideReason.empty()) {
    auto [type, comment] = overrideFor(k.overrideReason, f);
    x.open("reason");
    x.leaf("type", type);
    if (!comment.empty()) x.leaf("comment", comment);
    x.close("reason");
  }
  x.close("policy_evaluated");
  x.close("row");
  x.open("identifiers");
  if (!k.envelopeTo.empty()) x.leaf("envelope_to", k.envelopeTo);
  if (f == Format::Rfc7489 || !k.envelopeFrom.empty()) x.leaf("envelope_from", k.envelopeFrom);
  x.leaf("header_from", k.headerFrom);
  x.close("identifiers");
  x.open("auth_results");
  for (auto& d : decodeDkim(k.dkim)) {
    x.open("dkim");
    x.leaf("domain", d.domain);
    if (f == Format::Rfc9990 || !d.selector.empty()) x.leaf("selector", d.selector);
    x.leaf("result", d.result);
    x.close("dkim");
  }
  x.open("spf");
  x.leaf("domain", k.spfDomain);
  if (f == Format::Rfc7489) x.leaf("scope", k.spfScope.empty() ? "mfrom" : k.spfScope);
  else if (k.spfScope == "mfrom") x.leaf("scope", "mfrom");
  x.leaf("result", k.spfResult.empty() ? "none" : k.spfResult);
  x.close("spf");
  x.close("auth_results");
  x.close("record");
}

std::string domainOfEmail(const std::string& email) {
  auto at = email.rfind('@');
  std::string d = at == std::string::npos ? email : email.substr(at + 1);
  for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

}  // namespace

std::vector<Report> buildReports(const std::vector<AggregateRow>& rows, const std::vector<PolicyRow>& policies,
                                 int64_t begin, int64_t end) {
  std::map<std::string, Report> byDomain;
  for (auto& row : rows) {
    if (row.key.hour < begin || row.key.hour >= end) continue;
    Report& r = byDomain[row.key.reportDomain];
    r.rows.push_back(row);
    r.messages += row.count;
  }
  std::map<std::string, int64_t> latest;
  for (auto& p : policies) {
    auto it = byDomain.find(p.reportDomain);
    if (it == byDomain.end() || p.hour < begin || p.hour >= end) continue;
    if (latest.count(p.reportDomain) && latest[p.reportDomain] > p.hour) continue;
    latest[p.reportDomain] = p.hour;
    it->second.published = p.published;
  }
  // Rows of one domain that differ only in their hour are one record of the report.
  std::vector<Report> out;
  for (auto& [domain, r] : byDomain) {
    std::map<AggregateKey, uint64_t> merged;
    for (auto& row : r.rows) {
      AggregateKey k = row.key;
      k.hour = 0;
      merged[k] += row.count;
    }
    r.rows.clear();
    for (auto& [k, n] : merged) r.rows.push_back({k, n});
    r.domain = domain;
    r.begin = begin;
    r.end = end;
    r.reportId = domain + "." + std::to_string(begin) + "." + std::to_string(end);
    out.push_back(std::move(r));
  }
  return out;
}

std::string reportXml(const Report& r, const Reporter& who, Format f) {
  Xml x;
  x.out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  if (f == Format::Rfc9990) {
    x.out += "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n";
    x.depth = 1;
  } else {
    x.open("feedback");
  }
  x.leaf("version", "1.0");
  x.open("report_metadata");
  x.leaf("org_name", who.orgName);
  x.leaf("email", who.email);
  x.leaf("report_id", r.reportId);
  x.open("date_range");
  x.leaf("begin", std::to_string(r.begin));
  x.leaf("end", std::to_string(r.end - 1));
  x.close("date_range");
  if (f == Format::Rfc9990 && !who.generator.empty()) x.leaf("generator", who.generator);
  x.close("report_metadata");
  writePolicy(x, r, f);
  for (auto& row : r.rows) writeRecord(x, r, row, f);
  x.close("feedback");
  return x.out;
}

std::string reportFileName(const Report& r, const Reporter& who) {
  return domainOfEmail(who.email) + "!" + r.domain + "!" + std::to_string(r.begin) + "!" + std::to_string(r.end - 1) +
         "!" + std::to_string(r.begin / 3600) + ".xml.gz";
}

std::optional<std::string> gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  struct End {
    z_stream* z;
    ~End() { deflateEnd(z); }
  } guard{&z};
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) return std::nullopt;
  out.resize(z.total_out);
  return out;
}

std::string RuaDestination::domain() const { return domainOfEmail(address); }

std::optional<RuaDestination> parseRua(std::string_view uri) {
  if (uri.size() < 8 || !std::equal(uri.begin(), uri.begin() + 7, "mailto:", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      }))
    return std::nullopt;
  uri.remove_prefix(7);
  RuaDestination d;
  if (auto bang = uri.rfind('!'); bang != std::string_view::npos) {
    std::string_view size = uri.substr(bang + 1);
    uri = uri.substr(0, bang);
    uint64_t n = 0, mult = 1;
    size_t i = 0;
    for (; i < size.size() && std::isdigit(static_cast<unsigned char>(size[i])); ++i) n = n * 10 + (size[i] - '0');
    if (i == 0 || i + 1 < size.size()) return std::nullopt;
    if (i < size.size()) {
      switch (std::tolower(static_cast<unsigned char>(size[i]))) {
        case 'k': mult = 1ull << 10; break;
        case 'm': mult = 1ull << 20; break;
        case 'g': mult = 1ull << 30; break;
        case 't': mult = 1ull << 40; break;
        default: return std::nullopt;
      }
    }
    d.maxBytes = n * mult;
  }
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size() + 0 && std::isxdigit(static_cast<unsigned char>(uri[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(uri[i + 2]))) {
      d.address += static_cast<char>(std::stoi(std::string(uri.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      d.address += uri[i];
    }
  }
  auto at = d.address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == d.address.size() || d.address.find_first_of(" <>\r\n,?") != std::string::npos)
    return std::nullopt;
  return d;
}

}  // namespace am::reports
