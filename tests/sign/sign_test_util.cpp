// tests/sign/sign_test_util.cpp — see sign_test_util.h.
#include "sign_test_util.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>

#include "filter/auth/dkim/handles.h"

#ifndef AM_SIGN_VERIFY_SCRIPT
#error "AM_SIGN_VERIFY_SCRIPT must point at tests/sign/dkim_verify.py"
#endif

namespace am::signtest {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "amsign.XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  path_ = p ? std::string(p) : std::string();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void writeFile(const std::string& path, const std::string& data, unsigned mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  ::chmod(path.c_str(), mode);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Message sampleMessage() {
  Message m;
  m.headers = {
      {"Received", " from client.example.com by mx.example.com; Mon, 23 Nov 2026 10:00:00 +0000"},
      {"From", " Alice Example <alice@example.com>"},
      {"To", " Bob <bob@example.net>,\n\tCarol <carol@example.net>"},
      {"Subject", " A   test\n\t message  with   folding "},
      {"Date", " Mon, 23 Nov 2026 10:00:00 +0000"},
      {"Message-ID", " <test-1@example.com>"},
      {"MIME-Version", " 1.0"},
      {"Content-Type", " text/plain; charset=utf-8"},
      {"Authentication-Results", " mx.example.com; spf=pass smtp.mailfrom=example.com"},
  };
  m.body = "Hello Bob,\r\n\r\n  This line has   spaces  \t \r\nand a tab\there.\r\n\r\n\r\n";
  return m;
}

std::vector<std::string> signMessage(dkim::Signing& s, const Message& m) {
  for (const auto& [n, v] : m.headers) s.header(n, v);
  s.endOfHeaders();
  s.body(m.body);
  return s.finish();
}

namespace {
std::string lfToCrlf(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')) out += '\r';
    out += v[i];
  }
  return out;
}
}  // namespace

std::string assemble(const Message& m, const std::vector<std::string>& sigs) {
  std::string out;
  for (const auto& s : sigs) out += "DKIM-Signature: " + lfToCrlf(s) + "\r\n";
  for (const auto& [n, v] : m.headers) out += n + ":" + lfToCrlf(v) + "\r\n";
  return out + "\r\n" + m.body;
}

std::vector<bool> verifyAllWithDkimpy(const std::vector<std::string>& messages, const KeyMap& keys,
                                      std::string* output) {
  TempDir dir;
  std::string k;
  for (const auto& [name, txt] : keys) k += name + "\t" + txt + "\n";
  writeFile(dir.file("keys.txt"), k, 0600);
  std::string cmd = std::string("/usr/bin/python3 ") + AM_SIGN_VERIFY_SCRIPT + " " + dir.file("keys.txt");
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string f = dir.file("msg" + std::to_string(i) + ".eml");
    writeFile(f, messages[i], 0600);
    cmd += " " + f;
  }
  cmd += " 2>&1";
  std::vector<bool> res(messages.size(), false);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return res;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  for (size_t i = 0; i < messages.size(); ++i)
    res[i] = out.find("msg " + std::to_string(i) + ": pass") != std::string::npos;
  if (output) *output = out;
  return res;
}

bool verifyWithDkimpy(const std::string& message, const KeyMap& keys, std::string* output) {
  return verifyAllWithDkimpy({message}, keys, output).at(0);
}

namespace {
DKIM_CBSTAT lookupKey(DKIM* d, DKIM_SIGINFO* s, u_char* buf, size_t buflen) {
  const auto* keys = static_cast<const KeyMap*>(dkim_get_user_context(d));
  std::string name = std::string(reinterpret_cast<const char*>(dkim_sig_getselector(s))) + "._domainkey." +
                     reinterpret_cast<const char*>(dkim_sig_getdomain(s));
  auto it = keys ? keys->find(name) : KeyMap::const_iterator();
  if (!keys || it == keys->end()) return DKIM_CBSTAT_NOTFOUND;
  if (it->second.size() + 1 > buflen) return DKIM_CBSTAT_ERROR;
  std::memcpy(buf, it->second.c_str(), it->second.size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}
}  // namespace

int verifyWithLibopendkim(const Message& m, const std::vector<std::string>& sigs, const KeyMap& keys, int* total) {
  *total = 0;
  dkim::DkimLibPtr lib(dkim_init(nullptr, nullptr));
  if (!lib) return -1;
  dkim_set_key_lookup(lib.get(), lookupKey);
  DKIM_STAT st;
  dkim::DkimPtr v(dkim_verify(lib.get(), reinterpret_cast<const u_char*>("test"), nullptr, &st));
  if (!v) return -1;
  dkim_set_user_context(v.get(), const_cast<KeyMap*>(&keys));
  auto feed = [&](const std::string& name, const std::string& value) {
    std::string h = dkim::headerForLibopendkim(name, value);
    dkim_header(v.get(), reinterpret_cast<u_char*>(h.data()), h.size());
  };
  for (const auto& s : sigs) feed("DKIM-Signature", " " + s);
  for (const auto& [n, val] : m.headers) feed(n, val);
  if (dkim_eoh(v.get()) != DKIM_STAT_OK) return 0;
  std::string body = m.body;
  dkim_body(v.get(), reinterpret_cast<u_char*>(body.data()), body.size());
  dkim_eom(v.get(), nullptr);
  DKIM_SIGINFO** list = nullptr;
  int n = 0;
  if (dkim_getsiglist(v.get(), &list, &n) != DKIM_STAT_OK) return 0;
  *total = n;
  int pass = 0;
  for (int i = 0; i < n; ++i)
    if ((dkim_sig_getflags(list[i]) & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(list[i]) == DKIM_SIGBH_MATCH) ++pass;
  return pass;
}

std::string tagValue(const std::string& sig, const std::string& tag) {
  std::string flat;
  for (char c : sig)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') flat += c;
  std::string key = tag + "=";
  size_t pos = 0;
  while (pos < flat.size()) {
    size_t end = flat.find(';', pos);
    std::string item = flat.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (item.rfind(key, 0) == 0) return item.substr(key.size());
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return {};
}

std::vector<std::string> hList(const std::string& sig) {
  std::vector<std::string> out;
  std::string h = tagValue(sig, "h");
  size_t pos = 0;
  while (pos <= h.size() && !h.empty()) {
    size_t c = h.find(':', pos);
    out.push_back(h.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

}  // namespace am::signtest
