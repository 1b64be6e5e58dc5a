// tests/dkim/test_util.cpp — see test_util.h.
#include "test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef AM_DKIM_TOOLS_DIR
#error "AM_DKIM_TOOLS_DIR must be defined"
#endif

namespace am::dkim::test {

std::string toCrlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out.push_back('\r');
    out.push_back(s[i]);
  }
  return out;
}

Message parseMessage(std::string_view raw) {
  Message m;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    size_t next = eol == std::string_view::npos ? raw.size() : eol + 1;
    std::string_view line = raw.substr(pos, next - pos);
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.remove_suffix(1);
    if (content.empty()) {  // end of headers
      pos = next;
      break;
    }
    if ((content[0] == ' ' || content[0] == '\t') && !m.headers.empty()) {
      m.headers.back().second += "\n";
      m.headers.back().second += content;
    } else {
      size_t colon = content.find(':');
      if (colon == std::string_view::npos) m.headers.emplace_back(std::string(content), "");
      else m.headers.emplace_back(std::string(content.substr(0, colon)), std::string(content.substr(colon + 1)));
    }
    pos = next;
  }
  m.body = std::string(raw.substr(std::min(pos, raw.size())));
  return m;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool writeFile(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(f);
}

std::vector<DkimOutput> verify(Verifier& lib, const Message& m, size_t chunk) {
  auto v = lib.startVerify("test");
  for (const auto& [n, val] : m.headers) v->header(n, val);
  v->endOfHeaders();
  for (size_t off = 0; off < m.body.size(); off += chunk)
    v->body(std::string_view(m.body).substr(off, chunk));
  return v->finish();
}

std::optional<std::string> run(const std::vector<std::string>& argv, std::string_view input,
                               int timeoutSeconds) {
  int in[2], out[2];
  if (pipe(in) != 0) return std::nullopt;
  if (pipe(out) != 0) { close(in[0]); close(in[1]); return std::nullopt; }
  pid_t pid = fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]); close(in[1]); close(out[0]); close(out[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::string result;
  size_t written = 0;
  bool inOpen = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  bool timedOut = false;
  for (;;) {
    if (inOpen && written == input.size()) { close(in[1]); inOpen = false; }
    pollfd fds[2] = {{out[0], POLLIN, 0}, {inOpen ? in[1] : -1, POLLOUT, 0}};
    if (std::chrono::steady_clock::now() > deadline) { timedOut = true; break; }
    if (poll(fds, 2, 200) < 0) break;
    if (inOpen && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      else { close(in[1]); inOpen = false; }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n > 0) result.append(buf, static_cast<size_t>(n));
      else if (n == 0) break;
    }
  }
  if (inOpen) close(in[1]);
  close(out[0]);
  if (timedOut) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timedOut || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return result;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/am-dkim-test-XXXXXX";
  const char* p = mkdtemp(tmpl);
  path_ = p != nullptr ? p : "/tmp";
}

TempDir::~TempDir() {
  if (path_ != "/tmp") {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

std::optional<std::string> dkimpySign(const std::string& message, const std::string& keyFile,
                                      const std::string& selector, const std::string& domain,
                                      const std::string& hcanon, const std::string& bcanon,
                                      const std::string& alg, bool length) {
  std::vector<std::string> argv{"/usr/bin/python3", std::string(AM_DKIM_TOOLS_DIR) + "/dkimpy_sign.py",
                                keyFile, selector, domain, hcanon, bcanon, alg, length ? "1" : "0"};
  return run(argv, toCrlf(message));
}

std::string describe(const std::vector<DkimOutput>& r) {
  std::string s;
  for (const auto& o : r)
    s += std::string(toString(o.result)) + " d=" + o.domain + " s=" + o.selector + " a=" + o.algorithm +
         " bits=" + std::to_string(o.keyBits) + " (" + o.reason + "); ";
  return s.empty() ? "(no results)" : s;
}

}  // namespace am::dkim::test
