// tests/postfix/postfix_instance.h — a private, throw-away instance of the REAL Debian Postfix for
// end-to-end tests: its own config_directory, queue_directory, data_directory, log file and
// maildir under one mkdtemp directory, smtpd on 127.0.0.1:<free port>, virtual(8) delivery of
// user@<domain> into <dir>/mail/user/ (maildir, uid nobody), no DNS lookups, and the given
// smtpd_milters. The machine's own Postfix (/etc/postfix, /var/spool/postfix) is never touched.
//
// The master daemon runs in the foreground (`master -c DIR -s`: it stays our child and leads its
// own process group) through am::milter_process::Process, so stop() signals only that PID; the
// master then terminates its own children.
//
// Needs root (Postfix's master must start as root and drop to mail_owner `postfix`).
// Ownership: the object owns the master process and the temp directory; stop()/destructor
// remove both. Not thread-safe: use one instance from one thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/milterclient/process.h"
#include "tests/support/mta/mta_e2e.h"
#include "tests/support/testfiles/test_files.h"

namespace am::postfix_test {

// Shared with the other MTA tests (tests/support): a shell command's stdout and status, a free
// loopback port (PostfixInstance::start retries with another when it was taken in between), the
// header block of a raw message.
using am::mta_test::freeLoopbackPort;
using am::mta_test::headerFields;
using am::testing::runCommand;

// Makes `path` a directory for the milter socket that the postfix group (and root) can enter, and
// its parents passable; empty on success.
std::string socketDirForPostfix(const std::string& path);

class PostfixInstance {
 public:
  struct Options {
    std::string domain = "mx.e2e.test";  // myhostname and the one virtual mailbox domain
    std::string milter;                  // smtpd_milters value, e.g. "inet:127.0.0.1:10025"
    std::string extraMainCf;             // more main.cf lines (e.g. smtpd_tls_* settings)
  };
  // One line of `postqueue -j`.
  struct QueueEntry {
    std::string queueName;  // "hold", "incoming", "active", "deferred", "maildrop"
    std::string queueId;
    std::string sender;
  };

  // Writes the configuration, lets `postfix check` create the queue, starts master and waits
  // (bounded) until smtpd answers. nullptr and *err on failure (err includes the mail log).
  static std::unique_ptr<PostfixInstance> start(const Options& options, std::string* err);
  ~PostfixInstance();
  PostfixInstance(const PostfixInstance&) = delete;
  PostfixInstance& operator=(const PostfixInstance&) = delete;

  uint16_t smtpPort() const { return smtpPort_; }
  const std::string& configDir() const { return configDir_; }
  const std::string& dir() const { return dir_; }
  std::string mailLog() const;
  // The main.cf this instance runs with (for docs and diagnostics).
  std::string mainCf() const;

  // `postqueue -c DIR -j`, parsed.
  std::vector<QueueEntry> queue() const;
  // Delivered messages (the files in the maildir's new/ and cur/), raw text.
  std::vector<std::string> deliveredMessages() const;
  // Polls (bounded) for a delivered message containing `needle`; nullopt after `timeout`.
  std::optional<std::string> waitForDelivery(const std::string& needle, std::chrono::milliseconds timeout) const;

  // SIGTERM to master (bounded wait, then SIGKILL), removes the temp directory. Idempotent.
  void stop();

 private:
  PostfixInstance() = default;
  bool writeConfig(const Options& options, std::string* err);
  enum class Launch { Greeted, PortTaken, Failed };
  // Starts master on the configured port and waits (bounded) for smtpd's greeting.
  Launch launch(std::string* err);
  std::string dir_;
  std::string configDir_;
  uint16_t smtpPort_ = 0;
  std::unique_ptr<am::milter_process::Process> master_;
};

}  // namespace am::postfix_test
