// filter/dns/wire.h — the DNS wire format (RFC 1035 §4, RFC 6891 OPT): query encoder, name
// validation and a defensive message decoder.
//
// Everything here is a pure function over byte buffers: no I/O, no globals, thread-safe.
// The decoder treats its input as hostile: every read is bounds-checked, compression pointers
// must point strictly backwards (so they cannot loop) and are additionally capped, section
// counts are never trusted for allocation, and a malformed message yields std::nullopt
// (never a crash, never an assert). Names come out lowercase, without the trailing dot, in
// presentation form (a '.', '\' or non-printable byte inside a label is escaped as \. \\ \DDD).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace am::dns::wire {

namespace type {
inline constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16,
                          AAAA = 28, OPT = 41;
}
namespace rcode {
inline constexpr unsigned NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4,
                          Refused = 5;
}
inline constexpr uint16_t kClassIn = 1;
inline constexpr size_t kMaxName = 253;   // presentation length, no trailing dot
inline constexpr size_t kMaxLabel = 63;

// A validated, normalised query name in a fixed buffer (no allocation): lowercase, no
// trailing dot, 1..253 bytes, labels 1..63 bytes, no byte <= 0x20, 0x7f or '\'.
struct Name {
  std::array<char, kMaxName> buf{};
  size_t len = 0;
  std::string_view view() const { return {buf.data(), len}; }
};
// Validates `text` (one trailing dot allowed) into `out`. False = not a valid query name.
bool normalizeName(std::string_view text, Name& out);

struct Query {
  uint16_t id = 0;
  std::string_view name;  // must already be valid (normalizeName)
  uint16_t qtype = type::TXT;
  bool recursionDesired = true;
  bool edns = true;            // add an OPT RR advertising ednsUdpSize
  uint16_t ednsUdpSize = 1232;
};
// Encodes a standard query. std::nullopt if the name is not valid.
std::optional<std::vector<uint8_t>> encodeQuery(const Query& q);

struct Header {
  uint16_t id = 0, flags = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  bool qr() const { return flags & 0x8000; }
  bool tc() const { return flags & 0x0200; }
  bool aa() const { return flags & 0x0400; }
  unsigned rcode() const { return flags & 0x000f; }
};

// One resource record with its RDATA decoded for the types authmilter uses.
struct Rr {
  std::string owner;  // lowercase, no trailing dot
  uint16_t rtype = 0, rclass = 0;
  uint32_t ttl = 0;
  // A/AAAA: the 4 or 16 address bytes; TXT: the character-strings joined;
  // CNAME/PTR/NS/MX: the target name (lowercase, no trailing dot; "" for the root).
  std::string data;
  uint16_t preference = 0;  // MX
  uint32_t soaMinimum = 0;  // SOA
};

struct Message {
  Header header;
  std::string qname;  // lowercase, no trailing dot
  uint16_t qtype = 0, qclass = 0;
  std::vector<Rr> answers;
  std::vector<Rr> authority;  // the additional section is checked for bounds only
};

// Decodes only the header and the (single) question: enough to match a reply to a query
// before trusting anything else in it. Requires QDCOUNT == 1.
struct Preamble {
  Header header;
  std::string qname;
  uint16_t qtype = 0, qclass = 0;
};
std::optional<Preamble> decodePreamble(std::span<const uint8_t> msg);

// Decodes the whole message. std::nullopt when anything is out of bounds or inconsistent.
std::optional<Message> decodeMessage(std::span<const uint8_t> msg);

// True when `reply` answers `query`: same ID, QR set, same question (name case-insensitive).
bool matchesQuery(const Preamble& reply, uint16_t id, std::string_view qname, uint16_t qtype);

// Reads a possibly compressed name at `pos` (exposed for tests). On success stores the
// presentation name in `out` and the offset just past the name in `next`.
bool readName(std::span<const uint8_t> msg, size_t pos, std::string& out, size_t& next);

}  // namespace am::dns::wire
