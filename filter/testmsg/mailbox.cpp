// filter/testmsg/mailbox.cpp — see mailbox.h.
#include "filter/testmsg/mailbox.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace am::testmsg {
namespace {

bool isDir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool fromLine(std::string_view line) { return line.substr(0, 5) == "From "; }

// "From sender date..." -> "sender" ("" for MAILER-DAEMON and "<>").
std::string envelopeOf(std::string_view line) {
  line.remove_prefix(5);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  std::string s(line.substr(0, line.find_first_of(" \t\r")));
  if (s == "MAILER-DAEMON" || s == "<>") return "";
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> maildirFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* sub : {"cur", "new"}) {
    std::string d = dir + "/" + sub;
    DIR* h = opendir(d.c_str());
    if (!h) continue;
    std::vector<std::string> names;
    while (dirent* e = readdir(h))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(h);
    std::sort(names.begin(), names.end());
    for (auto& n : names)
      if (!isDir(d + "/" + n)) files.push_back(d + "/" + n);
  }
  return files;
}

bool readFile(const std::string& path, std::string& out, std::string* err) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (err) *err = path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

bool readMbox(const std::string& path, const std::function<void(RawMessage&&)>& each, std::string* err) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (err) *err = path + ": " + std::strerror(errno);
    return false;
  }
  RawMessage cur;
  size_t n = 0;
  bool open = false;
  auto emit = [&] {
    if (!open) return;
    // The empty line the mbox writer puts between messages is not part of the message.
    if (cur.text.size() >= 2 && cur.text.compare(cur.text.size() - 2, 2, "\n\n") == 0) cur.text.pop_back();
    else if (cur.text.size() >= 4 && cur.text.compare(cur.text.size() - 4, 4, "\r\n\r\n") == 0) cur.text.resize(cur.text.size() - 2);
    each(std::move(cur));
    cur = RawMessage{};
  };
  std::string line;
  while (std::getline(f, line)) {
    if (fromLine(line)) {
      emit();
      open = true;
      cur.label = path + "#" + std::to_string(++n);
      cur.envelopeSender = envelopeOf(line);
      cur.hasEnvelope = true;
      continue;
    }
    if (!open) continue;  // text before the first "From " line
    size_t q = 0;
    while (q < line.size() && line[q] == '>') ++q;
    if (q > 0 && fromLine(std::string_view(line).substr(q))) line.erase(0, 1);
    cur.text += line;
    if (!f.eof()) cur.text += '\n';
  }
  emit();
  return true;
}

}  // namespace

bool detectInput(const std::string& path, InputKind& kind, std::string* err) {
  if (isDir(path)) {
    if (!isDir(path + "/cur") && !isDir(path + "/new")) {
      if (err) *err = path + ": a directory without cur/ or new/ is not a Maildir";
      return false;
    }
    kind = InputKind::Maildir;
    return true;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (err) *err = path + ": " + std::strerror(errno);
    return false;
  }
  char head[5] = {};
  f.read(head, 5);
  kind = f.gcount() == 5 && fromLine(std::string_view(head, 5)) ? InputKind::Mbox : InputKind::File;
  return true;
}

size_t countMessages(const std::string& path, InputKind kind) {
  if (kind == InputKind::File) return 1;
  if (kind == InputKind::Maildir) return maildirFiles(path).size();
  std::ifstream f(path, std::ios::binary);
  size_t n = 0;
  std::string line;
  while (std::getline(f, line)) n += fromLine(line);
  return n;
}

bool forEachMessage(const std::string& path, InputKind kind, const std::function<void(RawMessage&&)>& each,
                    std::string* err) {
  if (kind == InputKind::Mbox) return readMbox(path, each, err);
  std::vector<std::string> files = kind == InputKind::Maildir ? maildirFiles(path) : std::vector<std::string>{path};
  for (auto& file : files) {
    RawMessage m;
    m.label = file;
    if (!readFile(file, m.text, err)) return false;
    each(std::move(m));
  }
  return true;
}

ParsedMessage parseMessage(std::string_view text) {
  ParsedMessage m;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      pos = next;
      break;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !m.headers.empty()) {
      m.headers.back().second.append("\n").append(line);
      pos = next;
      continue;
    }
    size_t colon = line.find(':');
    bool field = colon != std::string_view::npos && colon > 0;
    for (size_t k = 0; field && k < colon; ++k) field = line[k] > 32 && line[k] < 127;
    if (!field) break;  // not a header: the body starts here
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    m.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    pos = next;
  }
  std::string_view body = text.substr(std::min(pos, text.size()));
  m.body.reserve(body.size() + body.size() / 32);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) m.body += '\r';
    m.body += body[i];
  }
  return m;
}

}  // namespace am::testmsg
