// tests/milterclient/milter_client.cpp — session and negotiation half of the Client (see
// milter_client.h); the per-event reply handling lives in milter_client_events.cpp.
#include "tests/milterclient/milter_client.h"

#include "common/ip.h"
#include "common/strings.h"

namespace am::milter_client {

using namespace wire;

std::unique_ptr<Client> Client::connect(const std::string& socketSpec, std::chrono::milliseconds timeout,
                                        std::string* err) {
  Options o;
  o.timeout = timeout;
  return connect(socketSpec, o, err);
}

std::unique_ptr<Client> Client::connect(const std::string& socketSpec, const Options& options,
                                        std::string* err) {
  auto spec = SocketSpec::parse(socketSpec, err);
  if (!spec) return nullptr;
  UniqueFd fd = connectSocket(*spec, options.timeout, err);
  if (!fd.valid()) return nullptr;
  std::unique_ptr<Client> c(new Client(std::move(fd), options));
  if (!c->negotiate(err)) return nullptr;
  return c;
}

Client::Client(UniqueFd fd, const Options& o) : fd_(std::move(fd)), chan_(fd_.get(), o.timeout), opts_(o) {}

Client::~Client() { quit(); }

bool Client::negotiate(std::string* err) {
  std::string d;
  putU32(d, opts_.version);
  putU32(d, opts_.actions);
  putU32(d, opts_.protocol);
  std::string why;
  Packet reply;
  if (chan_.write(encode(kOptNeg, d), &why) != IoStatus::Ok || chan_.read(reply, &why) != IoStatus::Ok) {
    if (err) *err = "option negotiation: " + why;
    fd_.reset();
    return false;
  }
  if (!parseNegotiation(reply, err)) {
    fd_.reset();
    return false;
  }
  return true;
}

bool Client::parseNegotiation(const Packet& reply, std::string* err) {
  auto bad = [&](const std::string& what) {
    if (err) *err = "option negotiation: " + what;
    return false;
  };
  if (reply.cmd != kOptNeg) return bad("unexpected reply " + replyName(reply.cmd));
  Reader rd(reply.data);
  auto v = rd.u32(), a = rd.u32(), p = rd.u32();
  if (!v || !a || !p) return bad("reply too short");
  if (*v == 0 || *v > opts_.version)
    return bad("filter protocol version " + std::to_string(*v) + " conflicts with ours " +
               std::to_string(opts_.version));
  if ((*a & ~opts_.actions) != 0) return bad("filter requests actions not offered: " + std::to_string(*a));
  version_ = *v;
  actions_ = *a;
  protocol_ = *p;
  for (int i = 0; i < kMacCount; ++i) macroLists_[i] = postfixDefaultMacros(static_cast<MacroStage>(i));
  while (!rd.done()) {
    auto stage = rd.u32();
    auto list = rd.str();
    if (!stage || !list) return bad("malformed macro list");
    if (*stage < static_cast<uint32_t>(kMacCount)) {  // unknown stages are ignored, as Postfix does
      macroLists_[*stage] = *list;
      requested_[*stage] = true;
    }
  }
  return true;
}

void Client::abortTransaction() {
  std::string err;
  if (fd_.valid() && writePacket(kAbort, {}, &err)) flush(&err);
}

void Client::quit() {
  std::string err;
  if (fd_.valid() && writePacket(kQuit, {}, &err)) flush(&err);
  fd_.reset();
}

// Postfix's VSTREAM buffer is 4096 bytes: it writes when full, and before every read.
constexpr size_t kOutBuffer = 4096;

bool Client::flush(std::string* err) {
  if (out_.empty()) return true;
  if (!fd_.valid()) {
    *err = "connection to the filter is closed";
    return false;
  }
  std::string why;
  IoStatus st = chan_.write(out_, &why);
  out_.clear();
  if (st != IoStatus::Ok) {
    *err = "sending to the filter: " + why;
    fd_.reset();
    return false;
  }
  return true;
}

bool Client::writePacket(char cmd, std::string_view data, std::string* err) {
  if (!fd_.valid()) {
    *err = "connection to the filter is closed";
    return false;
  }
  out_ += encode(cmd, data);
  if (out_.size() < kOutBuffer) return true;
  if (flush(err)) return true;
  *err = "sending " + commandName(cmd) + ": " + *err;
  return false;
}

static std::string bracketed(const std::string& addr) {
  if (addr.empty()) return "<>";
  if (addr.front() == '<') return addr;
  return "<" + addr + ">";
}

static std::string unbracketed(const std::string& addr) {
  std::string_view s = addr;
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::optional<std::string> Client::macroValue(const std::string& name) const {
  const Message& m = *current_;
  auto it = m.macros.find(name);
  if (it != m.macros.end()) return it->second;
  // "{i}" and "i" name the same macro.
  if (name.size() == 3 && name.front() == '{' && name.back() == '}') it = m.macros.find(name.substr(1, 1));
  else if (name.size() == 1) it = m.macros.find("{" + name + "}");
  if (it != m.macros.end()) return it->second;
  if (name == "_") return m.clientName + " [" + m.clientAddr + "]";
  if (name == "{client_addr}") return m.clientAddr;
  if (name == "{client_name}") return m.clientName;
  if (name == "{client_port}") return std::to_string(m.clientPort);
  if (name == "{mail_addr}") return unbracketed(m.mailFrom);
  if (name == "{rcpt_addr}" && !currentRcpt_.empty()) return unbracketed(currentRcpt_);
  return std::nullopt;
}

bool Client::sendMacros(MacroStage stage, char tag, std::string* err) {
  std::string payload(1, tag);
  for (const auto& name : split(macroLists_[stage], " ,\t\r\n")) {
    if (auto v = macroValue(name)) {
      putStr(payload, name);
      putStr(payload, *v);
    }
  }
  if (payload.size() == 1) return true;  // nothing defined: no packet
  return writePacket(kMacro, payload, err);
}

std::string Client::connectData(const Message& m) {
  std::string d;
  const std::string& addr = m.clientAddr;
  bool unknownAddr = addr.empty() || addr == "unknown";
  putStr(d, m.clientName == "unknown" && !unknownAddr ? "[" + addr + "]" : m.clientName);
  if (unknownAddr) {
    d.push_back('U');
    return d;
  }
  auto ip = IpAddress::parse(addr);
  if (addr.front() == '/') d.push_back('L');
  else if (ip) d.push_back(ip->v6 ? '6' : '4');
  else {
    d.push_back('U');
    return d;
  }
  putU16(d, addr.front() == '/' ? 0 : m.clientPort);
  putStr(d, addr);
  return d;
}

Result Client::send(const Message& m) {
  current_ = &m;
  Result r = sendImpl(m);
  current_ = nullptr;
  currentRcpt_.clear();
  return r;
}

Result Client::sendImpl(const Message& m) {
  Result r;
  r.finalHeaders = m.headers;
  if (sessionVerdict_) {
    Result v = *sessionVerdict_;
    v.finalHeaders = m.headers;
    return v;
  }
  if (!fd_.valid()) return endTransaction(r, failStep("connection to the filter is closed"), "session");
  if (!sessionStarted_) {
    sessionStarted_ = true;
    std::string helo;
    putStr(helo, m.helo);
    Step s = event(kConnect, connectData(m), kNoConnect, kNrConnect, kMacConnect, r);
    if (!s.final) s = event(kHelo, helo, kNoHelo, kNrHelo, kMacHelo, r);
    if (s.final) return endSession(r, s);
  }
  return runTransaction(m, r);
}

Result Client::endSession(Result r, const Step& s) {
  r.action = s.action;
  r.stage = s.stage;
  r.replyText = s.text;
  if (r.action != Result::Action::Error) {
    Result verdict;  // what later send() calls get: the verdict only, no per-message data
    verdict.action = r.action;
    verdict.stage = r.stage;
    verdict.replyText = r.replyText;
    sessionVerdict_ = verdict;
    fd_.reset();  // Postfix closes the filter socket after a connection-level verdict
  }
  return r;
}

Result Client::runTransaction(const Message& m, Result r) {
  std::string mail;
  putStr(mail, bracketed(m.mailFrom));
  for (const auto& a : m.mailArgs) putStr(mail, a);
  Step s = event(kMail, mail, kNoMail, kNrMail, kMacMail, r);
  for (size_t i = 0; !s.final && i < m.rcpts.size(); ++i) {
    currentRcpt_ = bracketed(m.rcpts[i]);
    std::string rcpt;
    putStr(rcpt, currentRcpt_);
    s = event(kRcpt, rcpt, kNoRcpt, kNrRcpt, kMacRcpt, r);
  }
  if (!s.final) s = event(kData, {}, kNoData, kNrData, kMacData, r);
  if (!s.final) s = sendHeaders(m, r);
  if (!s.final && !(protocol_ & kNoEoh)) s = event(kEndOfHeaders, {}, 0, kNrEoh, kMacEoh, r);
  if (!s.final) s = sendBody(m, r);
  if (!s.final) s = event(kEndOfBody, {}, 0, 0, kMacEom, r);
  if (!s.final) {  // SMFIR_CONTINUE at end of message means accept
    s.final = true;
    s.action = Result::Action::Continue;
    s.stage = "eom";
  }
  return endTransaction(std::move(r), s, s.stage);
}

Client::Step Client::sendHeaders(const Message& m, Result& r) {
  if (protocol_ & kNoHeaders) return {};
  bool lead = (protocol_ & kHeaderLeadingSpace) != 0;
  for (const auto& [name, value] : m.headers) {
    std::string v;  // the MTA hands folded values over with LF-only line breaks
    for (size_t i = 0; i < value.size(); ++i)
      if (!(value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n')) v.push_back(value[i]);
    if (lead && !v.empty() && v.front() != '\n') v.insert(v.begin(), ' ');
    std::string d;
    putStr(d, name);
    putStr(d, v);
    Step s = event(kHeader, d, 0, kNrHeader, kMacEoh, r);
    if (s.final) return s;
  }
  return {};
}

Client::Step Client::sendBody(const Message& m, Result& r) {
  if (protocol_ & kNoBody) return {};
  size_t chunk = m.chunkSize == 0 || m.chunkSize > kMaxChunk ? kMaxChunk : m.chunkSize;
  size_t packets = 0;
  for (size_t off = 0; off < m.body.size(); off += chunk) {
    Step s = event(kBody, m.body.substr(off, chunk), 0, kNrBody, kMacEom, r);
    if (s.final || s.skip) return s.final ? s : Step{};
    if (++packets == m.midBodyAfterPackets && m.midBody) {
      if (std::string err; !flush(&err)) return failStep(err, kBody);
      m.midBody();
    }
  }
  return {};
}

Result Client::endTransaction(Result r, const Step& s, const std::string& stage) {
  r.action = s.action;
  r.stage = stage;
  r.replyText = s.text;
  if (r.action == Result::Action::Error) return r;
  if (s.closesSession) return endSession(r, s);  // as Postfix: 421 for the rest of the session
  bool lead = (protocol_ & kHeaderLeadingSpace) != 0;
  for (const auto& c : r.changes) applyHeaderChange(r.finalHeaders, c, lead);
  // Postfix's smtpd resets the filter after every transaction (mail_reset -> milter_abort); the
  // abort stays buffered until the next command or quit, as in Postfix.
  if (std::string err; fd_.valid()) writePacket(kAbort, {}, &err);
  skipEventType_ = 0;
  return r;
}

Result sendOnce(const std::string& socketSpec, const Message& m, std::chrono::milliseconds timeout) {
  std::string err;
  auto c = Client::connect(socketSpec, timeout, &err);
  if (!c) {
    Result r;
    r.replyText = "connect: " + err;
    return r;
  }
  auto r = c->send(m);
  c->quit();
  return r;
}

}  // namespace am::milter_client
