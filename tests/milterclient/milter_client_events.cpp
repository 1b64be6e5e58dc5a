// tests/milterclient/milter_client_events.cpp — one MTA event of the Client (see milter_client.h):
// macros, the command, and the filter's replies until its decision, following Postfix's
// milter8_event(): skipped events still get their macros, SMFIP_NR_* events get no reply read,
// SMFIR_PROGRESS is ignored, SMFIR_QUARANTINE is allowed at any event, and modification requests
// are accepted only at end of message.
#include <climits>

#include "tests/milterclient/milter_client.h"

namespace am::milter_client {

using namespace wire;

namespace {

constexpr int kMaxRepliesPerEvent = 100000;
constexpr const char* kRejectText = "550 5.7.1 Command rejected";
constexpr const char* kTempFailText = "451 4.7.1 Service unavailable - try again later";
constexpr const char* kShutdownText = "421 4.7.0 Server closing connection";

std::string stageName(char cmd) {
  switch (cmd) {
    case kConnect: return "connect";
    case kHelo: return "helo";
    case kMail: return "mail";
    case kRcpt: return "rcpt";
    case kData: return "data";
    case kHeader: return "header";
    case kEndOfHeaders: return "eoh";
    case kBody: return "body";
    case kEndOfBody: return "eom";
    default: return commandName(cmd);
  }
}

// Postfix accepts "4XX x..." / "5XX x..." (or '-' continuation) whose enhanced code class matches,
// then turns "%%" into "%" and drops single '%' (Sendmail used the text as a format string).
std::optional<std::string> checkReplyCode(const std::string& t) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (t.size() < 5 || (t[0] != '4' && t[0] != '5') || !digit(t[1]) || !digit(t[2]) ||
      (t[3] != ' ' && t[3] != '-') || t[4] != t[0])
    return std::nullopt;
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '%') out.push_back(t[i]);
    else if (i + 1 < t.size() && t[i + 1] == '%') out.push_back(t[++i]);
  }
  return out;
}

int clampIndex(uint32_t v) { return v > static_cast<uint32_t>(INT_MAX) ? INT_MAX : static_cast<int>(v); }

}  // namespace

Client::Step Client::failStep(const std::string& what, char cmd) {
  fd_.reset();
  Step s;
  s.final = true;
  s.action = Result::Action::Error;
  s.text = what;
  if (cmd) s.stage = stageName(cmd);
  return s;
}

Client::Step Client::event(char cmd, const std::string& data, uint32_t skipFlag, uint32_t noReplyFlag,
                           MacroStage macroStage, Result& r) {
  Step done;
  done.stage = stageName(cmd);
  if (skipEventType_ != 0) {
    if (cmd == skipEventType_) return done;
    skipEventType_ = 0;
  }
  std::string err;
  if (!sendMacros(macroStage, cmd, &err)) return failStep(err, cmd);
  if (skipFlag != 0 && (protocol_ & skipFlag)) return done;
  if (!writePacket(cmd, data, &err)) return failStep(err, cmd);
  if (noReplyFlag != 0 && (protocol_ & noReplyFlag)) return done;
  return readReplies(cmd, r);
}

Client::Step Client::readReplies(char cmd, Result& r) {
  if (std::string err; !flush(&err)) return failStep(err, cmd);
  for (int n = 0; n < kMaxRepliesPerEvent; ++n) {
    Packet p;
    std::string err;
    if (chan_.read(p, &err) != IoStatus::Ok)
      return failStep("reading the reply to " + commandName(cmd) + ": " + err, cmd);
    bool done = false;
    Step s = handleReply(cmd, p, r, done);
    if (done) return s;
  }
  return failStep("more than " + std::to_string(kMaxRepliesPerEvent) + " replies to " + commandName(cmd), cmd);
}

