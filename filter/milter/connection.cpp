// filter/milter/connection.cpp — see connection.h. The packet handlers are a few lines each:
// decode the fields, call the Session, append the reply. C++ exceptions from the core end in the
// configured fallback (OnInternalError), as in the libmilter adapter.
#include "filter/milter/connection.h"

#include <algorithm>

#include "filter/core/session.h"
#include "filter/milter/apply.h"
#include "filter/milter/codec.h"
#include "filter/milter/protocol.h"

namespace am::milter {
namespace {

using core::Action;
using core::Verdict;

struct StageMacros {
  core::Stage stage;
  int symlistId;  // SMFIM_*
  char tag;       // command the MTA sends these macros with
};
constexpr StageMacros kStages[] = {{core::Stage::Connect, proto::kMacConnect, proto::kConnect},
                                   {core::Stage::Helo, proto::kMacHelo, proto::kHelo},
                                   {core::Stage::MailFrom, proto::kMacMail, proto::kMail},
                                   {core::Stage::Rcpt, proto::kMacRcpt, proto::kRcpt},
                                   {core::Stage::EndOfMessage, proto::kMacEom, proto::kEndOfBody}};

// "i" and "{i}" name the same one-letter macro.
// A command byte for log lines: printable as is, else as hex (never a raw control byte in the log).
std::string cmdName(char cmd) {
  auto u = static_cast<unsigned char>(cmd);
  if (u > 0x20 && u < 0x7f) return std::string("'") + cmd + "'";
  const char* hex = "0123456789abcdef";
  return std::string("0x") + hex[u >> 4] + hex[u & 15];
}

bool sameMacro(std::string_view want, std::string_view got) {
  if (want == got) return true;
  auto bare = [](std::string_view s) {
    return s.size() == 3 && s.front() == '{' && s.back() == '}' ? s.substr(1, 1) : s;
  };
  return want.size() != got.size() && bare(want) == bare(got);
}

std::optional<IpAddress> parseClientAddr(char family, std::string_view addr) {
  if (family != '4' && family != '6') return std::nullopt;
  if (addr.size() > 5 && (addr.substr(0, 5) == "IPv6:" || addr.substr(0, 5) == "ipv6:")) addr.remove_prefix(5);
  auto ip = IpAddress::parse(addr);
  if (!ip || ip->v6 != (family == '6')) return std::nullopt;
  return ip;
}

}  // namespace

uint32_t wantedActions() {
  return proto::kActAddHeaders | proto::kActChangeHeaders | proto::kActQuarantine | proto::kActSetSymList;
}

namespace {
// The no-reply stages come from the stage table (apply.h): every stage where the core always
// continues. Connect needs a reply only while draining (421).
uint32_t protocolFor(bool draining) {
  return proto::kHeaderLeadingSpace | proto::kNoUnknown | proto::kNoData | noReplyFlags(draining);
}
}  // namespace

uint32_t wantedProtocol() { return protocolFor(true); }

Connection::Connection(core::Engine& engine, std::string peer) : engine_(engine), peer_(std::move(peer)) {}

Connection::~Connection() = default;

core::Session& Connection::session() {
  if (!session_) session_ = std::make_unique<core::Session>(engine_);
  return *session_;
}

Verdict Connection::fallback() const { return fallbackVerdict(engine_.snapshot()->config->onInternalError); }

Connection::Next Connection::protocolError(const std::string& what) {
  engine_.log().warning("milter peer " + peer_ + ": " + what + "; closing the connection");
  return Next::Close;
}

namespace {
// The SMFIP_NR_* bit that makes `cmd` a no-reply stage (the stage table); 0 for commands that
// always take a reply.
uint32_t noReplyFlag(char cmd) {
  auto nr = [](MilterStage s) { return stageInfo(s).noReplyFlag; };
  switch (cmd) {
    case proto::kConnect: return nr(MilterStage::Connect);
    case proto::kHelo: return nr(MilterStage::Helo);
    case proto::kMail: return nr(MilterStage::Mail);
    case proto::kRcpt: return nr(MilterStage::Rcpt);
    case proto::kHeader: return nr(MilterStage::Header);
    case proto::kEndOfHeaders: return nr(MilterStage::EndOfHeaders);
    case proto::kBody: return nr(MilterStage::Body);
    case proto::kData: return nr(MilterStage::Data);
    case proto::kUnknown: return nr(MilterStage::Unknown);
    default: return 0;
  }
}
}  // namespace

Connection::Next Connection::onPacket(char cmd, std::string_view data, std::string& out) {
  const size_t mark = out.size();  // a packet half-written when something threw is dropped
  try {
    return dispatch(cmd, data, out);
  } catch (const std::exception& e) {
    engine_.log().error(std::string("internal error: ") + e.what());
  } catch (...) {
    engine_.log().error("internal error");
  }
  out.resize(mark);
  if (!negotiated_ || cmd == proto::kOptNeg || cmd == proto::kMacro) return Next::Close;
  // Commands that never take a reply (abort, quit, a new connection on the same socket) get none.
  if (cmd == proto::kAbort || cmd == proto::kQuit || cmd == proto::kQuitNewConn) return Next::Continue;
  // The Session stays (as in the adapter): it keeps the connection's client data, and the MTA
  // ends the transaction (abort) after the fallback reply. At a no-reply stage the fallback is
  // answered at the next reply (reply() keeps it pending).
  reply(fallback(), noReplyFlag(cmd), out);
  return Next::Continue;
}

Connection::Next Connection::dispatch(char cmd, std::string_view data, std::string& out) {
  if (cmd == proto::kOptNeg) return negotiate(data, out);
  if (!negotiated_) return protocolError("command " + cmdName(cmd) + " before option negotiation");
  switch (cmd) {
    case proto::kMacro: return macros(data);
    case proto::kConnect: return connect(data, out);
    case proto::kHelo:
    case proto::kMail:
    case proto::kRcpt: return firstArg(cmd, data, out);
    case proto::kHeader: return header(data, out);
    case proto::kEndOfHeaders: reply(session().endOfHeaders(), noReplyFlag(cmd), out); return Next::Continue;
    case proto::kBody: reply(session().body(data), noReplyFlag(cmd), out); return Next::Continue;
    case proto::kEndOfBody: return endOfMessage(data, out);
    case proto::kData: reply(Verdict::cont(), noReplyFlag(cmd), out); return Next::Continue;
    case proto::kUnknown: reply(Verdict::cont(), noReplyFlag(cmd), out); return Next::Continue;
    case proto::kAbort:
      if (session_) session_->abort();
      pending_ = connectPending_;  // a connect-level 421 (drain) outlives the transaction
      return Next::Continue;
    case proto::kQuitNewConn:  // the MTA reuses this connection for a new SMTP session
      session_.reset();
      pending_.reset();
      connectPending_.reset();
      return Next::Continue;
    case proto::kQuit: return Next::Close;
    default: return protocolError("unknown command " + cmdName(cmd));
  }
}

Connection::Next Connection::negotiate(std::string_view data, std::string& out) {
  FieldReader r(data);
  auto version = r.u32(), actions = r.u32(), protocol = r.u32();
  if (!version || !actions || !protocol) return protocolError("truncated option negotiation");
  if (*version < 2) return protocolError("milter protocol version " + std::to_string(*version) + " not supported");
  actions_ = wantedActions() & *actions;
  // Not waiting for a connect reply saves the MTA a round trip per connection; while draining the
  // connect reply carries the 421.
  protocol_ = protocolFor(engine_.draining) & *protocol;
  negotiated_ = true;
  size_t start = beginPacket(out, proto::kOptNeg);
  putU32(out, std::min(*version, proto::kVersion));
  putU32(out, actions_);
  putU32(out, protocol_);
  if (actions_ & proto::kActSetSymList) {
    for (const auto& s : kStages) {
      std::string list;
      for (const auto& m : core::wantedMacros(s.stage)) list += (list.empty() ? "" : " ") + m;
      putU32(out, static_cast<uint32_t>(s.symlistId));
      putStr(out, list);
    }
  }
  finishPacket(out, start);
  return Next::Continue;
}

Connection::Next Connection::macros(std::string_view data) {
  FieldReader r(data);
  auto tag = r.byte();
  if (!tag) return protocolError("empty macro packet");
  const StageMacros* stage = nullptr;
  for (const auto& s : kStages)
    if (s.tag == *tag) stage = &s;
  while (!r.done()) {
    auto name = r.str();
    auto value = r.str();
    if (!name || !value) return protocolError("malformed macro packet");
    if (!stage) continue;  // macros of stages the core does not read (header, body, data, eoh)
    for (const auto& want : core::wantedMacros(stage->stage))
      if (sameMacro(want, *name)) session().setMacro(want, *value);
  }
  return Next::Continue;
}

Connection::Next Connection::connect(std::string_view data, std::string& out) {
  FieldReader r(data);
  auto host = r.str();
  auto family = r.byte();
  if (!host || !family) return protocolError("malformed connect packet");
  std::optional<IpAddress> addr;
  if (*family != 'U') {
    auto port = r.u16();
    auto text = r.str();
    if (!port || !text) return protocolError("malformed connect packet");
    addr = parseClientAddr(*family, *text);
  }
  Verdict v = session().connect(*host, addr);
  if ((protocol_ & noReplyFlag(proto::kConnect)) && v.action != Action::Continue) {
    // Draining began between negotiation and connect: answer the 421 at the next reply, and
    // again after an abort (every later transaction of this session gets it).
    connectPending_ = v;
    if (!pending_) pending_ = std::move(v);
    return Next::Continue;
  }
  reply(v, noReplyFlag(proto::kConnect), out);
  return Next::Continue;
}

Connection::Next Connection::firstArg(char cmd, std::string_view data, std::string& out) {
  FieldReader r(data);
  auto arg = r.str();
  if (!arg) return protocolError("malformed " + cmdName(cmd) + " packet");
  auto& s = session();
  if (cmd == proto::kHelo) reply(s.helo(*arg), noReplyFlag(cmd), out);
  else if (cmd == proto::kMail) reply(s.mailFrom(*arg), noReplyFlag(cmd), out);
  else reply(s.rcpt(*arg), noReplyFlag(cmd), out);
  return Next::Continue;
}

Connection::Next Connection::header(std::string_view data, std::string& out) {
  FieldReader r(data);
  auto name = r.str();
  auto value = r.str();
  if (!name || !value) return protocolError("malformed header packet");
  reply(session().header(*name, *value), noReplyFlag(proto::kHeader), out);
  return Next::Continue;
}

Connection::Next Connection::endOfMessage(std::string_view data, std::string& out) {
  auto& s = session();
  if (!data.empty()) s.body(data);  // SMFIC_BODYEOB may carry the last body chunk
  Verdict v = s.endOfMessage();
  if (pending_) {
    appendVerdict(*pending_, false, out);
    pending_.reset();
  } else {
    appendVerdict(v, true, out);
  }
  return Next::Continue;
}

void Connection::reply(const Verdict& v, uint32_t noReplyFlag, std::string& out) {
  if (noReplyFlag && (protocol_ & noReplyFlag)) {
    if (v.action != Action::Continue) {
      engine_.log().error(std::string("internal error: verdict ") + core::toString(v.action) +
                          " at a no-reply stage; answering it at the next reply");
      if (!pending_) pending_ = v;
    }
    return;
  }
  if (pending_) {
    appendVerdict(*pending_, false, out);
    pending_.reset();
    return;
  }
  appendVerdict(v, false, out);
}

void Connection::appendVerdict(const Verdict& v, bool atEom, std::string& out) {
  Plan p = plan(v, atEom, Granted::from(actions_, protocol_));
  for (const auto& w : p.warnings) engine_.log().warning(w);
  for (const auto& h : p.headers) {
    size_t start = beginPacket(out, h.insert ? proto::kInsertHeader : proto::kChangeHeader);
    putU32(out, static_cast<uint32_t>(h.index));
    putStr(out, h.name);
    putStr(out, h.value);
    finishPacket(out, start);
  }
  if (p.quarantine) appendPacket(out, proto::kQuarantine, std::string_view(p.quarantine->c_str(), p.quarantine->size() + 1));
  if (p.reply) return appendReplyCode(out, p.reply->rcode, p.reply->xcode, p.reply->text);
  switch (p.final) {
    case Final::Continue: return appendPacket(out, proto::kContinue);
    case Final::Accept: return appendPacket(out, proto::kAccept);
    case Final::Discard: return appendPacket(out, proto::kDiscard);
    case Final::Reject: return appendPacket(out, proto::kReject);
    case Final::TempFail: return appendPacket(out, proto::kTempFail);
  }
}

}  // namespace am::milter
