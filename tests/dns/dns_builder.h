// tests/dns/dns_builder.h — builds DNS messages byte by byte for the wire and resolver tests,
// independently of the encoder under test (uncompressed names unless a test splices pointers).
// Header-only, pure functions, thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"

namespace am::dns::test {

using Bytes = std::vector<uint8_t>;

inline constexpr uint16_t kQr = 0x8000, kAa = 0x0400, kTc = 0x0200, kRd = 0x0100, kRa = 0x0080;

struct RrSpec {
  std::string name;
  uint16_t type = 1;
  uint32_t ttl = 300;
  Bytes rdata;
  uint16_t cls = 1;
};

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}

inline Bytes encName(std::string_view name) {
  Bytes b;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    b.push_back(static_cast<uint8_t>(label.size()));
    b.insert(b.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  b.push_back(0);
  return b;
}

inline Bytes rdAddr(std::string_view text) {
  auto ip = IpAddress::parse(text);
  if (!ip) return {};
  return Bytes(ip->bytes.begin(), ip->bytes.begin() + static_cast<long>(ip->size()));
}
inline Bytes rdTxt(const std::vector<std::string>& strings) {
  Bytes b;
  for (const auto& s : strings) {
    b.push_back(static_cast<uint8_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
  }
  return b;
}
inline Bytes rdName(std::string_view name) { return encName(name); }
inline Bytes rdMx(uint16_t pref, std::string_view host) {
  Bytes b;
  put16(b, pref);
  Bytes n = encName(host);
  b.insert(b.end(), n.begin(), n.end());
  return b;
}
inline Bytes rdSoa(uint32_t minimum) {
  Bytes b = encName("ns.example");
  Bytes r = encName("hostmaster.example");
  b.insert(b.end(), r.begin(), r.end());
  for (uint32_t v : {1u, 3600u, 600u, 86400u, minimum}) put32(b, v);
  return b;
}

inline void putRr(Bytes& b, const RrSpec& rr) {
  Bytes n = encName(rr.name);
  b.insert(b.end(), n.begin(), n.end());
  put16(b, rr.type);
  put16(b, rr.cls);
  put32(b, rr.ttl);
  put16(b, static_cast<uint16_t>(rr.rdata.size()));
  b.insert(b.end(), rr.rdata.begin(), rr.rdata.end());
}

// A full message: header, one question, answer and authority sections.
inline Bytes buildMessage(uint16_t id, uint16_t flags, std::string_view qname, uint16_t qtype,
                          const std::vector<RrSpec>& answers = {},
                          const std::vector<RrSpec>& authority = {}) {
  Bytes b;
  put16(b, id);
  put16(b, flags);
  put16(b, 1);
  put16(b, static_cast<uint16_t>(answers.size()));
  put16(b, static_cast<uint16_t>(authority.size()));
  put16(b, 0);
  Bytes q = encName(qname);
  b.insert(b.end(), q.begin(), q.end());
  put16(b, qtype);
  put16(b, 1);
  for (const auto& rr : answers) putRr(b, rr);
  for (const auto& rr : authority) putRr(b, rr);
  return b;
}

}  // namespace am::dns::test
