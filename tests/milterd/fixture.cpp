// tests/milterd/fixture.cpp — see fixture.h.
#include "tests/milterd/fixture.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "common/blocking.h"
#include "filter/config/config.h"
#include "tests/milterclient/protocol.h"

namespace am::milterd_test {

void DnsGate::open() {
  std::lock_guard lk(mu_);
  open_ = true;
  cv_.notify_all();
}

void DnsGate::waitIfSlow(std::string_view name) {
  if (name.size() < 9 || name.substr(name.size() - 9) != "slow.test") return;
  std::optional<BlockingScope> announce;
  if (hint) announce.emplace();
  ++waiting_;
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, std::chrono::seconds(20), [&] { return open_; });
  --waiting_;
}

namespace {
// The in-memory resolver behind a DnsGate.
class GatedResolver final : public Resolver {
 public:
  GatedResolver(std::unique_ptr<InMemoryResolver> mem, std::shared_ptr<DnsGate> gate)
      : mem_(std::move(mem)), gate_(std::move(gate)) {}
  TxtAnswer txt(std::string_view name) override {
    gate_->waitIfSlow(name);
    return mem_->txt(name);
  }
  AddrAnswer addrs(std::string_view name, Family family) override { return mem_->addrs(name, family); }
  MxAnswer mx(std::string_view name) override { return mem_->mx(name); }
  PtrAnswer ptr(const IpAddress& addr) override { return mem_->ptr(addr); }

 private:
  std::unique_ptr<InMemoryResolver> mem_;
  std::shared_ptr<DnsGate> gate_;
};
}  // namespace

void ServerFixture::SetUp() {
  char tmpl[] = "/tmp/am-milterd-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir = tmpl;
}

void ServerFixture::TearDown() {
  gate->open();  // a test that failed with lookups still waiting
  if (server) stopServer();
  server.reset();  // shuts down live connections, waits for workers
  engine.reset();
  if (!dir.empty()) std::system(("rm -rf '" + dir + "'").c_str());
}

void ServerFixture::start(milter::Server::Options opts, const std::string& extraConfig, bool tcp, bool v6) {
  std::string text = "AuthservID mx.test\nSyslog no\nInternalHosts 10.0.0.0/8\n" + extraConfig;
  auto cfg = config::parseText(text, "test.conf");
  ASSERT_TRUE(cfg.config) << cfg.errors[0];
  auto mem = std::make_unique<InMemoryResolver>();
  dns = mem.get();
  dns->addTxt("pass.test", "v=spf1 ip4:192.0.2.0/24 -all");
  dns->addTxt("_dmarc.pass.test", "v=DMARC1; p=reject");
  dns->addTxt("bank.test", "v=spf1 -all");
  dns->addTxt("_dmarc.bank.test", "v=DMARC1; p=reject");
  dns->addTxt("shop.test", "v=spf1 -all");
  dns->addTxt("six.test", "v=spf1 ip6:2001:db8::/32 -all");
  dns->addTxt("_dmarc.shop.test", "v=DMARC1; p=quarantine");
  dns->addTxt("slow.test", "v=spf1 ip4:192.0.2.0/24 -all");
  std::vector<std::string> errors;
  engine = core::Engine::create(cfg.config, log, std::make_unique<GatedResolver>(std::move(mem), gate), clock, errors);
  ASSERT_TRUE(engine) << (errors.empty() ? "" : errors[0]);
  opts.socketSpec = !tcp ? "unix:" + dir + "/milter.sock" : v6 ? "inet6:0@[::1]" : "inet:0@127.0.0.1";
  std::string err;
  server = milter::Server::create(*engine, opts, &err);
  ASSERT_TRUE(server) << err;
  if (tcp) spec = v6 ? "inet6:" + std::to_string(server->port()) + "@[::1]" : "inet:" + std::to_string(server->port()) + "@127.0.0.1";
  else spec = opts.socketSpec;
  running = std::async(std::launch::async, [s = server.get()] { return s->run(); });
}

bool ServerFixture::stopServer(int* rc) {
  server->stop();
  if (!running.valid()) return true;
  bool done = running.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (done && rc) *rc = running.get();
  return done;
}

std::unique_ptr<milter_client::Client> ServerFixture::connect(milter_client::Client::Options o) {
  o.timeout = std::chrono::seconds(20);
  std::string err;
  auto c = milter_client::Client::connect(spec, o, &err);
  EXPECT_TRUE(c) << err;
  return c;
}

milter_client::Result ServerFixture::sendOne(const milter_client::Message& m) {
  auto c = connect();
  if (!c) return {};
  auto r = c->send(m);
  c->quit();
  return r;
}

milter::Server::Stats ServerFixture::settledStats() {
  eventually([&] { return server->stats().live == 0; });
  return server->stats();
}

milter_client::Message message(const std::string& mailFrom, const std::string& from) {
  milter_client::Message m;
  m.clientAddr = "192.0.2.10";
  m.clientName = "client.example";
  m.helo = "client.example";
  m.mailFrom = "<" + mailFrom + ">";
  m.rcpts = {"<rcpt@mx.test>"};
  m.macros["i"] = "QID42";
  m.headers = {{"From", from},
               {"To", "rcpt@mx.test"},
               {"Subject", "hello"},
               {"Date", "Tue, 14 Nov 2023 22:13:20 +0000"},
               {"Message-ID", "<1@test>"}};
  m.body = "hello\r\n";
  return m;
}

std::string headerValue(const milter_client::Result& r, const std::string& name) {
  for (auto& [n, v] : r.finalHeaders)
    if (n == name) return v;
  return "";
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int rawConnect(const std::string& spec) {
  std::string path = spec.substr(spec.find(':') + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool rawSend(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

static bool readSome(int fd, std::string& out, size_t max, std::chrono::steady_clock::time_point deadline,
                     bool* eof) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{fd, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd, buf, std::min(sizeof buf, max - out.size()), 0);
  if (n <= 0) {
    if (eof) *eof = true;
    return false;
  }
  out.append(buf, static_cast<size_t>(n));
  return true;
}

std::string rawReadAll(int fd, size_t max, bool* eof) {
  *eof = false;
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.size() < max && readSome(fd, out, max, deadline, eof)) {
  }
  return out;
}

std::pair<char, std::string> rawReadPacket(int fd) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got.size() < 4 && readSome(fd, got, 4, deadline, nullptr)) {
  }
  if (got.size() < 4) return {0, ""};
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<unsigned char>(got[i]);
  if (len == 0 || len > (1u << 20)) return {0, ""};
  while (got.size() < 4 + len && readSome(fd, got, 4 + len, deadline, nullptr)) {
  }
  if (got.size() < 4 + len) return {0, ""};
  return {got[4], got.substr(5)};
}

std::string packet(char cmd, const std::string& data) { return milter_client::wire::encode(cmd, data); }

std::string optneg(uint32_t version, uint32_t actions, uint32_t protocol) {
  std::string d;
  milter_client::wire::putU32(d, version);
  milter_client::wire::putU32(d, actions);
  milter_client::wire::putU32(d, protocol);
  return packet('O', d);
}

}  // namespace am::milterd_test
