// tests/milterclient/milter_client.h — an MTA-side milter protocol client that behaves like
// Postfix's milter8 module (protocol version 6), for end-to-end tests and the am-milter-client CLI.
//
// One Client is one MTA->filter connection, i.e. one SMTP session: connect() opens the socket and
// negotiates options (SMFIC_OPTNEG), send() runs one mail transaction (connect/helo information
// goes out with the first one), and further send() calls run more transactions on the same
// session. Like Postfix's VSTREAM, packets that need no reply (macros, SMFIP_NR_* events, abort)
// are buffered and written together when the buffer reaches 4 KiB or before the client waits for a
// reply, so a filter that negotiates the no-reply flags sees a few large writes per message, not
// one per header. Each read and write is bounded by the timeout; a filter that hangs, closes, or sends a
// malformed or unexpected packet yields Result::Action::Error and the connection is closed.
//
// Ownership: the Client owns its socket. Not thread-safe: one thread per Client.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/milterclient/message.h"
#include "tests/milterclient/protocol.h"
#include "tests/milterclient/socket_io.h"

namespace am::milter_client {

class Client {
 public:
  struct Options {
    std::chrono::milliseconds timeout{30000};  // per read/write, like milter_command_timeout
    uint32_t version = 6;
    uint32_t actions = wire::kAllActions;         // offered SMFIF_* (Postfix: 0x1ff)
    uint32_t protocol = wire::kPostfixV6Protocol;  // offered SMFIP_* (Postfix: 0x1fffff)
    // Refuse modification replies whose SMFIF_* action the filter did not negotiate (Postfix
    // applies them anyway; libmilter-based filters never send them).
    bool strictActions = true;
  };

  static std::unique_ptr<Client> connect(const std::string& socketSpec,
                                         std::chrono::milliseconds timeout, std::string* err);
  static std::unique_ptr<Client> connect(const std::string& socketSpec, const Options& options,
                                         std::string* err);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One full transaction. After a connection-level verdict (accept/reject/tempfail at connect or
  // helo) later calls return that verdict again without talking to the filter, as Postfix does.
  Result send(const Message& m);
  // SMFIC_ABORT (no reply expected). send() already sends it after every transaction, as Postfix's
  // smtpd does on its mail_reset().
  void abortTransaction();
  // SMFIC_QUIT and close. The destructor does this if still open.
  void quit();

  bool isOpen() const { return fd_.valid(); }
  // Changes the per-read/write timeout from now on (e.g. short, once negotiated, to test a timeout).
  void setTimeout(std::chrono::milliseconds t) {
    opts_.timeout = t;
    chan_.setTimeout(t);
  }
  // What the filter answered in the negotiation.
  uint32_t filterVersion() const { return version_; }
  uint32_t filterActions() const { return actions_; }
  uint32_t filterProtocol() const { return protocol_; }
  // Macro names sent at a stage: the filter's list if it sent one, else Postfix's default.
  const std::string& macroList(wire::MacroStage stage) const { return macroLists_[stage]; }
  bool filterSentMacroList(wire::MacroStage stage) const { return requested_[stage]; }

 private:
  Client(UniqueFd fd, const Options& o);
  bool negotiate(std::string* err);
  bool parseNegotiation(const wire::Packet& reply, std::string* err);

  // Outcome of one MTA event.
  struct Step {
    bool final = false;  // the filter decided (accept/reject/...), or an error happened
    Result::Action action = Result::Action::Continue;
    std::string text;    // SMTP reply text, or the error
    std::string stage;   // "connect", "helo", ... of the event
    bool skip = false;   // SMFIR_SKIP
    bool closesSession = false;  // SMFIR_SHUTDOWN: no more events on this connection
  };
  Step event(char cmd, const std::string& data, uint32_t skipFlag, uint32_t noReplyFlag,
             wire::MacroStage macroStage, Result& r);
  Step readReplies(char cmd, Result& r);
  // Handles one reply packet; sets done when it ends the event.
  Step handleReply(char cmd, const wire::Packet& p, Result& r, bool& done);
  std::optional<std::string> recordEdit(const wire::Packet& p, Result& r);
  Step failStep(const std::string& what, char cmd = 0);
  bool sendMacros(wire::MacroStage stage, char tag, std::string* err);
  std::optional<std::string> macroValue(const std::string& name) const;
  bool writePacket(char cmd, std::string_view data, std::string* err);  // buffered
  bool flush(std::string* err);  // writes what writePacket buffered
  static std::string connectData(const Message& m);

  Result sendImpl(const Message& m);
  Result endSession(Result r, const Step& s);
  Result runTransaction(const Message& m, Result r);
  Step sendHeaders(const Message& m, Result& r);
  Step sendBody(const Message& m, Result& r);
  Result endTransaction(Result r, const Step& s, const std::string& stage);

  UniqueFd fd_;
  PacketChannel chan_;
  std::string out_;  // packets written but not yet sent (see flush)
  Options opts_;
  uint32_t version_ = 0, actions_ = 0, protocol_ = 0;
  std::array<std::string, wire::kMacCount> macroLists_;
  std::array<bool, wire::kMacCount> requested_{};
  bool sessionStarted_ = false;
  std::optional<Result> sessionVerdict_;  // connection-level accept/reject
  char skipEventType_ = 0;                // SMFIR_SKIP: skip further events of this type
  const Message* current_ = nullptr;      // for macro values during send()
  std::string currentRcpt_;
};

// One transaction over a fresh connection to `socketSpec` (connect, send, quit). A failed connect
// gives a Result whose replyText is "connect: <why>".
Result sendOnce(const std::string& socketSpec, const Message& m,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace am::milter_client
