// tests/spf/zone.cpp — see zone.h.
#include "tests/spf/zone.h"

#include <cctype>

#include "common/strings.h"

namespace am::spftest {

TypeAnswer lookup(const Zone& zone, const std::string& name, const std::string& type) {
  TypeAnswer out;
  auto it = zone.find(normalizeDomain(name));
  if (it == zone.end()) return out;
  out.exists = true;
  bool seen = false;
  for (const Rr& rr : it->second) {
    if (rr.type == "TIMEOUT") {
      if (!seen) out.timeout = true;
      return out;  // nothing after a bare TIMEOUT is visible
    }
    if (rr.type != type) continue;
    seen = true;
    if (rr.value == "TIMEOUT") {
      out.timeout = true;
      return out;
    }
    out.records.push_back(rr);
  }
  return out;
}

std::optional<IpAddress> ipFromReverseName(std::string_view name) {
  std::string n = normalizeDomain(name);
  auto labels = split(n, ".", false);
  IpAddress ip;
  if (labels.size() == 6 && labels[4] == "in-addr" && labels[5] == "arpa") {
    std::string text = labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0];
    auto p = IpAddress::parse(text);
    if (!p || p->v6) return std::nullopt;
    return p;
  }
  if (labels.size() != 34 || labels[32] != "ip6" || labels[33] != "arpa") return std::nullopt;
  ip.v6 = true;
  for (int i = 0; i < 32; ++i) {
    const std::string& l = labels[31 - i];
    if (l.size() != 1 || !std::isxdigit(static_cast<unsigned char>(l[0]))) return std::nullopt;
    int v = std::isdigit(static_cast<unsigned char>(l[0])) ? l[0] - '0' : (l[0] | 0x20) - 'a' + 10;
    ip.bytes[i / 2] = static_cast<uint8_t>(ip.bytes[i / 2] | (i % 2 ? v : v << 4));
  }
  return ip;
}

namespace {

void forceTimeout(InMemoryResolver& dns, const std::string& name, const std::string& type) {
  static const std::map<std::string, RrType> types = {
      {"TXT", RrType::TXT}, {"A", RrType::A}, {"AAAA", RrType::AAAA}, {"MX", RrType::MX}, {"PTR", RrType::PTR}};
  dns.setStatus(name, types.at(type), DnsStatus::TempFail);
}

void addRecord(InMemoryResolver& dns, const std::string& name, const Rr& rr) {
  if (rr.type == "TXT") dns.addTxt(name, rr.value);
  else if (rr.type == "A") dns.addA(name, rr.value);
  else if (rr.type == "AAAA") dns.addAAAA(name, rr.value);
  else if (rr.type == "MX") dns.addMx(name, rr.pref, rr.value);
  else if (rr.type == "PTR") {
    if (auto ip = ipFromReverseName(name)) dns.addPtr(*ip, rr.value);
  }
}

}  // namespace

void loadZone(const Zone& zone, InMemoryResolver& dns) {
  for (const auto& [name, rrs] : zone) {
    for (const Rr& rr : rrs)
      if (rr.type == "CNAME") dns.addCname(name, rr.value);
    for (const char* type : {"TXT", "A", "AAAA", "MX", "PTR"}) {
      TypeAnswer a = lookup(zone, name, type);
      if (a.timeout) {
        forceTimeout(dns, name, type);
        continue;
      }
      for (const Rr& rr : a.records) addRecord(dns, name, rr);
    }
  }
}

}  // namespace am::spftest
