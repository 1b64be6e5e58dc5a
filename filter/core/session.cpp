// filter/core/session.cpp — per-connection state machine; see session.h.
#include "filter/core/session.h"

#include "common/strings.h"
#include "filter/auth/arc/headers.h"
#include "filter/auth/arc/verifier.h"
#include "filter/auth/dkim/verifier.h"
#include "filter/auth/dkim_sign/signer.h"
#include "filter/core/arc_seal.h"
#include "filter/authres/authres.h"
#include "filter/core/options.h"
#include "filter/core/consumers.h"
#include "filter/core/debug_resolver.h"
#include "filter/core/failure_input.h"
#include "filter/core/outcome.h"
#include "policy/disposition.h"
#include "policy/from_header.h"

namespace am::core {
namespace {
// What a failure report may carry of a body (FailureReportsContent body): its first 64 KiB.
constexpr size_t kFailureBodyBytes = 65536;
}  // namespace

const std::vector<std::string>& wantedMacros(Stage s) {
  static const std::vector<std::string> connect{"j", "{daemon_name}", "{client_addr}", "{client_name}"};
  static const std::vector<std::string> helo{"{tls_version}", "{cipher}", "{cipher_bits}", "{cert_subject}"};
  static const std::vector<std::string> mail{"i", "{auth_authen}", "{auth_type}", "{mail_addr}"};
  static const std::vector<std::string> rcpt{"i", "{rcpt_addr}"};
  static const std::vector<std::string> eom{"i", "{msg_id}"};
  switch (s) {
    case Stage::Connect: return connect;
    case Stage::Helo: return helo;
    case Stage::MailFrom: return mail;
    case Stage::Rcpt: return rcpt;
    case Stage::EndOfMessage: return eom;
  }
  return eom;
}

Message::~Message() = default;

Session::Session(Engine& engine) : engine_(engine), snap_(engine.snapshot()) {}

Session::~Session() { endTransaction(); }

void Session::setMacro(std::string_view name, std::string_view value) {
  macros_[std::string(name)] = std::string(value);
}

const std::string* Session::macro(std::string_view name) const {
  auto it = macros_.find(name);
  return it == macros_.end() || it->second.empty() ? nullptr : &it->second;
}

const policy::FromResult& Session::fromHeader() {
  if (!msg_->from) {
    std::vector<std::string> froms;
    for (auto& [n, v] : msg_->headers)
      if (iequals(n, "From")) froms.push_back(v);
    msg_->from = policy::parseFrom(froms);
  }
  return *msg_->from;
}

Verdict Session::connect(std::string_view hostname, std::optional<IpAddress> addr) {
  client_ = ClientInfo{};
  refused_.reset();
  client_.hostname = toLower(hostname);
  if (!addr) {
    if (auto* a = macro("{client_addr}")) addr = IpAddress::parse(*a);
  }
  if (addr) client_.addr = addr->unmapped();
  client_.internal = snap_->isInternal(client_);
  if (engine_.draining) {
    // The MTA may send a whole transaction before it reads the 421 (no-reply connect stage):
    // each one is answered with the 421 at end of message, and none is evaluated.
    refused_ = Verdict::reply(Action::TempFail, "421", "4.3.2", "Service shutting down, try again later");
    return *refused_;
  }
  return Verdict::cont();
}

Verdict Session::helo(std::string_view name) {
  client_.helo = std::string(trim(name));
  return Verdict::cont();
}

Verdict Session::mailFrom(std::string_view addr) {
  endTransaction();
  msg_ = std::make_unique<Message>();
  msg_->headers.reserve(32);  // a typical header section, without regrowth
  ++engine_.transactionsInFlight;
  if (engine_.messageMetrics()) msg_->started = std::chrono::steady_clock::now();
  std::string_view a = trim(addr);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  msg_->mailFrom = std::string(a);
  if (auto* q = macro("i")) msg_->queueId = *q;
  if (refused_) {
    msg_->refused = true;
    return Verdict::cont();
  }
  std::optional<DebugQid> tag;  // LogDebug: DNS answers are logged with the queue id
  if (engine_.log().debugEnabled()) tag.emplace(msg_->queueId);

  // SMTP AUTH comes with MAIL FROM's macros, TLS with HELO's: the client is complete now.
  auto value = [this](std::string_view m) { auto* v = macro(m); return v ? *v : std::string(); };
  client_.authUser = value("{auth_authen}");
  client_.tlsVersion = value("{tls_version}");
  client_.tlsCipher = value("{cipher}");
  client_.tlsBits = value("{cipher_bits}");

  const auto& cfg = *snap_->config;
  bool ignored = (cfg.ignoreAuthenticated && client_.authenticated()) || (cfg.ignoreInternal && client_.internal);
  if (!ignored && client_.addr) {
    msg_->spfMailFrom = snap_->spf->checkMailFrom(*client_.addr, msg_->mailFrom, client_.helo);
    if (cfg.spfCheckHelo && !client_.helo.empty()) msg_->spfHelo = snap_->spf->checkHelo(*client_.addr, client_.helo);
  }
  return Verdict::cont();
}

Verdict Session::rcpt(std::string_view addr) {
  if (msg_) msg_->rcpts.emplace_back(trim(addr));
  return Verdict::cont();
}

Verdict Session::header(std::string_view name, std::string_view value) {
  if (!msg_ || msg_->refused) return Verdict::cont();
  msg_->headerBytes += name.size() + value.size() + 4;
  if (msg_->headerBytes > snap_->config->maxHeaderBytes) {
    msg_->headersOverflow = true;
    return Verdict::cont();
  }
  msg_->headers.emplace_back(std::string(name), std::string(value));
  if (!msg_->hasArc && arc::kindOf(name) != arc::Kind::None) msg_->hasArc = true;
  return Verdict::cont();
}

Verdict Session::endOfHeaders() {
  if (!msg_) return Verdict::cont();
  if (auto* q = macro("i"); q && msg_->queueId.empty()) msg_->queueId = *q;
  if (msg_->headersOverflow || msg_->refused) return Verdict::cont();
  std::optional<DebugQid> tag;
  if (engine_.log().debugEnabled()) tag.emplace(msg_->queueId);
  startSigning();
  msg_->verifying = !msg_->signing || snap_->config->evaluateSignedMail;
  if (msg_->verifying) startVerification();
  msg_->keepBody = msg_->verifying && engine_.failureReporter() && snap_->config->failureReportsBody;
  if (msg_->hasArc) startArc();  // also for mail we sign: whoever seals it next needs its cv
  if (msg_->verifying && !msg_->signing && !snap_->arcSealers.empty()) {
    msg_->seal = startArcSeal(*snap_, msg_->rcpts, signOptions(*snap_->config).signHeaders, engine_.clock());
    if (msg_->seal)
      for (auto& [n, v] : msg_->headers) msg_->seal->header(n, v);
  }
  return Verdict::cont();
}

void Session::startVerification() {
  msg_->verify = snap_->dkim->startVerify(msg_->queueId.empty() ? "authmilter" : msg_->queueId);
  for (auto& [n, v] : msg_->headers) msg_->verify->header(n, v);
  msg_->verify->endOfHeaders();
}

// Only for mail with ARC fields (Session::header notes them): other mail does no ARC work at all.
void Session::startArc() {
  if (!snap_->arc) return;
  msg_->arc = snap_->arc->startVerify();
  for (auto& [n, v] : msg_->headers) msg_->arc->header(n, v);
  msg_->arc->endOfHeaders();
}

void Session::startSigning() {
  const auto& cfg = *snap_->config;
  if (!snap_->keys || !snap_->policy || !(client_.authenticated() || client_.internal)) return;
  std::string address;
  if (cfg.signByEnvelopeSender) {
    address = msg_->mailFrom;
  } else {
    const auto& from = fromHeader();
    if (from.status != policy::FromResult::Status::Ok) return;
    address = from.address;
  }
  auto at = address.rfind('@');
  if (at == std::string::npos) return;
  address = toLower(address.substr(0, at)) + "@" + normalizeDomain(address.substr(at + 1));
  auto keys = snap_->policy->signing.lookup(address);
  if (keys.empty()) return;
  std::string err;
  msg_->sign = dkim::startSigning(*snap_->keys, keys, signOptions(cfg), engine_.clock(),
                                  address.substr(address.rfind('@') + 1), &err);
  if (!msg_->sign) {
    engine_.log().error("qid=" + logValue(msg_->queueId) + " cannot sign: " + err);
    return;
  }
  msg_->signing = true;
  for (auto& [n, v] : msg_->headers) msg_->sign->header(n, v);
  msg_->sign->endOfHeaders();
}

Verdict Session::body(std::string_view chunk) {
  if (!msg_) return Verdict::cont();
  if (msg_->verify) msg_->verify->body(chunk);
  if (msg_->arc) msg_->arc->body(chunk);
  if (msg_->sign) msg_->sign->body(chunk);
  if (msg_->seal) msg_->seal->body(chunk);
  if (msg_->keepBody) {
    size_t room = kFailureBodyBytes - msg_->bodyHead.size();
    msg_->bodyHead.append(chunk.substr(0, room));
    msg_->bodyTruncated |= chunk.size() > room;
  }
  return Verdict::cont();
}

Verdict Session::endOfMessage() {
  if (!msg_) return Verdict::cont();
  if (auto* q = macro("i"); q && msg_->queueId.empty()) msg_->queueId = *q;
  std::string qid;  // finish() moves the queue id into the outcome
  std::optional<DebugQid> tag;
  if (engine_.log().debugEnabled()) tag.emplace(qid = msg_->queueId);
  Verdict v;
  lastOutcome_.reset();
  if (msg_->refused) {
    v = *refused_;
    lastLog_ = refusedLogLine(msg_->queueId, client_, snap_->config->logJson);
    engine_.log().warning(lastLog_);
  } else if (msg_->headersOverflow) {
    v = Verdict::reply(Action::TempFail, "451", "4.3.0", "Message headers too large to authenticate");
    lastLog_ = overflowLogLine(msg_->queueId, snap_->config->logJson);
    engine_.log().warning(lastLog_);
    if (auto* m = engine_.messageMetrics()) m->message(Action::TempFail, "451", std::chrono::steady_clock::now() - msg_->started);
  } else {
    v = finish();
  }
  endTransaction(true);
  return v;
}

Verdict Session::finish() {
  MessageOutcome o;
  o.client = client_;
  o.signing = msg_->signing;
  o.evaluated = msg_->verifying;
  if (msg_->verify) o.dkim = msg_->verify->finish();
  if (msg_->arc) o.arc = msg_->arc->finish();
  if (msg_->sign) o.signatures = msg_->sign->finish();
  o.forgedAr = forgedAuthResults(msg_->headers, snap_->config->authservId);
  o.upstream = trustedAuthResults(msg_->headers, snap_->config->trustedAuthservIds, snap_->config->authservId);
  o.from = fromHeader();
  // The transaction ends with this message: its values move instead of being copied.
  o.queueId = std::move(msg_->queueId);
  o.mailFrom = std::move(msg_->mailFrom);
  o.rcpts = std::move(msg_->rcpts);
  o.spfMailFrom = std::move(msg_->spfMailFrom);
  o.spfHelo = std::move(msg_->spfHelo);
  const MessageOutcome& outcome = lastOutcome_.emplace(conclude(std::move(o), *snap_, engine_.dns()));
  SealResult seal;  // after the verdict is final (RFC 8617 §5.1: seal what is passed on)
  if (msg_->seal) seal = sealEdits(outcome, *msg_->seal, snap_->config->authservId);
  lastLog_ = logLine(outcome, snap_->config->logJson, seal.logFields);
  engine_.log().info(lastLog_);
  if (engine_.log().debugEnabled()) engine_.log().debug(debugLine(outcome));
  if (auto* m = engine_.messageMetrics()) countOutcome(outcome, std::chrono::steady_clock::now() - msg_->started, *m);
  if (auto* rec = engine_.recorder())
    if (auto r = reportRecord(outcome, engine_.clock().unixSeconds())) rec->offer(std::move(*r));
  if (auto* fr = engine_.failureReporter())  // the sender thread does the DNS and the sending
    if (auto in = failureInput(outcome, *snap_->config, engine_.clock().unixSeconds(), msg_->headers,
                               std::move(msg_->bodyHead), msg_->bodyTruncated)) {
      reports::FailureJob job = failureJobTemplate(*snap_->config);
      job.input = std::move(*in);
      fr->offer(std::move(job));
    }
  Verdict v = verdictFor(outcome, *snap_->config);
  for (auto& e : seal.edits) v.edits.push_back(std::move(e));  // last, so the ARC set is on top
  return v;
}

void Session::abort() { endTransaction(); }

void Session::endTransaction(bool verdictGiven) {
  if (!msg_) return;
  if (!verdictGiven)
    if (auto* m = engine_.messageMetrics()) m->aborted();
  msg_.reset();
  --engine_.transactionsInFlight;
}

}  // namespace am::core
