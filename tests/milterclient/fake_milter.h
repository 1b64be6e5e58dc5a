// tests/milterclient/fake_milter.h — a scripted fake milter (filter side) for the client tests:
// listens on a unix socket in its own temp dir, serves connections one after another on a
// background thread, records every packet it receives, and answers with scripted raw bytes.
//
// Defaults: SMFIC_OPTNEG gets an OPTNEG reply built from Config (or Config::rawOptNeg);
// SMFIC_MACRO / SMFIC_ABORT / SMFIC_QUIT and commands covered by a negotiated SMFIP_NR_* flag get
// no reply; every other command asks the Script, whose nullopt means "SMFIR_CONTINUE" and whose
// empty string means "send nothing". All waits are bounded. The recorded packets are guarded by a
// mutex; read them after waitClosed().
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/milterclient/protocol.h"

namespace am::milter_client::testing {

class FakeMilter {
 public:
  struct Config {
    uint32_t version = 6;
    uint32_t actions = wire::kActAddHeaders | wire::kActChangeHeaders | wire::kActQuarantine;
    uint32_t protocol = 0;
    std::vector<std::pair<uint32_t, std::string>> macroLists;  // SMFIM_* stage, names
    std::optional<std::string> rawOptNeg;                      // raw bytes instead of the reply
    char closeAfter = 0;  // after answering this command (scripted bytes), close the connection
  };
  using Script = std::function<std::optional<std::string>(const wire::Packet&)>;

  FakeMilter(Config config, Script script);
  ~FakeMilter();
  FakeMilter(const FakeMilter&) = delete;
  FakeMilter& operator=(const FakeMilter&) = delete;

  bool ok() const { return listenFd_ >= 0; }
  const std::string& spec() const { return spec_; }
  // Waits (bounded) until `connections` client connections have ended.
  bool waitClosed(int connections = 1, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<wire::Packet> received() const;
  std::vector<wire::Packet> received(char cmd) const;  // only packets with this command
  // Convenience replies.
  static std::string reply(char code, const std::string& data = {}) { return wire::encode(code, data); }
  static std::string header(char code, uint32_t index, const std::string& name, const std::string& value);

 private:
  void run();
  void serve(int fd);
  bool answer(int fd, const wire::Packet& p);
  bool noReply(char cmd) const;

  Config config_;
  Script script_;
  std::string dir_, spec_;
  int listenFd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<wire::Packet> packets_;
  int closedConnections_ = 0;
  std::thread thread_;
};

}  // namespace am::milter_client::testing
