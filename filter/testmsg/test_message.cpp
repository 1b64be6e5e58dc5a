// filter/testmsg/test_message.cpp — see test_message.h.
#include "filter/testmsg/test_message.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/strings.h"
#include "filter/config/config.h"
#include "filter/core/consumers.h"
#include "filter/core/engine.h"
#include "filter/core/outcome_json.h"
#include "filter/core/session.h"
#include "filter/dns/zone_resolver.h"
#include "filter/testmsg/mailbox.h"

namespace am::testmsg {
namespace {

constexpr size_t kProgressAbove = 200;  // messages; a progress line every kProgressEvery
constexpr size_t kProgressEvery = 100;

const char* kUsage =
    "usage: authmilter test-message [-c FILE] [--dns-zone ZONEFILE]... [--client-ip IP] [--client-name NAME]\n"
    "                               [--helo NAME] [--mail-from ADDR] [--rcpt ADDR]... [--auth-user USER]\n"
    "                               [--tls VERSION] [--tls-cipher NAME] [--json] [--log] MESSAGE...\n"
    "  MESSAGE          a message file, an mbox or a Maildir directory\n"
    "  -c FILE          configuration file (default /etc/authmilter/authmilter.conf)\n"
    "  --dns-zone FILE  answer DNS from this RFC 1035 zone file instead of the configured nameservers\n"
    "  --client-ip IP   the SMTP client (without it SPF is not evaluated)\n"
    "  --mail-from ADDR the envelope sender (default: the mbox From_ line, else Return-Path, else <>)\n"
    "  --auth-user USER the client authenticated with SMTP AUTH (outgoing mail: signing)\n"
    "  --tls VERSION    the client used TLS (e.g. TLSv1.3)\n"
    "  --json           one JSON object per message, with the whole outcome\n"
    "  --log            also print the milter's log lines on stderr\n"
    "exit status: 0 accepted, 1 error, 2 rejected, 3 quarantined, 4 tempfailed, 5 discarded\n";

struct Options {
  std::string configPath = "/etc/authmilter/authmilter.conf";
  std::vector<std::string> zones, rcpts, inputs;
  std::optional<IpAddress> clientIp;
  std::string clientName, helo, authUser, tls, cipher;
  std::optional<std::string> mailFrom;
  bool json = false, log = false;
};

enum Exit { kAccept = 0, kError = 1, kReject = 2, kQuarantine = 3, kTempFail = 4, kDiscard = 5 };

int severity(int code) {
  switch (code) {
    case kReject: return 5;
    case kDiscard: return 4;
    case kTempFail: return 3;
    case kQuarantine: return 2;
    default: return 1;
  }
}

bool parseArgs(int argc, char** argv, Options& o, std::string& err) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string& into) {
      if (i + 1 >= argc) return err = a + " needs a value", false;
      into = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-c") { if (!next(o.configPath)) return false; }
    else if (a == "--dns-zone") { if (!next(v)) return false; o.zones.push_back(v); }
    else if (a == "--client-ip") {
      if (!next(v)) return false;
      o.clientIp = IpAddress::parse(v);
      if (!o.clientIp) return err = "--client-ip: not an IP address: " + v, false;
    }
    else if (a == "--client-name") { if (!next(o.clientName)) return false; }
    else if (a == "--helo") { if (!next(o.helo)) return false; }
    else if (a == "--mail-from") { if (!next(v)) return false; o.mailFrom = v; }
    else if (a == "--rcpt") { if (!next(v)) return false; o.rcpts.push_back(v); }
    else if (a == "--auth-user") { if (!next(o.authUser)) return false; }
    else if (a == "--tls") { if (!next(o.tls)) return false; }
    else if (a == "--tls-cipher") { if (!next(o.cipher)) return false; }
    else if (a == "--json") o.json = true;
    else if (a == "--log") o.log = true;
    else if (a == "-h" || a == "--help") return err = "", false;
    else if (!a.empty() && a[0] == '-' && a != "-") return err = "unknown option '" + a + "'", false;
    else o.inputs.push_back(a);
  }
  if (o.inputs.empty()) return err = "no message given", false;
  return true;
}

