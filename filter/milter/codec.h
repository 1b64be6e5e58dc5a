// filter/milter/codec.h — milter packet framing and field encoding for authmilter's server:
// finding complete packets in an input buffer (zero-copy views), reading NUL-terminated fields,
// and appending reply packets to an output buffer. Untrusted input never overruns: every getter
// returns nullopt instead. Pure functions and small value types: thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace am::milter {

// Largest accepted packet length (command byte + data). libmilter's default is 64 KiB; the
// adapter raises it to 1 MiB (one header may exceed 64 KiB); a little slack for the framing.
inline constexpr uint32_t kMaxPacketLength = (1u << 20) + 4096;

struct Frame {
  enum class Status { Complete, NeedMore, Malformed } status = Status::NeedMore;
  char cmd = 0;
  std::string_view data;  // Complete: the packet's data (a view into the buffer)
  size_t size = 0;        // Complete: bytes to consume; NeedMore: total bytes the packet needs (0 = unknown yet)
  uint32_t length = 0;    // the length field as read (for error messages)
};

// Looks at the start of `buf`: a whole packet, a need for more bytes, or a length of 0 or above
// `maxLength` (Malformed: the stream cannot be resynchronised).
Frame nextFrame(std::string_view buf, uint32_t maxLength = kMaxPacketLength);

// Reads fields of one packet's data.
class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : d_(data) {}
  std::optional<uint32_t> u32();
  std::optional<uint16_t> u16();
  std::optional<char> byte();
  std::optional<std::string_view> str();  // up to the next NUL, which must exist
  std::string_view rest();
  bool done() const { return pos_ == d_.size(); }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

// Appending packets to an output buffer.
void appendPacket(std::string& out, char cmd, std::string_view data = {});
// A packet whose data is fields: call begin, append with put*, then finish (writes the length).
size_t beginPacket(std::string& out, char cmd);
void finishPacket(std::string& out, size_t start);
void putU32(std::string& out, uint32_t v);
void putStr(std::string& out, std::string_view s);  // s + NUL (embedded NULs are cut at the first)

// SMFIR_REPLYCODE data: "rcode xcode text" as given (an empty xcode or text is left out with its
// space). The text is already one line with '%' doubled: plan() in apply.h makes it so.
void appendReplyCode(std::string& out, std::string_view rcode, std::string_view xcode, std::string_view text);

}  // namespace am::milter
