// tests/milterclient/protocol.h — the Sendmail milter wire protocol (version 6) as plain values:
// command/reply codes, flag bits, packet framing and the NUL-terminated field encoding.
// Used by the client (MTA side) and by the test-only fake filter (filter side).
// Pure functions over strings; no I/O, no state: thread-safe.
// Framing: uint32 big-endian length (command byte + data), command byte, data.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/milter/protocol.h"

namespace am::milter_client::wire {

// Command/reply codes, SMFIF_*/SMFIP_* bits, SMFIM_* stages and kMaxChunk are shared with
// authmilter's own server: filter/milter/protocol.h.
using namespace am::milter::proto;

// Postfix 3.7 defaults (postconf -d milter_*_macros) per stage, used when the filter sends none.
const char* postfixDefaultMacros(MacroStage stage);

inline constexpr size_t kMaxPacket = 1u << 20;    // larger replies are treated as malformed

struct Packet {
  char cmd = 0;
  std::string data;
};

// Length prefix + command + data.
std::string encode(char cmd, std::string_view data = {});
std::string encode(const Packet& p);
void putU32(std::string& out, uint32_t v);
void putU16(std::string& out, uint16_t v);
// Appends s and a terminating NUL.
void putStr(std::string& out, std::string_view s);

// Reads fields from a packet's data; every getter fails (returns nullopt) instead of overrunning.
class Reader {
 public:
  explicit Reader(std::string_view data) : d_(data) {}
  std::optional<uint32_t> u32();
  std::optional<uint16_t> u16();
  std::optional<char> byte();
  std::optional<std::string> str();  // up to the next NUL, which must exist
  std::string rest();                // everything left (for raw body data)
  bool done() const { return pos_ == d_.size(); }
  size_t remaining() const { return d_.size() - pos_; }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

// Splits the data of a SMFIC_MACRO packet ("<cmd>name\0value\0...") into pairs; nullopt if malformed.
std::optional<std::pair<char, std::vector<std::pair<std::string, std::string>>>> decodeMacros(
    std::string_view data);

// Human-readable name of a command or reply code, for error texts ("SMFIC_HEADER", "SMFIR_ACCEPT").
std::string commandName(char cmd);
std::string replyName(char reply);

}  // namespace am::milter_client::wire