Client::Step Client::handleReply(char cmd, const Packet& p, Result& r, bool& done) {
  static const std::string kNoDataReplies = "acdrts4p";
  done = true;
  if (kNoDataReplies.find(p.cmd) != std::string::npos && !p.data.empty())
    return failStep(replyName(p.cmd) + " followed by " + std::to_string(p.data.size()) + " data bytes", cmd);
  bool connectLevel = cmd == kConnect || cmd == kHelo;
  Step s;
  s.stage = stageName(cmd);
  auto decide = [&](Result::Action a, std::string text) {
    s.final = true;
    s.action = a;
    s.text = std::move(text);
    return s;
  };
  switch (p.cmd) {
    case kProgress: done = false; return s;
    case kContinue: return s;
    case kAccept: return decide(Result::Action::Accept, "");
    case kReject: return decide(Result::Action::Reject, kRejectText);
    case kTempFail: return decide(Result::Action::TempFail, kTempFailText);
    case kShutdown:
      s.closesSession = true;
      return decide(Result::Action::TempFail, kShutdownText);
    case kDiscard:
      if (connectLevel) return failStep("SMFIR_DISCARD is not allowed at connect or helo", cmd);
      return decide(Result::Action::Discard, "");
    case kSkip:
      if (!(opts_.protocol & kSkipFlag)) return failStep("SMFIR_SKIP without SMFIP_SKIP", cmd);
      skipEventType_ = cmd;
      s.skip = true;
      return s;
    case kReplyCode: {
      Reader rd(p.data);
      auto text = rd.str();
      auto checked = text && rd.done() ? checkReplyCode(*text) : std::nullopt;
      if (!checked) return failStep("malformed SMFIR_REPLYCODE: " + (text ? *text : p.data), cmd);
      return decide(Result::Action::ReplyCode, *checked);
    }
    case kQuarantine: {
      Reader rd(p.data);
      auto reason = rd.str();
      if (!reason || !rd.done()) return failStep("malformed SMFIR_QUARANTINE", cmd);
      if (opts_.strictActions && !(actions_ & kActQuarantine))
        return failStep("SMFIR_QUARANTINE without SMFIF_QUARANTINE", cmd);
      r.quarantined = true;
      r.quarantineReason = *reason;
      done = false;
      return s;
    }
    default:
      break;
  }
  if (cmd != kEndOfBody)
    return failStep("unexpected filter response " + replyName(p.cmd) + " after " + commandName(cmd), cmd);
  if (auto err = recordEdit(p, r)) return failStep(*err, cmd);
  done = false;
  return s;
}

// Records one end-of-message modification request; returns an error text when it is malformed,
// unknown, or (strictActions) not negotiated.
std::optional<std::string> Client::recordEdit(const Packet& p, Result& r) {
  struct Need { char reply; uint32_t action; };
  static const Need kNeeds[] = {{kAddHeader, kActAddHeaders},   {kInsertHeader, kActAddHeaders},
                                {kChangeHeader, kActChangeHeaders}, {kAddRcpt, kActAddRcpt},
                                {kAddRcptPar, kActAddRcptPar},  {kDelRcpt, kActDelRcpt},
                                {kChangeFrom, kActChangeFrom},  {kReplaceBody, kActChangeBody}};
  const Need* need = nullptr;
  for (const auto& n : kNeeds)
    if (n.reply == p.cmd) need = &n;
  if (!need) return "unexpected filter response " + replyName(p.cmd) + " at end of message";
  if (opts_.strictActions && !(actions_ & need->action))
    return replyName(p.cmd) + " sent but its action was not negotiated";
  if (p.cmd == kReplaceBody) {
    r.replacedBody = r.replacedBody.value_or("") + p.data;
    return std::nullopt;
  }
  Reader rd(p.data);
  std::optional<uint32_t> index = 0u;
  if (p.cmd == kInsertHeader || p.cmd == kChangeHeader) index = rd.u32();
  auto first = rd.str();
  bool twoStrings = p.cmd == kAddHeader || p.cmd == kInsertHeader || p.cmd == kChangeHeader;
  std::optional<std::string> second;
  if (twoStrings || ((p.cmd == kAddRcptPar || p.cmd == kChangeFrom) && !rd.done())) second = rd.str();
  if (!index || !first || (twoStrings && !second) || !rd.done())
    return "malformed " + replyName(p.cmd);
  if (twoStrings) {
    if (first->empty()) return replyName(p.cmd) + " with an empty header name";
    auto kind = p.cmd == kAddHeader ? HeaderChange::Kind::Add
                : p.cmd == kInsertHeader ? HeaderChange::Kind::Insert : HeaderChange::Kind::Change;
    r.changes.push_back({kind, clampIndex(*index), *first, *second});
    return std::nullopt;
  }
  std::string text = second && !second->empty() ? *first + " " + *second : *first;
  if (p.cmd == kDelRcpt) r.deletedRcpts.push_back(text);
  else if (p.cmd == kChangeFrom) r.newMailFrom = text;
  else r.addedRcpts.push_back(text);
  return std::nullopt;
}

}  // namespace am::milter_client
