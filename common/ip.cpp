// common/ip.cpp — see ip.h.
#include "common/ip.h"

#include <arpa/inet.h>

#include <cstdio>

namespace am {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.v6 = false;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  a.v6 = true;
  return a;
}

IpAddress IpAddress::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress r;
  r.bytes[0] = a; r.bytes[1] = b; r.bytes[2] = c; r.bytes[3] = d;
  return r;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpAddress::isV4Mapped() const {
  if (!v6) return false;
  for (int i = 0; i < 10; ++i)
    if (bytes[i] != 0) return false;
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

IpAddress IpAddress::unmapped() const {
  if (!isV4Mapped()) return *this;
  return v4(bytes[12], bytes[13], bytes[14], bytes[15]);
}

bool IpAddress::isLoopback() const {
  IpAddress u = unmapped();
  if (!u.v6) return u.bytes[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (u.bytes[i] != 0) return false;
  return u.bytes[15] == 1;
}

std::string IpAddress::reverseName() const {
  std::string out;
  char buf[8];
  if (!v6) {
    for (int i = 3; i >= 0; --i) {
      std::snprintf(buf, sizeof buf, "%u.", bytes[i]);
      out += buf;
    }
    return out + "in-addr.arpa";
  }
  static const char* hex = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += hex[bytes[i] & 0xf];
    out += '.';
    out += hex[bytes[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

bool prefixMatch(const IpAddress& a, const IpAddress& b, int prefix) {
  if (a.v6 != b.v6) return false;
  int max = a.v6 ? 128 : 32;
  if (prefix < 0 || prefix > max) return false;
  int full = prefix / 8, rest = prefix % 8;
  for (int i = 0; i < full; ++i)
    if (a.bytes[i] != b.bytes[i]) return false;
  if (rest) {
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((a.bytes[full] & mask) != (b.bytes[full] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  c.net = *addr;
  int max = c.net.v6 ? 128 : 32;
  if (slash == std::string_view::npos) {
    c.prefix = max;
    return c;
  }
  auto digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int p = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    p = p * 10 + (ch - '0');
  }
  if (p > max) return std::nullopt;
  c.prefix = p;
  return c;
}

bool Cidr::contains(const IpAddress& addr) const {
  IpAddress a = addr.unmapped();
  IpAddress n = net.unmapped();
  int p = prefix;
  if (net.isV4Mapped()) p = prefix >= 96 ? prefix - 96 : 0;
  return prefixMatch(n, a, p);
}

std::string Cidr::str() const { return net.str() + "/" + std::to_string(prefix); }

}  // namespace am
