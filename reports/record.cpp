// reports/record.cpp — see record.h.
#include "reports/record.h"

namespace am::reports {
namespace {

std::string clean(const std::string& s) {
  std::string out = s.empty() ? std::string("-") : s;
  for (char& c : out)
    if (c == ' ' || c == ';' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f) c = '_';
  return out;
}

std::vector<std::string> splitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t e = s.find(sep, pos);
    if (e == std::string::npos) e = s.size();
    if (e > pos) out.push_back(s.substr(pos, e - pos));
    pos = e + 1;
  }
  return out;
}

}  // namespace

int64_t hourOf(int64_t t) {
  int64_t h = t - t % 3600;
  return t < 0 && t % 3600 ? h - 3600 : h;
}

AggregateKey keyOf(const Record& r) {
  return AggregateKey{r.reportDomain, hourOf(r.time), r.sourceIp, r.headerFrom, r.envelopeFrom, r.envelopeTo,
                      r.dmarcResult, r.disposition, r.dkimAligned, r.spfAligned, r.overrideReason,
                      encodeDkim(r.dkim), r.spfDomain, r.spfScope, r.spfResult};
}

std::string encodeDkim(const std::vector<DkimAuth>& d) {
  std::string out;
  for (auto& a : d) {
    if (!out.empty()) out += ';';
    out += clean(a.domain) + ' ' + clean(a.selector) + ' ' + clean(a.result);
  }
  return out;
}

std::vector<DkimAuth> decodeDkim(const std::string& s) {
  std::vector<DkimAuth> out;
  for (auto& item : splitOn(s, ';')) {
    auto f = splitOn(item, ' ');
    if (f.size() != 3) continue;
    out.push_back({f[0] == "-" ? "" : f[0], f[1] == "-" ? "" : f[1], f[2] == "-" ? "" : f[2]});
  }
  return out;
}

std::string encodeList(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::vector<std::string> decodeList(const std::string& s) { return splitOn(s, ' '); }

}  // namespace am::reports
