// filter/milter/connection.h — one milter connection as seen by authmilter's own server: the
// protocol state machine (negotiation, macros, one core::Session per SMTP connection, replies) and
// the non-blocking I/O step that feeds it (serveReady).
//
// Connection turns each complete packet into a call on core::Session and appends the replies to an
// output buffer; it does no I/O itself, so tests can drive it packet by packet. serveReady reads
// what the socket has into a large buffer, handles every complete packet in it, and writes the
// collected replies once, when the socket has nothing more to read: one write per round trip, and
// end of message (header edits, quarantine, final reply) in one write.
//
// Ownership: a Connection owns its Session (freed on QUIT, QUIT_NC, disconnect or destruction).
// Thread-safety: a Connection and its buffers are used by one thread at a time.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "filter/core/engine.h"
#include "filter/core/verdict.h"

namespace am::core {
class Session;
}

namespace am::milter {

// SMFIF_* actions we ask for (each only if offered) and SMFIP_* bits we ask for.
uint32_t wantedActions();
uint32_t wantedProtocol();

class Connection {
 public:
  enum class Next { Continue, Close };
  // `peer` is used in log lines only ("127.0.0.1:4711", "unix").
  Connection(core::Engine& engine, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Handles one complete packet; appends any replies to `out`. Close: protocol error, QUIT, or a
  // command we cannot answer (already logged).
  Next onPacket(char cmd, std::string_view data, std::string& out);

  bool negotiated() const { return negotiated_; }
  uint32_t actions() const { return actions_; }
  uint32_t protocol() const { return protocol_; }
  const std::string& peer() const { return peer_; }

 private:
  Next dispatch(char cmd, std::string_view data, std::string& out);
  Next negotiate(std::string_view data, std::string& out);
  Next macros(std::string_view data);
  Next connect(std::string_view data, std::string& out);
  Next header(std::string_view data, std::string& out);
  Next endOfMessage(std::string_view data, std::string& out);
  Next firstArg(char cmd, std::string_view data, std::string& out);
  // Replies with `v` unless the stage was negotiated as no-reply (then a non-Continue verdict is
  // kept and answered at the next command that takes a reply).
  void reply(const core::Verdict& v, uint32_t noReplyFlag, std::string& out);
  // Plans `v` with what was negotiated (apply.h) and appends its packets.
  void appendVerdict(const core::Verdict& v, bool atEom, std::string& out);
  core::Verdict fallback() const;
  Next protocolError(const std::string& what);
  core::Session& session();

  core::Engine& engine_;
  std::string peer_;
  std::unique_ptr<core::Session> session_;
  bool negotiated_ = false;
  uint32_t actions_ = 0, protocol_ = 0;
  std::optional<core::Verdict> pending_;         // decided at a no-reply stage
  std::optional<core::Verdict> connectPending_;  // a connect verdict under NR_CONN (drain: 421)
};

// Bytes read from a connection and not yet handled. Holds a maximal body packet (65535 bytes + 5
// of framing) plus what follows it; a larger packet grows it while it is being read.
struct InputBuffer {
  static constexpr size_t kInitial = 72 * 1024;
  std::unique_ptr<char[]> data;
  size_t capacity = 0, start = 0, end = 0;
  bool empty() const { return start == end; }
};

struct ServeStats {
  uint64_t packets = 0, reads = 0, writes = 0;
};

// What a connection waits for after serveReady.
enum class IoWait { Read, Write, Close };

// Serves what a non-blocking socket has ready: first writes `out` (replies left from a write that
// would have blocked), then reads into `in` (at most `maxReads` times, stopping once the socket is
// empty), handles every complete packet and writes the collected replies in one send(). Read:
// nothing more to do until the socket is readable; Write: `out` still holds replies (wait until
// writable); Close: EOF, QUIT, a protocol or I/O error (logged). Does not close `fd`.
IoWait serveReady(int fd, Connection& conn, InputBuffer& in, std::string& out, ServeStats& st, core::Logger& log,
                  int maxReads = 8);

}  // namespace am::milter
