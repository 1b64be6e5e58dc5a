// tests/sendmail/sendmail_instance.h — a private, throw-away instance of the REAL Debian Sendmail
// (8.17, from the sendmail-bin and sendmail-cf .debs unpacked by fetch-sendmail.sh, never
// installed) for end-to-end tests. Under one mkdtemp directory: a sendmail.mc made of the test's
// site lines (queue, pid and alias files there, a daemon on 127.0.0.1:<free port>, a local mailer
// that writes each message to <dir>/mail/) plus contrib/sendmail/sendmail.mc.snippet as shipped
// (only its socket path replaced), built into sendmail.cf with m4 and sendmail-cf's cf.m4.
//
// The daemon runs in the foreground (`sendmail -bD`) in a UTS namespace of its own whose host name
// is the test domain (`unshare --uts`: Sendmail waits 60 s for an unqualified host name such as a
// container's). am::milter_process::Process owns it, so stop() signals only that PID.
//
// Needs root. Ownership: the object owns the daemon and the temp directory; stop()/destructor
// remove both. Not thread-safe: use one instance from one thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/milterclient/process.h"

namespace am::sendmail_test {

class SendmailInstance {
 public:
  struct Options {
    std::string root;      // the unpacked packages (fetch-sendmail.sh)
    std::string snippet;   // contrib/sendmail/sendmail.mc.snippet
    std::string socket;    // milter socket path, put in place of the snippet's
    std::string domain = "mx.sm.test";  // host name and the local domain
  };

  // Writes the .mc, builds the .cf and the alias database, starts the daemon and waits (bounded)
  // until it accepts connections. nullptr and *err on failure.
  static std::unique_ptr<SendmailInstance> start(const Options& options, std::string* err);
  ~SendmailInstance();
  SendmailInstance(const SendmailInstance&) = delete;
  SendmailInstance& operator=(const SendmailInstance&) = delete;

  uint16_t smtpPort() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string mc() const;      // the sendmail.mc this instance was built from
  std::string output() const;  // the daemon's stderr

  // `sendmail -bp -qQ`: the quarantined messages, as Sendmail lists them.
  std::string quarantineListing() const;
  // Delivered messages (files the local mailer wrote), raw text.
  std::vector<std::string> deliveredMessages() const;
  std::optional<std::string> waitForDelivery(const std::string& needle, std::chrono::milliseconds timeout) const;

  // SIGTERM to the daemon (bounded wait, then SIGKILL), removes the temp directory. Idempotent.
  void stop();

 private:
  SendmailInstance() = default;
  std::string sendmailCommand(const std::string& args) const;  // in the instance's UTS namespace
  bool writeConfig(const Options& o, std::string* err);
  std::string dir_, root_, domain_;
  uint16_t port_ = 0;
  std::unique_ptr<am::milter_process::Process> daemon_;
};

}  // namespace am::sendmail_test
