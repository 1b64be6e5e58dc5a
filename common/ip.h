// common/ip.h — IP addresses and CIDR blocks as values.
// Parsing never throws: it returns std::nullopt on bad input. Thread-safe (pure values).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace am {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // v4 uses bytes[0..3]

  static std::optional<IpAddress> parse(std::string_view text);  // "192.0.2.1", "2001:db8::1", "[::1]"
  static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  std::string str() const;
  bool isV4Mapped() const;     // ::ffff:a.b.c.d
  IpAddress unmapped() const;  // ::ffff:a.b.c.d -> a.b.c.d, else itself
  bool isLoopback() const;
  // Reverse name under in-addr.arpa / ip6.arpa, without trailing dot.
  std::string reverseName() const;
  size_t size() const { return v6 ? 16 : 4; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Cidr {
  IpAddress net;
  int prefix = 0;
  // "192.0.2.0/24", "2001:db8::/32", a bare address (full-length prefix).
  static std::optional<Cidr> parse(std::string_view text);
  // Mapped v4 clients match v4 blocks.
  bool contains(const IpAddress& addr) const;
  std::string str() const;
};

// True when the first `prefix` bits of a and b agree (same family required).
bool prefixMatch(const IpAddress& a, const IpAddress& b, int prefix);

}  // namespace am
