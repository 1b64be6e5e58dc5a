// tests/postfix/postfix_instance.cpp — see postfix_instance.h.
#include "tests/postfix/postfix_instance.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace am::postfix_test {

using am::testing::readFile;

namespace {

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

constexpr int kPortTries = 3;

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Connects to 127.0.0.1:port and reads the greeting (bounded by `timeout` per call).
std::string smtpGreeting(uint16_t port, std::chrono::seconds timeout) {
  Fd s{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return "";
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
  std::array<char, 512> buf;
  ssize_t n = recv(s.fd, buf.data(), buf.size(), 0);
  if (n <= 0) return "";
  static const char kQuit[] = "QUIT\r\n";
  (void)!send(s.fd, kQuit, sizeof kQuit - 1, MSG_NOSIGNAL);
  return std::string(buf.data(), static_cast<size_t>(n));
}

std::string masterCf(uint16_t port) {
  // Nothing chrooted: the instance lives outside the default queue directory.
  return "127.0.0.1:" + std::to_string(port) + " inet n - n - - smtpd\n" +
         "pickup    unix n - n 60 1 pickup\n"
         "cleanup   unix n - n - 0 cleanup\n"
         "qmgr      unix n - n 300 1 qmgr\n"
         "rewrite   unix - - n - - trivial-rewrite\n"
         "bounce    unix - - n - 0 bounce\n"
         "defer     unix - - n - 0 bounce\n"
         "trace     unix - - n - 0 bounce\n"
         "verify    unix - - n - 1 verify\n"
         "flush     unix n - n 1000? 0 flush\n"
         "proxymap  unix - - n - - proxymap\n"
         "showq     unix n - n - - showq\n"
         "error     unix - - n - - error\n"
         "retry     unix - - n - - error\n"
         "discard   unix - - n - - discard\n"
         "local     unix - n n - - local\n"
         "virtual   unix - n n - - virtual\n"
         "smtp      unix - - n - - smtp\n"
         "relay     unix - - n - - smtp\n"
         "anvil     unix - - n - 1 anvil\n"
         "scache    unix - - n - 1 scache\n"
         "tlsmgr    unix - - n 1000? 1 tlsmgr\n"
         "postlog   unix-dgram n - n - 1 postlogd\n";
}

}  // namespace

std::string PostfixInstance::mainCf() const { return readFile(configDir_ + "/main.cf"); }
std::string PostfixInstance::mailLog() const { return readFile(dir_ + "/maillog"); }

bool PostfixInstance::writeConfig(const Options& o, std::string* err) {
  passwd* nobody = getpwnam("nobody");
  if (!nobody) {
    *err = "no user nobody";
    return false;
  }
  const std::string mail = dir_ + "/mail";
  if (mkdir(configDir_.c_str(), 0755) != 0 || mkdir((dir_ + "/queue").c_str(), 0755) != 0 ||
      mkdir(mail.c_str(), 0755) != 0 || chown(mail.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
    *err = "cannot create the instance directories under " + dir_;
    return false;
  }
  const std::string uid = std::to_string(nobody->pw_uid), gid = std::to_string(nobody->pw_gid);
  std::ofstream(configDir_ + "/main.cf")
      << "compatibility_level = 3.6\n"
      << "queue_directory = " << dir_ << "/queue\n"
      << "data_directory = " << dir_ << "/data\n"
      << "maillog_file = " << dir_ << "/maillog\n"
      << "maillog_file_prefixes = " << dir_ << "\n"
      << "mail_owner = postfix\nsetgid_group = postdrop\n"
      << "myhostname = " << o.domain << "\nmyorigin = $myhostname\n"
      << "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
      << "mynetworks = 127.0.0.0/8\n"
      << "mydestination =\nlocal_recipient_maps =\nrelay_domains =\nalias_maps =\nalias_database =\n"
      << "virtual_mailbox_domains = " << o.domain << "\n"
      << "virtual_mailbox_base = " << mail << "\n"
      << "virtual_mailbox_maps = inline:{ user@" << o.domain << "=user/ }\n"
      << "virtual_uid_maps = static:" << uid << "\nvirtual_gid_maps = static:" << gid << "\n"
      << "# No DNS from Postfix itself: authmilter does the lookups against the test nsd.\n"
      << "disable_dns_lookups = yes\nsmtp_dns_support_level = disabled\nsmtp_host_lookup = native\n"
      << "smtpd_peername_lookup = no\nbiff = no\n"
      << "smtpd_milters = " << o.milter << "\n"
      << "milter_default_action = tempfail\nmilter_protocol = 6\n"
      << "milter_connect_macros = j {daemon_name} {daemon_addr} {client_addr} {client_name} v _\n"
      << "milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject}\n"
      << "milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} "
         "{mail_mailer}\n"
      << "milter_end_of_data_macros = i {msg_id}\n"
      << o.extraMainCf;
  std::ofstream(configDir_ + "/master.cf") << masterCf(smtpPort_);
  return true;
}

std::unique_ptr<PostfixInstance> PostfixInstance::start(const Options& options, std::string* err) {
  if (geteuid() != 0) {
    *err = "the Postfix end-to-end test must run as root (Postfix's master starts as root)";
    return nullptr;
  }
  std::unique_ptr<PostfixInstance> p(new PostfixInstance());
  char tmpl[] = "/tmp/am-postfix-XXXXXX";
  if (!mkdtemp(tmpl)) {
    *err = "mkdtemp failed";
    return nullptr;
  }
  p->dir_ = tmpl;
  p->configDir_ = p->dir_ + "/etc";
  chmod(p->dir_.c_str(), 0755);  // the postfix and nobody users must reach the queue and maildir
  // The port was free when picked; if someone takes it before master binds it, master exits and
  // the next attempt picks another.
  for (int attempt = 1; attempt <= kPortTries; ++attempt) {
    auto port = freeLoopbackPort();
    if (!port) {
      *err = "no free loopback port";
      return nullptr;
    }
    p->smtpPort_ = *port;
    if (!p->writeConfig(options, err)) return nullptr;
    switch (p->launch(err)) {
      case Launch::Greeted: return p;
      case Launch::Failed: return nullptr;
      case Launch::PortTaken: break;
    }
  }
  return nullptr;
}

PostfixInstance::Launch PostfixInstance::launch(std::string* err) {
  int st = -1;
  // `postfix check` creates the queue and data directories with the right owners and modes.
  std::string out = runCommand("/usr/sbin/postfix -c '" + configDir_ + "' check 2>&1", &st);
  if (st != 0) {
    *err = "postfix check failed (is the Debian package postfix installed?): " + out + mailLog();
    return Launch::Failed;
  }
  std::string daemonDir = trim(runCommand("/usr/sbin/postconf -c '" + configDir_ + "' -h daemon_directory"));
  if (daemonDir.empty()) daemonDir = "/usr/lib/postfix/sbin";
  master_ = am::milter_process::Process::start(daemonDir + "/master", {"-c", configDir_, "-s"}, err);
  if (!master_) return Launch::Failed;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (smtpGreeting(smtpPort_, std::chrono::seconds(10)).rfind("220 ", 0) == 0 && master_->running()) return Launch::Greeted;
    if (!master_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *err = "Postfix smtpd did not greet on port " + std::to_string(smtpPort_) + "\nmaster: " + master_->output() +
         "\nmaillog:\n" + mailLog();
  bool taken = !master_->running() && (has(master_->output(), "Address already in use") ||
                                       has(mailLog(), "Address already in use"));
  master_->stop(std::chrono::seconds(10));
  master_.reset();
  return taken ? Launch::PortTaken : Launch::Failed;
}

std::vector<PostfixInstance::QueueEntry> PostfixInstance::queue() const {
  std::vector<QueueEntry> out;
  std::istringstream lines(runCommand("/usr/sbin/postqueue -c '" + configDir_ + "' -j 2>/dev/null"));
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    QueueEntry e;
    e.queueName = j.value("queue_name", "");
    e.queueId = j.value("queue_id", "");
    e.sender = j.value("sender", "");
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> PostfixInstance::deliveredMessages() const {
  std::vector<std::string> out;
  for (const char* sub : {"/mail/user/new", "/mail/user/cur"})
    for (auto& m : am::mta_test::readFilesIn(dir_ + sub, [](const std::string& name) { return name[0] != '.'; }))
      out.push_back(std::move(m));
  return out;
}

std::optional<std::string> PostfixInstance::waitForDelivery(const std::string& needle,
                                                            std::chrono::milliseconds timeout) const {
  return am::mta_test::waitForMessage([this] { return deliveredMessages(); }, needle, timeout);
}

void PostfixInstance::stop() {
  if (master_) master_->stop(std::chrono::seconds(10));
  master_.reset();
  if (!dir_.empty()) runCommand("rm -rf '" + dir_ + "'");
  dir_.clear();
}

PostfixInstance::~PostfixInstance() { stop(); }

// Makes `path` a directory for the milter socket that the postfix group (and root) can enter, and
// its parents passable; empty on success.
std::string socketDirForPostfix(const std::string& path) {
  const group* g = getgrnam("postfix");
  if (!g) return "no postfix group (is the Debian package postfix installed?)";
  std::string parent = path.substr(0, path.rfind('/'));
  if (chmod(parent.c_str(), 0711) != 0 || mkdir(path.c_str(), 0750) != 0 || chown(path.c_str(), 0, g->gr_gid) != 0 ||
      chmod(path.c_str(), 02750) != 0)
    return "cannot prepare the socket directory " + path + ": " + std::strerror(errno);
  return "";
}

}  // namespace am::postfix_test
