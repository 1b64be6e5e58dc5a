// tests/reliability/proc_stats.cpp — see proc_stats.h.
#include "tests/reliability/proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace am::reliability {

namespace {

long kbValue(const std::string& rest) { return std::strtol(rest.c_str(), nullptr, 10); }

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::optional<ProcStatus> readStatus(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  ProcStatus st;
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon), rest = trim(line.substr(colon + 1));
    if (key == "VmRSS") st.rssKb = kbValue(rest);
    else if (key == "VmHWM") st.hwmKb = kbValue(rest);
    else if (key == "Threads") st.threads = kbValue(rest);
    else if (key == "Uid") st.uid = rest;
    else if (key == "Gid") st.gid = rest;
    else if (key == "Groups") st.groups = rest;
    else if (key == "CapPrm") st.capPrm = rest;
    else if (key == "CapEff") st.capEff = rest;
  }
  if (st.rssKb < 0) return std::nullopt;  // a zombie has no VmRSS
  return st;
}

long openFds(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return -1;
  long n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

std::string raiseNoFile(long n) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::string("getrlimit: ") + std::strerror(errno);
  const rlim_t want = static_cast<rlim_t>(n);
  if (rl.rlim_cur >= want) return "";
  rl.rlim_cur = want;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) rl.rlim_max = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return "cannot raise RLIMIT_NOFILE to " + std::to_string(n) + ": " + std::strerror(errno) +
           " (raise the hard limit, e.g. ulimit -Hn, or run as root)";
  return "";
}

ScopedAsanOptions::ScopedAsanOptions(const std::string& extra) {
  const char* cur = std::getenv("ASAN_OPTIONS");
  if (cur) old_ = cur;
  std::string v = cur && *cur ? std::string(cur) + ":" + extra : extra;
  setenv("ASAN_OPTIONS", v.c_str(), 1);
}

ScopedAsanOptions::~ScopedAsanOptions() {
  if (old_) setenv("ASAN_OPTIONS", old_->c_str(), 1);
  else unsetenv("ASAN_OPTIONS");
}

std::string kib(long kb) { return std::to_string(kb) + " KiB"; }

}  // namespace am::reliability
