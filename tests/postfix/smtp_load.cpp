// tests/postfix/smtp_load.cpp — see smtp_load.h.
#include "tests/postfix/smtp_load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace am::postfix_test {

namespace {

// One SMTP connection: bounded writes, replies read line by line (multi-line replies joined).
class Conn {
 public:
  explicit Conn(std::chrono::seconds timeout) : timeout_(timeout) {}
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connectTo(uint16_t port, std::string* err) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return *err = std::string("socket: ") + std::strerror(errno), false;
    timeval tv{static_cast<time_t>(timeout_.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      return *err = std::string("connect: ") + std::strerror(errno), false;
    return true;
  }

  bool send(const std::string& s, std::string* err) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return *err = std::string("send: ") + (n < 0 ? std::strerror(errno) : "closed"), false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // The reply code (100..599) and its last line in *line; 0 and the error in *line on failure.
  int reply(std::string* line) {
    for (int lines = 0; lines < 100; ++lines) {
      std::string l;
      if (!readLine(&l)) return *line = l, 0;
      if (l.size() < 3 || l[0] < '1' || l[0] > '5') return *line = "malformed reply: " + l, 0;
      if (l.size() == 3 || l[3] == ' ') {
        *line = l;
        return std::stoi(l.substr(0, 3));
      }
    }
    return *line = "reply longer than 100 lines", 0;
  }

 private:
  bool readLine(std::string* out) {
    for (;;) {
      auto nl = buf_.find("\r\n");
      if (nl != std::string::npos) {
        *out = buf_.substr(0, nl);
        buf_.erase(0, nl + 2);
        return true;
      }
      if (buf_.size() > 65536) return *out = "line too long", false;
      char tmp[4096];
      ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return *out = std::string("recv: ") + std::strerror(errno), false;
      if (n == 0) return *out = "connection closed by server", false;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  std::chrono::seconds timeout_;
  int fd_ = -1;
  std::string buf_;
};

std::string queueIdOf(const std::string& line) {
  static const std::string kMark = "queued as ";
  auto p = line.find(kMark);
  if (p == std::string::npos) return "";
  std::string id = line.substr(p + kMark.size());
  auto end = id.find_first_of(" \r\n");
  return end == std::string::npos ? id : id.substr(0, end);
}

LoadResult sendOne(const LoadMessage& m, const LoadOptions& o) {
  LoadResult r;
  Conn c(o.stepTimeout);
  std::string err;
  r.step = "connect";
  if (!c.connectTo(o.port, &err)) return r.reply = err, r;
  struct Step {
    const char* name;
    std::string command;  // empty: only read (the greeting)
    int expect;           // the positive class, e.g. 250
  };
  const Step steps[] = {
      {"greeting", "", 220},
      {"ehlo", "EHLO " + o.helo + "\r\n", 250},
      {"mail", "MAIL FROM:<" + m.mailFrom + ">\r\n", 250},
      {"rcpt", "RCPT TO:<" + m.rcptTo + ">\r\n", 250},
      {"data", "DATA\r\n", 354},
      {"dot", m.data + ".\r\n", 250},
  };
  for (const Step& s : steps) {
    r.step = s.name;
    if (!s.command.empty() && !c.send(s.command, &err)) return r.reply = err, r;
    std::string line;
    int code = c.reply(&line);
    r.reply = line;
    r.code = code;
    if (code == 0) return r;  // ConnError
    if (code >= 400 && code < 500) return r.kind = LoadResult::Kind::TempFail, r;
    if (code >= 500) return r.kind = LoadResult::Kind::PermFail, r;
    if (code != s.expect) return r.reply = "unexpected reply: " + line, r.code = 0, r;
  }
  r.kind = LoadResult::Kind::Accepted;
  r.queueId = queueIdOf(r.reply);
  if (c.send("QUIT\r\n", &err)) {
    std::string bye;
    c.reply(&bye);  // best effort; the message is already accepted
  }
  return r;
}

}  // namespace

const char* kindName(LoadResult::Kind k) {
  switch (k) {
    case LoadResult::Kind::Accepted: return "accepted";
    case LoadResult::Kind::TempFail: return "4xx";
    case LoadResult::Kind::PermFail: return "5xx";
    case LoadResult::Kind::ConnError: return "connection error";
  }
  return "?";
}

std::vector<LoadResult> runLoad(const std::vector<LoadMessage>& messages, const LoadOptions& options,
                                std::atomic<size_t>* progress) {
  std::vector<LoadResult> results(messages.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  const unsigned n = options.concurrency == 0 ? 1 : options.concurrency;
  for (unsigned w = 0; w < n; ++w)
    workers.emplace_back([&] {
      for (size_t i = next++; i < messages.size(); i = next++) {
        results[i] = sendOne(messages[i], options);
        if (progress) ++*progress;
        if (results[i].kind != LoadResult::Kind::Accepted && results[i].kind != LoadResult::Kind::PermFail)
          std::this_thread::sleep_for(options.refusedBackoff);
      }
    });
  for (auto& t : workers) t.join();
  return results;
}

}  // namespace am::postfix_test