std::string angle(std::string_view a) {
  a = trim(a);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') return std::string(a);
  return "<" + std::string(a) + ">";
}

struct Result {
  core::Verdict verdict;
  std::optional<core::MessageOutcome> outcome;
};

// One message through one Session, as the milter front end drives it.
Result run(core::Engine& engine, const Options& o, const RawMessage& raw, size_t index) {
  ParsedMessage m = parseMessage(raw.text);
  core::Session s(engine);
  s.setMacro("i", "msg" + std::to_string(index));
  if (!o.authUser.empty()) s.setMacro("{auth_authen}", o.authUser);
  if (!o.tls.empty()) s.setMacro("{tls_version}", o.tls);
  if (!o.cipher.empty()) s.setMacro("{cipher}", o.cipher);
  std::string name = o.clientName.empty() ? (o.clientIp ? "[" + o.clientIp->str() + "]" : "localhost") : o.clientName;
  s.connect(name, o.clientIp);
  if (!o.helo.empty()) s.helo(o.helo);
  std::string mailFrom;
  if (o.mailFrom) mailFrom = *o.mailFrom;
  else if (raw.hasEnvelope) mailFrom = raw.envelopeSender;
  else
    for (auto& [n, v] : m.headers)
      if (iequals(n, "Return-Path")) {
        mailFrom = std::string(trim(v));
        break;
      }
  s.mailFrom(angle(mailFrom));
  for (auto& r : o.rcpts) s.rcpt(angle(r));
  for (auto& [n, v] : m.headers) s.header(n, v);
  s.endOfHeaders();
  s.body(m.body);
  Result r;
  r.verdict = s.endOfMessage();
  if (auto* out = s.lastOutcome()) r.outcome = *out;
  return r;
}

int exitClass(const core::Verdict& v) {
  switch (v.action) {
    case Action::Reject: return kReject;
    case Action::TempFail: return kTempFail;
    case Action::Discard: return kDiscard;
    default: return v.quarantine ? kQuarantine : kAccept;
  }
}

std::string verdictText(const core::Verdict& v) {
  switch (exitClass(v)) {
    case kReject:
    case kTempFail: return std::string(toString(v.action)) + " " + v.rcode + " " + v.xcode + " " + v.text;
    case kQuarantine: return "quarantine (" + *v.quarantine + ")";
    case kDiscard: return "discard";
    default: return "accept";
  }
}

// The headers the milter would add, top-down as the recipient sees them (each is inserted at the
// top, so the last inserted comes first), and the forged ones it would remove.
std::vector<const core::HeaderEdit*> added(const core::Verdict& v) {
  std::vector<const core::HeaderEdit*> out;
  for (auto it = v.edits.rbegin(); it != v.edits.rend(); ++it)
    if (it->kind == core::HeaderEdit::Kind::Insert) out.push_back(&*it);
  return out;
}

void printText(const std::string& label, const Result& r) {
  std::string s = "== " + label + "\n";
  for (auto* e : added(r.verdict)) s += e->name + ": " + e->value + "\n";
  for (auto& e : r.verdict.edits)
    if (e.kind == core::HeaderEdit::Kind::Change && e.value.empty())
      s += "removed: " + e.name + " #" + std::to_string(e.index) + " (forges our authserv-id)\n";
  s += "verdict: " + verdictText(r.verdict) + "\n";
  if (r.outcome && !r.outcome->disposition.logReason.empty()) s += "reason: " + r.outcome->disposition.logReason + "\n";
  else if (!r.outcome) s += "reason: headers over MaxHeaderBytes\n";
  std::cout << s;
}

