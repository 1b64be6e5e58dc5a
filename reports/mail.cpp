// reports/mail.cpp — see mail.h.
#include "reports/mail.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/ip.h"

namespace am::reports {
namespace {

std::string base64Lines(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out, line;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    line += t[(v >> 18) & 63];
    line += t[(v >> 12) & 63];
    line += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    line += i + 2 < in.size() ? t[v & 63] : '=';
    if (line.size() >= 76) out += line + "\r\n", line.clear();
  }
  if (!line.empty()) out += line + "\r\n";
  return out;
}

std::string domainOf(const std::string& email) {
  auto at = email.rfind('@');
  return at == std::string::npos ? email : email.substr(at + 1);
}

class Conn {
 public:
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  std::string open(const Relay& r, std::chrono::steady_clock::time_point deadline) {
    deadline_ = deadline;
    auto ip = IpAddress::parse(r.host);
    if (!ip) return "bad relay address " + r.host;
    sockaddr_storage ss{};
    socklen_t len;
    if (ip->v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(r.port);
      std::memcpy(&a->sin6_addr, ip->bytes.data(), 16);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(r.port);
      std::memcpy(&a->sin_addr, ip->bytes.data(), 4);
      len = sizeof *a;
    }
    fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return std::string("socket: ") + std::strerror(errno);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)
      return std::string("connect: ") + std::strerror(errno);
    if (!wait(POLLOUT)) return "connect: timeout";
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    return soerr ? std::string("connect: ") + std::strerror(soerr) : "";
  }
  // One reply (multi-line joined); its code in *code (0 on I/O failure).
  std::string reply(int* code) {
    *code = 0;
    std::string all;
    for (;;) {
      size_t nl;
      while ((nl = buf_.find("\r\n")) == std::string::npos) {
        if (buf_.size() > 65536 || !wait(POLLIN)) return all + "(no reply)";
        char b[4096];
        ssize_t n = read(fd_, b, sizeof b);
        if (n <= 0) return all + "(connection closed)";
        buf_.append(b, static_cast<size_t>(n));
      }
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 2);
      all += (all.empty() ? "" : " ") + line;
      if (line.size() < 3) return all;
      if (line.size() == 3 || line[3] != '-') {
        *code = std::atoi(line.substr(0, 3).c_str());
        return all;
      }
    }
  }
  bool send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n > 0) off += static_cast<size_t>(n);
      else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!wait(POLLOUT)) return false;
      } else return false;
    }
    return true;
  }

 private:
  bool wait(short events) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, events, 0};
      int n = poll(&p, 1, static_cast<int>(left.count()));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
  }
  int fd_ = -1;
  std::string buf_;
  std::chrono::steady_clock::time_point deadline_;
};

std::string dotStuffed(const std::string& m) {
  std::string out;
  out.reserve(m.size() + 64);
  bool lineStart = true;
  for (char c : m) {
    if (lineStart && c == '.') out += '.';
    out += c;
    lineStart = c == '\n';
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out + ".\r\n";
}

}  // namespace

std::string rfc5322Date(int64_t unixSeconds) {
  time_t t = static_cast<time_t>(unixSeconds);
  struct tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string reportMessage(const Report& r, const Reporter& who, const std::string& to, const std::string& fileName,
                          const std::string& gz, int64_t now) {
  const std::string submitter = domainOf(who.email);
  const std::string boundary = "=_authmilter_" + std::to_string(now) + "_" + std::to_string(r.begin);
  std::string m;
  m += "From: " + (who.orgName.empty() ? "" : "\"" + who.orgName + "\" ") + "<" + who.email + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += "Date: " + rfc5322Date(now) + "\r\n";
  m += "Subject: Report Domain: " + r.domain + " Submitter: " + submitter + " Report-ID: <" + r.reportId + ">\r\n";
  m += "Message-ID: <" + r.reportId + "." + std::to_string(now) + "@" + submitter + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "This is a MIME-formatted message.\r\n\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  m += "DMARC aggregate report for " + r.domain + " from " + submitter + ", " + std::to_string(r.messages) +
       " messages, period " + std::to_string(r.begin) + " to " + std::to_string(r.end - 1) + ".\r\n\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: application/gzip; name=\"" + fileName + "\"\r\n";
  m += "Content-Disposition: attachment; filename=\"" + fileName + "\"\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n";
  m += base64Lines(gz);
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

bool parseRelay(const std::string& text, Relay& out, std::string* why) {
  std::string host = text, port = "25";
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return *why = "expected [IPv6]:PORT", false;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return *why = "expected [IPv6]:PORT", false;
      port = text.substr(close + 2);
    }
  } else if (auto c = text.find(':'); c != std::string::npos && text.find(':', c + 1) == std::string::npos) {
    host = text.substr(0, c);
    port = text.substr(c + 1);
  }
  if (!IpAddress::parse(host)) return *why = "expected an IP address and port like 127.0.0.1:25, got '" + text + "'", false;
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || p < 1 || p > 65535) return *why = "bad port in '" + text + "'", false;
  out.host = host;
  out.port = static_cast<uint16_t>(p);
  return true;
}

SmtpResult smtpSend(const Relay& relay, const std::string& heloName, const std::string& from, const std::string& to,
                    const std::string& message, std::chrono::milliseconds timeout) {
  SmtpResult res;
  Conn c;
  if (auto e = c.open(relay, std::chrono::steady_clock::now() + timeout); !e.empty()) return res.detail = e, res;
  int code = 0;
  auto step = [&](const std::string& cmd, int want) {
    if (!cmd.empty() && !c.send(cmd + "\r\n")) return res.detail = "write failed", false;
    res.detail = c.reply(&code);
    if (code / 100 == want) return true;
    res.permanent = code / 100 == 5;
    return false;
  };
  if (!step("", 2) || !step("EHLO " + heloName, 2) || !step("MAIL FROM:<" + from + ">", 2) ||
      !step("RCPT TO:<" + to + ">", 2) || !step("DATA", 3))
    return res;
  if (!c.send(dotStuffed(message))) return res.detail = "write failed during DATA", res;
  res.detail = c.reply(&code);
  res.accepted = code / 100 == 2;
  res.permanent = code / 100 == 5;
  if (res.accepted) c.send("QUIT\r\n");  // best effort; the report is accepted already
  return res;
}

SmtpResult sendMessage(const Transport& t, const std::string& to, const std::string& message) {
  if (t.command.empty()) return smtpSend(t.relay, t.heloName, t.from, to, message, t.timeout);
  // A local submission program reads a Unix text file: LF line endings (it writes CRLF on the wire).
  std::string lf;
  lf.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i)
    if (!(message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n')) lf += message[i];
  return commandSend(t.command, lf, t.timeout);
}

}  // namespace am::reports
