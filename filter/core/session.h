// filter/core/session.h — one SMTP connection (Session) and its current transaction (Message).
// The milter adapter calls one method per milter callback and applies the returned Verdict; unit
// tests drive the same methods without libmilter. A Session is used by one thread at a time
// (libmilter serialises a connection's callbacks) but may move between threads: it holds no
// thread-local state. It owns everything of its messages and frees it on every path
// (endOfMessage, abort, destruction).
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/auth_types.h"
#include "common/client.h"
#include "common/ip.h"
#include "filter/core/engine.h"
#include "filter/core/outcome.h"
#include "filter/core/verdict.h"
#include "policy/from_header.h"

namespace am::dkim {
class Verification;
class Signing;
}  // namespace am::dkim
namespace am::arc {
class Verification;
}  // namespace am::arc
namespace am::arcseal {
class Sealing;
}  // namespace am::arcseal

namespace am::core {

// Milter stages whose macros the core wants (the adapter asks the MTA for them with smfi_setsymlist).
enum class Stage { Connect, Helo, MailFrom, Rcpt, EndOfMessage };
const std::vector<std::string>& wantedMacros(Stage s);

struct Message {
  std::string mailFrom;  // as given, without angle brackets
  std::string queueId;
  std::vector<std::string> rcpts;
  std::vector<std::pair<std::string, std::string>> headers;  // exact name and value as delivered
  size_t headerBytes = 0;
  bool headersOverflow = false;
  bool refused = false;    // the connection was refused (draining): not evaluated, answered 421
  bool signing = false;    // this message will be DKIM-signed
  bool verifying = false;  // DKIM verification + DMARC evaluation run
  bool hasArc = false;     // an ARC header field was seen (only then does ARC validation run)
  SpfOutput spfMailFrom, spfHelo;
  std::optional<policy::FromResult> from;  // the From header(s), parsed once (fromHeader())
  std::unique_ptr<dkim::Verification> verify;
  std::unique_ptr<arc::Verification> arc;
  std::unique_ptr<dkim::Signing> sign;
  std::chrono::steady_clock::time_point started{};  // MAIL FROM (taken only with metrics on)
  std::unique_ptr<arcseal::Sealing> seal;  // an `arc-seal` rule matched a recipient
  // FailureReportsContent body (with a FailureReporter): the start of the body, bounded.
  bool keepBody = false;
  std::string bodyHead;
  bool bodyTruncated = false;
  ~Message();
};

class Session {
 public:
  explicit Session(Engine& engine);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void setMacro(std::string_view name, std::string_view value);
  Verdict connect(std::string_view hostname, std::optional<IpAddress> addr);
  Verdict helo(std::string_view name);
  Verdict mailFrom(std::string_view addr);
  Verdict rcpt(std::string_view addr);
  Verdict header(std::string_view name, std::string_view value);
  Verdict endOfHeaders();
  Verdict body(std::string_view chunk);
  Verdict endOfMessage();
  void abort();  // the transaction ends without end of message

  // What the verdict was for the last message (for logs and tests).
  const std::string& lastLogLine() const { return lastLog_; }
  // The outcome of the last message that reached end of message; null when it ended otherwise
  // (headers over MaxHeaderBytes) or none did. For `test-message` and tests.
  const MessageOutcome* lastOutcome() const { return lastOutcome_ ? &*lastOutcome_ : nullptr; }

 private:
  const std::string* macro(std::string_view name) const;
  const policy::FromResult& fromHeader();  // parses msg_'s From header(s) on first use
  void startVerification();
  void startArc();
  void startSigning();
  Verdict finish();
  // Ends the transaction; without `verdictGiven` it counts as aborted (metrics).
  void endTransaction(bool verdictGiven = false);

  Engine& engine_;
  std::shared_ptr<const Snapshot> snap_;
  std::map<std::string, std::string, std::less<>> macros_;
  ClientInfo client_;  // classified at connect, completed at HELO and MAIL FROM
  std::optional<Verdict> refused_;  // the connect verdict while draining (421): every transaction gets it
  std::unique_ptr<Message> msg_;
  std::string lastLog_;
  std::optional<MessageOutcome> lastOutcome_;  // kept until the next end of message
};

}  // namespace am::core
