// contrib/bench/daemons.h — the milters under test, each a foreground child process with private
// config files in the benchmark's temp dir, stopped by PID: authmilter (unix or TCP socket), and
// the reference chain OpenDKIM (verify mode) + OpenDMARC from Debian. OpenDMARC runs in a private
// mount namespace (unshare -m) where /etc/resolv.conf is bind-mounted to "nameserver 127.0.0.1",
// so its resolver (libresolv, libspf2) reaches the benchmark's nsd without touching the host's file.
// Also reads a process's CPU time and peak RSS from /proc. Not thread-safe.
#pragma once
#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/milterclient/process.h"

namespace am::bench {

struct Daemon {
  std::string name;
  std::string socket;  // client-side spec, "unix:/path" or "inet:PORT@127.0.0.1"
  std::unique_ptr<am::milter_process::Process> proc;
};

// `socket` is the authmilter Socket value ("unix:DIR/am.sock" or "inet:PORT@127.0.0.1").
// `wrap` (may be empty) is a command line run in front of the binary, e.g. a profiler.
// `extraConfig` (may be empty) is appended to the generated configuration file, e.g.
// "MilterServer libmilter\n".
std::unique_ptr<Daemon> startAuthmilter(const std::string& bin, const std::vector<std::string>& wrap,
                                        const std::string& dir, const std::string& socket, std::string* err,
                                        const std::string& extraConfig = "");
// `ubShim`: path of the LD_PRELOAD library that lets OpenDKIM's libunbound reach 127.0.0.1.
std::unique_ptr<Daemon> startOpendkim(const std::string& dir, const std::string& ubShim, std::string* err);
std::unique_ptr<Daemon> startOpendmarc(const std::string& dir, std::string* err);

double cpuSeconds(pid_t pid);      // utime + stime of all threads
std::pair<double, double> userSystemSeconds(pid_t pid);  // utime, stime
long peakRssKb(pid_t pid);         // VmHWM
void resetPeakRss(pid_t pid);      // echo 5 > /proc/PID/clear_refs
long currentRssKb(pid_t pid);      // VmRSS

// A free TCP port on 127.0.0.1 (bind port 0, read it back, close).
int freeTcpPort();

}  // namespace am::bench
