// tests/milterclient/fake_milter.cpp — see fake_milter.h.
#include "tests/milterclient/fake_milter.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "tests/milterclient/socket_io.h"

namespace am::milter_client::testing {

using namespace wire;
using Clock = std::chrono::steady_clock;
constexpr auto kMaxLife = std::chrono::seconds(60);  // the server thread never outlives this

FakeMilter::FakeMilter(Config config, Script script) : config_(std::move(config)), script_(std::move(script)) {
  char tmpl[] = "/tmp/am-fake-milter-XXXXXX";
  if (!::mkdtemp(tmpl)) return;
  dir_ = tmpl;
  std::string path = dir_ + "/milter.sock";
  spec_ = "unix:" + path;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0 || ::listen(fd, 8) != 0) {
    if (fd >= 0) ::close(fd);
    return;
  }
  listenFd_ = fd;
  thread_ = std::thread([this] { run(); });
}

FakeMilter::~FakeMilter() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  if (!dir_.empty()) {
    ::unlink((dir_ + "/milter.sock").c_str());
    ::rmdir(dir_.c_str());
  }
}

std::string FakeMilter::header(char code, uint32_t index, const std::string& name, const std::string& value) {
  std::string d;
  if (code != kAddHeader) putU32(d, index);
  putStr(d, name);
  putStr(d, value);
  return encode(code, d);
}

void FakeMilter::run() {
  auto end = Clock::now() + kMaxLife;
  while (!stop_ && Clock::now() < end) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
    std::lock_guard<std::mutex> lock(mu_);
    ++closedConnections_;
    cv_.notify_all();
  }
}

void FakeMilter::serve(int fd) {
  PacketChannel chan(fd, std::chrono::seconds(5));
  auto end = Clock::now() + kMaxLife;
  while (!stop_ && Clock::now() < end) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;  // re-check stop_ between packets
    Packet p;
    std::string err;
    if (chan.read(p, &err) != IoStatus::Ok) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      packets_.push_back(p);
    }
    if (p.cmd == kQuit || !answer(fd, p) || (config_.closeAfter != 0 && p.cmd == config_.closeAfter)) return;
  }
}

bool FakeMilter::noReply(char cmd) const {
  struct Nr { char cmd; uint32_t flag; };
  static const Nr kNr[] = {{kConnect, kNrConnect}, {kHelo, kNrHelo},       {kMail, kNrMail},
                           {kRcpt, kNrRcpt},       {kData, kNrData},       {kHeader, kNrHeader},
                           {kEndOfHeaders, kNrEoh}, {kBody, kNrBody},       {kUnknown, kNrUnknown}};
  if (cmd == kMacro || cmd == kAbort || cmd == kQuit) return true;
  for (const auto& n : kNr)
    if (n.cmd == cmd) return (config_.protocol & n.flag) != 0;
  return false;
}

bool FakeMilter::answer(int fd, const Packet& p) {
  std::string out;
  if (p.cmd == kOptNeg) {
    if (config_.rawOptNeg) {
      out = *config_.rawOptNeg;
    } else {
      std::string d;
      putU32(d, config_.version);
      putU32(d, config_.actions);
      putU32(d, config_.protocol);
      for (const auto& [stage, names] : config_.macroLists) {
        putU32(d, stage);
        putStr(d, names);
      }
      out = encode(kOptNeg, d);
    }
  } else if (noReply(p.cmd)) {
    return true;
  } else {
    auto scripted = script_ ? script_(p) : std::nullopt;
    out = scripted ? *scripted : encode(kContinue);
  }
  PacketChannel chan(fd, std::chrono::seconds(5));
  std::string err;
  return out.empty() || chan.write(out, &err) == IoStatus::Ok;
}

bool FakeMilter::waitClosed(int connections, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return closedConnections_ >= connections; });
}

std::vector<Packet> FakeMilter::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packets_;
}

std::vector<Packet> FakeMilter::received(char cmd) const {
  std::vector<Packet> out;
  for (auto& p : received())
    if (p.cmd == cmd) out.push_back(p);
  return out;
}

}  // namespace am::milter_client::testing
