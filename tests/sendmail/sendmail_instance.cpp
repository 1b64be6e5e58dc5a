// tests/sendmail/sendmail_instance.cpp — see sendmail_instance.h.
#include "tests/sendmail/sendmail_instance.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/support/mta/mta_e2e.h"
#include "tests/support/testfiles/test_files.h"

namespace am::sendmail_test {

using am::mta_test::freeLoopbackPort;
using am::testing::readFile;
using am::testing::runCommand;

namespace {

constexpr int kPortTries = 3;

// The site part of the test's sendmail.mc: everything an admin's sendmail.mc has that is about
// this host (paths, listener, local delivery), kept inside the instance directory.
std::string siteLines(const std::string& dir, const std::string& domain, uint16_t port) {
  std::ostringstream mc;
  mc << "divert(-1)\n# authmilter end-to-end test: a private Sendmail on 127.0.0.1:" << port << "\ndivert(0)dnl\n"
     << "OSTYPE(`linux')dnl\n"
     << "define(`confDOMAIN_NAME', `" << domain << "')dnl\n"
     << "define(`QUEUE_DIR', `" << dir << "/mqueue')dnl\n"
     << "define(`confPID_FILE', `" << dir << "/sendmail.pid')dnl\n"
     << "define(`STATUS_FILE', `" << dir << "/sendmail.st')dnl\n"
     << "define(`ALIAS_FILE', `" << dir << "/aliases')dnl\n"
     << "dnl host names from /etc/hosts only: the test's DNS is authmilter's, not Sendmail's\n"
     << "define(`confSERVICE_SWITCH_FILE', `" << dir << "/service.switch')dnl\n"
     << "define(`confDONT_PROBE_INTERFACES', `True')dnl\n"
     << "dnl a shared CI machine's load must not make the daemon refuse connections or only queue\n"
     << "define(`confQUEUE_LA', `1000')dnl\ndefine(`confREFUSE_LA', `1000')dnl\ndefine(`confDELAY_LA', `0')dnl\n"
     << "dnl the instance and the milter socket live under /tmp: trust its sticky bit\n"
     << "define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl\n"
     << "dnl local delivery: one file per message in " << dir << "/mail\n"
     << "define(`LOCAL_MAILER_PATH', `" << dir << "/deliver.sh')dnl\n"
     << "define(`LOCAL_MAILER_ARGS', `deliver.sh $u')dnl\n"
     << "MODIFY_MAILER_FLAGS(`LOCAL', `-w')dnl\n"
     << "FEATURE(`accept_unresolvable_domains')dnl\n"
     << "FEATURE(`nocanonify')dnl\n"
     << "DAEMON_OPTIONS(`Port=" << port << ", Addr=127.0.0.1, Name=MTA')dnl\n"
     << "LOCAL_DOMAIN(`" << domain << "')dnl\n";
  return mc.str();
}

}  // namespace

std::string SendmailInstance::sendmailCommand(const std::string& args) const {
  return "unshare --uts sh -c 'hostname " + domain_ + " && exec " + root_ + "/usr/libexec/sendmail/sendmail -C " +
         dir_ + "/sendmail.cf " + args + "'";
}

bool SendmailInstance::writeConfig(const Options& o, std::string* err) {
  std::string snippet = readFile(o.snippet);
  const std::string shipped = "/run/authmilter/authmilter.sock";
  size_t at = snippet.find(shipped);
  if (at == std::string::npos) {
    *err = "the snippet " + o.snippet + " names no socket " + shipped;
    return false;
  }
  snippet.replace(at, shipped.size(), o.socket);
  std::ofstream(dir_ + "/sendmail.mc") << siteLines(dir_, domain_, port_) << snippet
                                       << "MAILER(`local')dnl\nMAILER(`smtp')dnl\n";
  std::ofstream(dir_ + "/service.switch") << "hosts files\naliases files\n";
  std::ofstream(dir_ + "/aliases") << "postmaster: root\n";
  std::ofstream(dir_ + "/deliver.sh") << "#!/bin/sh\n# local mailer of the test instance: stdin to one file\n"
                                      << "f=\"" << dir_ << "/mail/$(date +%s%N).$$\"\n"
                                      << "cat > \"$f.tmp\" && mv \"$f.tmp\" \"$f.eml\"\n";
  chmod((dir_ + "/deliver.sh").c_str(), 0755);
  const std::string cf = root_ + "/usr/share/sendmail/cf";
  int st = -1;
  std::string out = runCommand("m4 -D_CF_DIR_=" + cf + "/ " + cf + "/m4/cf.m4 " + dir_ + "/sendmail.mc > " + dir_ +
                                   "/sendmail.cf 2>" + dir_ + "/m4.err",
                               &st);
  if (st != 0) {
    *err = "m4 failed: " + readFile(dir_ + "/m4.err");
    return false;
  }
  out = runCommand(sendmailCommand("-bi") + " 2>&1", &st);  // newaliases
  if (st != 0) {
    *err = "sendmail -bi failed: " + out;
    return false;
  }
  return true;
}

std::unique_ptr<SendmailInstance> SendmailInstance::start(const Options& o, std::string* err) {
  if (geteuid() != 0) {
    *err = "the Sendmail end-to-end test must run as root";
    return nullptr;
  }
  std::unique_ptr<SendmailInstance> s(new SendmailInstance());
  char tmpl[] = "/tmp/am-sendmail-XXXXXX";
  if (!mkdtemp(tmpl)) {
    *err = "mkdtemp failed";
    return nullptr;
  }
  s->dir_ = tmpl;
  s->root_ = o.root;
  s->domain_ = o.domain;
  // The local mailer runs as Sendmail's default user: it must reach the script and the mail dir.
  if (chmod(s->dir_.c_str(), 0755) != 0 || mkdir((s->dir_ + "/mqueue").c_str(), 0700) != 0 ||
      mkdir((s->dir_ + "/mail").c_str(), 0755) != 0 || chmod((s->dir_ + "/mail").c_str(), 01777) != 0) {
    *err = "cannot create the instance directories under " + s->dir_;
    return nullptr;
  }
  for (int attempt = 1; attempt <= kPortTries; ++attempt) {
    auto port = freeLoopbackPort();
    if (!port) {
      *err = "no free loopback port";
      return nullptr;
    }
    s->port_ = *port;
    if (!s->writeConfig(o, err)) return nullptr;
    s->daemon_ = am::milter_process::Process::start(
        "/usr/bin/unshare",
        {"--uts", "sh", "-c",
         "hostname " + o.domain + " && exec " + o.root + "/usr/libexec/sendmail/sendmail -C " + s->dir_ +
             "/sendmail.cf -bD"},
        err);
    if (!s->daemon_) return nullptr;
    if (s->daemon_->waitForSocket("inet:" + std::to_string(*port) + "@127.0.0.1", std::chrono::seconds(20), err))
      return s;
    s->daemon_->stop(std::chrono::seconds(10));
    s->daemon_.reset();  // the port may have been taken in between: try another
  }
  return nullptr;
}

std::string SendmailInstance::mc() const { return readFile(dir_ + "/sendmail.mc"); }
std::string SendmailInstance::output() const { return daemon_ ? daemon_->output() : std::string(); }

std::string SendmailInstance::quarantineListing() const { return runCommand(sendmailCommand("-bp -qQ") + " 2>&1"); }

std::vector<std::string> SendmailInstance::deliveredMessages() const {
  return am::mta_test::readFilesIn(dir_ + "/mail",
                                   [](const std::string& name) { return name.size() > 4 && name.ends_with(".eml"); });
}

std::optional<std::string> SendmailInstance::waitForDelivery(const std::string& needle,
                                                             std::chrono::milliseconds timeout) const {
  return am::mta_test::waitForMessage([this] { return deliveredMessages(); }, needle, timeout);
}

void SendmailInstance::stop() {
  if (daemon_) daemon_->stop(std::chrono::seconds(10));
  daemon_.reset();
  if (!dir_.empty()) runCommand("rm -rf '" + dir_ + "'");
  dir_.clear();
}

SendmailInstance::~SendmailInstance() { stop(); }

}  // namespace am::sendmail_test
