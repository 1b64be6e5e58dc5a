// tests/postfix/smtp_load.h — a small, fast SMTP load client for the Postfix fault tests: N
// messages over plain SMTP on 127.0.0.1 with C worker threads, one connection per message
// (greeting, EHLO, MAIL, RCPT, DATA, QUIT). Every read and write is bounded by a per-step timeout
// (SO_RCVTIMEO / SO_SNDTIMEO), so a run always ends. No retries: the first 4xx or 5xx reply the
// client sees ends that message's transaction and is recorded with the step that got it.
//
// Ownership: runLoad() owns its sockets and threads and returns when every message has a result.
// Thread-safety: runLoad() may be called from any thread; `progress` is updated atomically while
// it runs (a fault driver may watch it). No global state.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace am::postfix_test {

struct LoadMessage {
  std::string mailFrom;  // envelope sender
  std::string rcptTo;    // envelope recipient
  std::string data;      // the message, CRLF line ends, no line starting with '.'
};

struct LoadResult {
  enum class Kind {
    Accepted,   // 250 after the end of DATA
    TempFail,   // a 4xx reply at some step
    PermFail,   // a 5xx reply at some step
    ConnError,  // no reply seen: connect refused, reset, closed or timed out
  };
  Kind kind = Kind::ConnError;
  int code = 0;          // the SMTP reply code that decided it (0 for ConnError)
  std::string step;      // "connect", "greeting", "ehlo", "mail", "rcpt", "data", "dot"
  std::string reply;     // the deciding reply's last line (or the socket error)
  std::string queueId;   // Accepted: the id from "250 ... queued as ID"
};

struct LoadOptions {
  uint16_t port = 0;
  unsigned concurrency = 32;
  std::chrono::seconds stepTimeout{60};
  std::string helo = "client.e2e.test";
  // After a refusal or a connection error a worker waits this long before its next message, as
  // a sending MTA would not hammer a server that just refused it (0: no pause).
  std::chrono::milliseconds refusedBackoff{0};
};

// Sends every message once; results[i] belongs to messages[i]. `progress` counts finished ones.
std::vector<LoadResult> runLoad(const std::vector<LoadMessage>& messages, const LoadOptions& options,
                                std::atomic<size_t>* progress = nullptr);

const char* kindName(LoadResult::Kind k);

}  // namespace am::postfix_test
