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

namespace am::milter_client::wire {

// MTA -> filter commands (SMFIC_*).
inline constexpr char kAbort = 'A', kBody = 'B', kConnect = 'C', kMacro = 'D', kEndOfBody = 'E',
                      kHelo = 'H', kQuitNewConn = 'K', kHeader = 'L', kMail = 'M', kEndOfHeaders = 'N',
                      kOptNeg = 'O', kQuit = 'Q', kRcpt = 'R', kData = 'T', kUnknown = 'U';

// Filter -> MTA replies (SMFIR_*).
inline constexpr char kAddRcpt = '+', kDelRcpt = '-', kAddRcptPar = '2', kShutdown = '4', kAccept = 'a',
                      kReplaceBody = 'b', kContinue = 'c', kDiscard = 'd', kChangeFrom = 'e',
                      kConnFail = 'f', kAddHeader = 'h', kInsertHeader = 'i', kSetSymList = 'l',
                      kChangeHeader = 'm', kProgress = 'p', kQuarantine = 'q', kReject = 'r',
                      kSkip = 's', kTempFail = 't', kReplyCode = 'y';

// Actions the filter may request (SMFIF_*).
inline constexpr uint32_t kActAddHeaders = 0x001, kActChangeBody = 0x002, kActAddRcpt = 0x004,
                          kActDelRcpt = 0x008, kActChangeHeaders = 0x010, kActQuarantine = 0x020,
                          kActChangeFrom = 0x040, kActAddRcptPar = 0x080, kActSetSymList = 0x100;
inline constexpr uint32_t kAllActions = 0x1ff;

// Protocol flags (SMFIP_*).
inline constexpr uint32_t kNoConnect = 0x1, kNoHelo = 0x2, kNoMail = 0x4, kNoRcpt = 0x8, kNoBody = 0x10,
                          kNoHeaders = 0x20, kNoEoh = 0x40, kNrHeader = 0x80, kNoUnknown = 0x100,
                          kNoData = 0x200, kSkipFlag = 0x400, kRcptRej = 0x800, kNrConnect = 0x1000,
                          kNrHelo = 0x2000, kNrMail = 0x4000, kNrRcpt = 0x8000, kNrData = 0x10000,
                          kNrUnknown = 0x20000, kNrEoh = 0x40000, kNrBody = 0x80000,
                          kHeaderLeadingSpace = 0x100000;
// What Postfix offers with milter_protocol = 6 (its MILTER8_V6_PROTO_MASK): every bit above.
inline constexpr uint32_t kPostfixV6Protocol = 0x1fffff;

// Macro stages as numbered in the OPTNEG reply (SMFIM_*).
enum MacroStage : int { kMacConnect = 0, kMacHelo, kMacMail, kMacRcpt, kMacData, kMacEom, kMacEoh, kMacCount };

// Postfix 3.7 defaults (postconf -d milter_*_macros) per stage, used when the filter sends none.
const char* postfixDefaultMacros(MacroStage stage);

inline constexpr size_t kMaxChunk = 65535;        // MILTER_CHUNK_SIZE
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