void printJson(const std::string& label, const Result& r) {
  static const char* kClass[] = {"accept", "error", "reject", "quarantine", "tempfail", "discard"};
  std::string s;
  json::Writer w(s);
  w.beginObject().field("message", label);
  w.key("verdict").beginObject().field("class", kClass[exitClass(r.verdict)]).field("action", toString(r.verdict.action));
  w.field("smtp_code", r.verdict.rcode).field("dsn", r.verdict.xcode).field("text", r.verdict.text);
  w.key("quarantine");
  if (r.verdict.quarantine) w.value(*r.verdict.quarantine);
  else w.null();
  w.endObject();
  w.key("add_headers").beginArray();
  for (auto* e : added(r.verdict)) w.beginObject().field("name", e->name).field("value", e->value).endObject();
  w.endArray();
  w.key("remove_headers").beginArray();
  for (auto& e : r.verdict.edits)
    if (e.kind == core::HeaderEdit::Kind::Change && e.value.empty())
      w.beginObject().field("name", e.name).field("index", e.index).endObject();
  w.endArray();
  w.key("outcome");
  if (r.outcome) core::writeOutcomeJson(w, *r.outcome);
  else w.null();
  w.endObject();
  std::cout << s << "\n";
}

std::unique_ptr<core::Engine> makeEngine(const Options& o, core::Logger& log) {
  auto loaded = config::loadFile(o.configPath);
  for (auto& e : loaded.errors) std::cerr << e << "\n";
  if (!loaded.config) return nullptr;
  log.configure(false, loaded.config->syslogFacility, loaded.config->logDebug);  // stderr, never syslog
  log.setQuiet(!o.log);
  std::vector<std::string> errors;
  std::unique_ptr<Resolver> dns;
  if (!o.zones.empty()) {
    dns = dns::ZoneResolver::load(o.zones, errors);
    if (!dns) {
      for (auto& e : errors) std::cerr << e << "\n";
      return nullptr;
    }
  }
  auto engine = core::Engine::create(loaded.config, log, std::move(dns), SystemClock::instance(), errors);
  for (auto& e : errors) std::cerr << e << "\n";
  return engine;
}

}  // namespace

int testMessageMain(int argc, char** argv) {
  Options o;
  std::string err;
  if (!parseArgs(argc, argv, o, err)) {
    if (!err.empty()) std::cerr << "authmilter test-message: " << err << "\n";
    (err.empty() ? std::cout : std::cerr) << kUsage;
    return err.empty() ? 0 : kError;
  }
  std::vector<InputKind> kinds(o.inputs.size());
  size_t total = 0;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    if (!detectInput(o.inputs[i], kinds[i], &err)) {
      std::cerr << "authmilter test-message: " << err << "\n";
      return kError;
    }
    total += countMessages(o.inputs[i], kinds[i]);
  }
  static core::Logger log;
  auto engine = makeEngine(o, log);
  if (!engine) return kError;

  int worst = kAccept;
  bool failed = false;
  size_t done = 0;
  const bool progress = total > kProgressAbove;
  const bool tty = isatty(STDERR_FILENO);
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    bool ok = forEachMessage(o.inputs[i], kinds[i], [&](RawMessage&& raw) {
      Result r = run(*engine, o, raw, ++done);
      if (o.json) printJson(raw.label, r);
      else printText(raw.label, r);
      int c = exitClass(r.verdict);
      if (severity(c) > severity(worst)) worst = c;
      if (progress && (done % kProgressEvery == 0 || done == total))
        std::cerr << "test-message: " << done << "/" << total << " messages" << (tty ? "\r" : "\n") << std::flush;
    }, &err);
    if (!ok) {
      std::cerr << "authmilter test-message: " << err << "\n";
      failed = true;
    }
  }
  if (progress && tty) std::cerr << "\n";
  std::cout.flush();
  return failed ? kError : worst;
}

}  // namespace am::testmsg
