// filter/milter/protocol.h — the Sendmail milter wire protocol (version 6) as constants: command
// and reply codes, SMFIF_* action bits, SMFIP_* protocol bits and SMFIM_* macro stages. Shared by
// authmilter's own server (filter/milter/server.h) and the test client (tests/milterclient/).
// Header-only constants: no state, thread-safe.
// Framing: uint32 big-endian length (command byte + data), command byte, data.
#pragma once
#include <cstddef>
#include <cstdint>

namespace am::milter::proto {

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

inline constexpr uint32_t kVersion = 6;      // SMFI_PROT_VERSION
inline constexpr size_t kMaxChunk = 65535;   // MILTER_CHUNK_SIZE: body bytes per SMFIC_BODY

}  // namespace am::milter::proto
