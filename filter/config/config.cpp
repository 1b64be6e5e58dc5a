// filter/config/config.cpp — key table and parser for config.h.
#include "filter/config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "common/ip.h"
#include "common/strings.h"

namespace am::config {
namespace {

using Setter = std::function<bool(Config&, std::string_view value, std::string& err)>;

struct Key {
  const char* name;
  Setter set;
  Reload reload = Reload::Yes;  // Reload::Restart: a SIGHUP keeps the running value and says so
  bool removed = false;         // a key that is gone (its setter says what to write instead)
};
constexpr Reload kRestart = Reload::Restart;

bool parseBool(std::string_view v, bool& out, std::string& err) {
  std::string s = toLower(v);
  if (s == "yes" || s == "true" || s == "1" || s == "on") return out = true, true;
  if (s == "no" || s == "false" || s == "0" || s == "off") return out = false, true;
  err = "expected yes or no, got '" + std::string(v) + "'";
  return false;
}

bool parseUnsigned(std::string_view v, uint64_t min, uint64_t max, uint64_t& out, std::string& err, int base = 10) {
  if (v.empty() || v.size() > 20) {
    err = "expected a number, got '" + std::string(v) + "'";
    return false;
  }
  uint64_t n = 0;
  for (char c : v) {
    int d = (c >= '0' && c <= '9') ? c - '0' : 99;
    if (d >= base || n > (UINT64_MAX - d) / base) {
      err = "expected a number, got '" + std::string(v) + "'";
      return false;
    }
    n = n * base + d;
  }
  if (n < min || n > max) {
    err = "value " + std::string(v) + " out of range " + std::to_string(min) + ".." + std::to_string(max);
    return false;
  }
  out = n;
  return true;
}

template <class T>
Setter number(T Config::*field, uint64_t min, uint64_t max, uint64_t scale = 1) {
  return [=](Config& c, std::string_view v, std::string& err) {
    uint64_t n;
    if (!parseUnsigned(v, min, max, n, err)) return false;
    c.*field = static_cast<T>(n * scale);
    return true;
  };
}
Setter boolean(bool Config::*field) {
  return [=](Config& c, std::string_view v, std::string& err) { return parseBool(v, c.*field, err); };
}
Setter text(std::string Config::*field) {
  return [=](Config& c, std::string_view v, std::string&) { return c.*field = std::string(v), true; };
}
Setter list(std::vector<std::string> Config::*field, bool lower = false) {
  return [=](Config& c, std::string_view v, std::string&) {
    c.*field = split(lower ? toLower(v) : std::string(v), ", \t");
    return true;
  };
}
// local@domain, without spaces, angle brackets or list separators.
bool plainAddress(std::string_view v) {
  auto at = v.find('@');
  return at != 0 && at != std::string_view::npos && at + 1 != v.size() && v.find('@', at + 1) == std::string_view::npos &&
         v.find_first_of(" \t<>,;\"") == std::string_view::npos;
}
Setter address(std::string Config::*field) {
  return [=](Config& c, std::string_view v, std::string& err) {
    if (!plainAddress(v)) return err = "expected an address like dmarc-reports@example.org, got '" + std::string(v) + "'", false;
    c.*field = std::string(v);
    return true;
  };
}
template <class E>
Setter choice(E Config::*field, std::map<std::string, E> names) {
  return [=](Config& c, std::string_view v, std::string& err) {
    auto it = names.find(toLower(v));
    if (it == names.end()) {
      err = "unknown value '" + std::string(v) + "' (expected";
      for (auto& [n, _] : names) err += " " + n;
      err += ")";
      return false;
    }
    c.*field = it->second;
    return true;
  };
}

// A key that is gone: reading an old file says what to write instead.
Setter removed(const char* instead) {
  return [=](Config&, std::string_view, std::string& err) { return err = std::string("this key is gone: ") + instead, false; };
}

Setter socketSetter() {
  return [](Config& c, std::string_view v, std::string& err) {
    if (!validSocketSpec(v, &err)) return false;
    c.socket = std::string(v);
    return true;
  };
}

Setter internalHostsSetter() {
  return [](Config& c, std::string_view v, std::string& err) {
    auto items = split(toLower(v), ", \t");
    for (auto& item : items) {
      bool looksIp = item.find_first_not_of("0123456789abcdef.:/[]") == std::string::npos && item.find_first_of(".:") != std::string::npos;
      if (looksIp && !Cidr::parse(item)) {
        err = "bad address or CIDR '" + item + "'";
        return false;
      }
    }
    c.internalHosts = items;
    return true;
  };
}

const std::vector<Key>& keyTable() {
  static const std::vector<Key> keys = {
      {"Socket", socketSetter(), kRestart},
      {"UMask", [](Config& c, std::string_view v, std::string& err) {
         uint64_t n;
         if (!parseUnsigned(v, 0, 0777, n, err, 8)) return false;
         c.umask = static_cast<unsigned>(n);
         return true;
       }, kRestart},
      {"UserID", text(&Config::userId), kRestart},
      {"PidFile", text(&Config::pidFile), kRestart},
      {"Syslog", boolean(&Config::syslog), kRestart},
      {"SyslogFacility", choice(&Config::syslogFacility,
                                std::map<std::string, std::string>{{"mail", "mail"}, {"daemon", "daemon"},
                                    {"local0", "local0"}, {"local1", "local1"}, {"local2", "local2"},
                                    {"local3", "local3"}, {"local4", "local4"}, {"local5", "local5"},
                                    {"local6", "local6"}, {"local7", "local7"}}), kRestart},
      {"LogDebug", boolean(&Config::logDebug), kRestart},
      {"LogFormat", choice(&Config::logJson, std::map<std::string, bool>{{"kv", false}, {"json", true}})},
      {"AuthservID", text(&Config::authservId)},
      {"TrustedAuthservIDs", list(&Config::trustedAuthservIds, true)},
      {"InternalHosts", internalHostsSetter()},
      {"PolicyFile", text(&Config::policyFile)},
      {"OnInternalError", choice(&Config::onInternalError, std::map<std::string, FallbackAction>{
                                     {"accept", FallbackAction::Accept}, {"tempfail", FallbackAction::TempFail}})},
      {"ShutdownTimeout", number(&Config::shutdownTimeout, 0, 3600)},
      {"MaxHeaderBytes", number(&Config::maxHeaderBytes, 4096, 64ull << 20)},
      {"Nameservers", [](Config& c, std::string_view v, std::string& err) {
         c.nameservers = split(v, ", \t");
         for (auto& s : c.nameservers) {
           std::string host = s;
           if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.find(']') - 1);
           else if (std::count(host.begin(), host.end(), ':') == 1) host = host.substr(0, host.find(':'));
           if (!IpAddress::parse(host)) {
             err = "bad nameserver '" + s + "' (expected IP, IP:PORT or [IPv6]:PORT)";
             return false;
           }
         }
         return true;
       }, kRestart},
      {"DNSTimeout", number(&Config::dnsTimeoutMs, 1, 60, 1000), kRestart},
      {"DNSRetries", number(&Config::dnsRetries, 0, 10), kRestart},
      {"DNSCacheSize", number(&Config::dnsCacheSize, 0, 10000000), kRestart},
      {"DNSCacheBytes", number(&Config::dnsCacheBytes, 1ull << 16, 1ull << 34), kRestart},
      {"DNSFailureTTL", number(&Config::dnsFailureTtl, 0, 3600), kRestart},
      {"SPFCheckHELO", boolean(&Config::spfCheckHelo)},
      {"AddReceivedSPF", boolean(&Config::addReceivedSpf)},
      {"SPFTimeout", number(&Config::spfTimeoutMs, 1, 120, 1000)},
      {"IgnoreAuthenticatedClients", boolean(&Config::ignoreAuthenticated)},
      {"IgnoreInternalHosts", boolean(&Config::ignoreInternal)},
      {"SPFIgnoreAuthenticatedClients", removed("write IgnoreAuthenticatedClients (it covers SPF and DMARC enforcement)"),
       Reload::Yes, true},
      {"SPFIgnoreInternalHosts", removed("write IgnoreInternalHosts (it covers SPF and DMARC enforcement)"), Reload::Yes,
       true},
      {"SPFRejectFailures", boolean(&Config::spfRejectFailures)},
      {"MaximumSignaturesToVerify", number(&Config::maxSignatures, 1, 50)},
      {"MinimumKeyBits", number(&Config::minimumKeyBits, 1024, 16384)},  // RFC 8301 §3.2: never below 1024
      {"DKIMAlgorithms", [](Config& c, std::string_view v, std::string& err) {
         auto algs = split(toLower(v), ", \t");
         for (auto& a : algs)
           if (a != "rsa-sha256" && a != "ed25519-sha256" && a != "rsa-sha1") {
             err = "unknown DKIM algorithm '" + a + "'";
             return false;
           }
         c.dkimAlgorithms = algs;
         return true;
       }},
      {"BodyLengthPolicy", [](Config& c, std::string_view v, std::string& err) {
         std::string s = toLower(v);
         if (s != "accept" && s != "fail") return err = "expected accept or fail", false;
         c.bodyLengthFail = s == "fail";
         return true;
       }},
      {"ClockSkew", number(&Config::clockSkew, 0, 86400)},
      {"DKIMVerifier", choice(&Config::dkimLibopendkim, std::map<std::string, bool>{{"native", false},
                                                                                    {"libopendkim", true}})},
      {"MilterServer", choice(&Config::milterLibmilter, std::map<std::string, bool>{{"native", false},
                                                                                   {"libmilter", true}}), kRestart},
      {"MaxConnections", number(&Config::maxConnections, 16, 65536), kRestart},
      {"MilterTimeout", number(&Config::milterTimeout, 10, 86400), kRestart},
      {"MaxWorkers", number(&Config::maxWorkers, 2, 4096), kRestart},
      {"MetricsListen", [](Config& c, std::string_view v, std::string& err) {
         if (!parseListenAddress(v, &err)) return false;
         c.metricsListen = std::string(v);
         return true;
       }, kRestart},
      {"MetricsAllowNonLoopback", boolean(&Config::metricsAllowNonLoopback), kRestart},
      {"KeyTable", text(&Config::keyTable)},
      {"SigningTable", text(&Config::signingTable)},
      {"Canonicalization", [](Config& c, std::string_view v, std::string& err) {
         std::string s = toLower(v);
         auto parts = split(s, "/");
         auto ok = [](const std::string& p) { return p == "simple" || p == "relaxed"; };
         if (parts.empty() || parts.size() > 2 || !ok(parts[0]) || (parts.size() == 2 && !ok(parts[1])))
           return err = "expected header/body canonicalization like relaxed/relaxed", false;
         c.canonicalization = parts[0] + "/" + (parts.size() == 2 ? parts[1] : "simple");
         return true;
       }},
      {"SignHeaders", list(&Config::signHeaders, true)},
      {"OversignHeaders", list(&Config::oversignHeaders, true)},
      {"MultipleSignatures", boolean(&Config::multipleSignatures)},
      {"SignatureTTL", number(&Config::signatureTtl, 0, 365u * 86400)},
      {"SigningIdentity", [](Config& c, std::string_view v, std::string& err) {
         std::string s = toLower(v);
         if (s != "from" && s != "envelope") return err = "expected from or envelope", false;
         c.signByEnvelopeSender = s == "envelope";
         return true;
       }},
      {"EvaluateSignedMail", boolean(&Config::evaluateSignedMail)},
      {"DMARCMode", choice(&Config::dmarcMode, std::map<std::string, DmarcMode>{
                               {"rfc9989", DmarcMode::Rfc9989}, {"rfc7489", DmarcMode::Rfc7489}})},
      {"PublicSuffixList", text(&Config::publicSuffixList)},
      {"RejectFailures", boolean(&Config::rejectFailures)},
      {"HoldQuarantinedMessages", boolean(&Config::holdQuarantinedMessages)},
      {"TempFailOnDNSError", boolean(&Config::tempfailOnDnsError)},
      {"FailureReports", boolean(&Config::failureReports), kRestart},  // the Engine owns the sender thread
      {"FailureReportsSentBy", address(&Config::failureReportsSentBy)},
      {"FailureReportsBcc", [](Config& c, std::string_view v, std::string& err) {
         std::vector<std::string> out = split(std::string(v), ", \t");
         for (auto& a : out)
           if (!plainAddress(a)) return err = "expected addresses like dmarc-copy@example.org, got '" + a + "'", false;
         c.failureReportsBcc = std::move(out);
         return true;
       }},
      {"FailureReportsOnNone", boolean(&Config::failureReportsOnNone)},
      {"FailureReportsRateLimit", number(&Config::failureReportsRateLimit, 0, 1000000)},
      {"FailureReportsContent", choice(&Config::failureReportsBody, std::map<std::string, bool>{{"headers", false},
                                                                                              {"body", true}})},
      {"ReportStore", text(&Config::reportStore), kRestart},  // checked by the snapshot builder
      {"ReportRetention", number(&Config::reportRetention, 1, 3650)},
      {"ReportQueueSize", number(&Config::reportQueueSize, 16, 10000000), kRestart},
      {"ReportingOrganization", text(&Config::reportingOrganization)},
      {"ReportingEmail", [](Config& c, std::string_view v, std::string& err) {
         auto at = v.find('@');
         if (at == 0 || at == std::string_view::npos || at + 1 == v.size() || v.find_first_of(" <>,;\"") != std::string_view::npos)
           return err = "expected an address like dmarc-reports@example.org, got '" + std::string(v) + "'", false;
         c.reportingEmail = std::string(v);
         return true;
       }},
      {"ReportFormat", choice(&Config::reportFormat7489, std::map<std::string, bool>{{"rfc9990", false},
                                                                                    {"rfc7489", true}})},
      {"ReportSMTPRelay", text(&Config::reportSmtpRelay)},  // checked by reportSettings()
      {"ReportCommand", [](Config& c, std::string_view v, std::string& err) {
         // Run without a shell: the first word is the program, which must be there now.
         auto words = split(std::string(v), " \t");
         if (words.empty() || words[0].front() != '/')
           return err = "expected an absolute program path and its arguments, like /usr/sbin/sendmail -t -oi", false;
         struct stat st{};
         if (stat(words[0].c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(words[0].c_str(), X_OK) != 0)
           return err = words[0] + " is not an executable file", false;
         c.reportCommand = std::string(v);
         return true;
       }},
  };
  return keys;
}

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

}  // namespace

bool validSocketSpec(std::string_view spec, std::string* why) {
  auto fail = [&](const char* m) { return (why ? *why = m : std::string()), false; };
  auto colon = spec.find(':');
  if (colon == std::string_view::npos) return fail("socket must be unix:/path, inet:PORT@ADDR or inet6:PORT@ADDR");
  std::string proto = toLower(spec.substr(0, colon));
  std::string_view rest = spec.substr(colon + 1);
  if (proto == "unix" || proto == "local") {
    if (rest.empty() || rest.front() != '/') return fail("unix socket path must be absolute");
    if (rest.size() > 100) return fail("unix socket path too long");
    return true;
  }
  if (proto != "inet" && proto != "inet6") return fail("socket must be unix:/path, inet:PORT@ADDR or inet6:PORT@ADDR");
  auto at = rest.find('@');
  std::string_view port = rest.substr(0, at);
  uint64_t n;
  std::string e;
  if (!parseUnsigned(port, 1, 65535, n, e)) return fail("socket port must be 1..65535");
  if (at == std::string_view::npos) return fail("socket needs an address (inet:PORT@ADDR); inet:PORT alone listens on every interface");
  std::string_view addr = rest.substr(at + 1);
  if (addr.empty()) return fail("socket address is empty");
  if (proto == "inet6") {
    auto ip = IpAddress::parse(addr);
    if (!ip || !ip->v6) return fail("inet6 socket needs an IPv6 address, e.g. inet6:8894@[::1]");
  }
  return true;
}

std::optional<ListenAddress> parseListenAddress(std::string_view spec, std::string* why) {
  auto fail = [&](const char* m) -> std::optional<ListenAddress> {
    if (why) *why = m;
    return std::nullopt;
  };
  std::string_view host, port;
  if (!spec.empty() && spec.front() == '[') {
    auto close = spec.find("]:");
    if (close == std::string_view::npos) return fail("expected ADDRESS:PORT or [IPv6]:PORT");
    host = spec.substr(1, close - 1);
    port = spec.substr(close + 2);
  } else {
    auto colon = spec.rfind(':');
    if (colon == std::string_view::npos || spec.find(':') != colon)
      return fail("expected ADDRESS:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9471");
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  ListenAddress out;
  auto ip = IpAddress::parse(host);
  if (!ip || host.empty()) return fail("expected an IP address before the port (no host names)");
  out.addr = *ip;
  uint64_t n;
  std::string e;
  if (!parseUnsigned(port, 0, 65535, n, e)) return fail("port must be 0..65535");
  out.port = static_cast<uint16_t>(n);
  return out;
}

LoadResult parseText(std::string_view text, const std::string& name) {
  LoadResult r;
  auto cfg = std::make_shared<Config>();
  cfg->path = name;
  std::map<std::string, int> seen;
  int lineNo = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++lineNo;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto ws = line.find_first_of(" \t");
    std::string key(line.substr(0, ws));
    std::string_view value = ws == std::string_view::npos ? std::string_view() : trim(line.substr(ws));
    auto where = name + ":" + std::to_string(lineNo) + ": ";
    const Key* k = nullptr;
    for (auto& cand : keyTable())
      if (iequals(cand.name, key)) k = &cand;
    if (!k) {
      r.errors.push_back(where + "unknown key '" + key + "'");
      continue;
    }
    if (auto s = seen.find(k->name); s != seen.end()) {
      r.errors.push_back(where + "duplicate key '" + k->name + "' (first set at line " + std::to_string(s->second) + ")");
      continue;
    }
    seen[k->name] = lineNo;
    cfg->lines[k->name] = lineNo;
    cfg->values[k->name] = std::string(value);
    if (value.empty()) {
      r.errors.push_back(where + "key '" + k->name + "' needs a value");
      continue;
    }
    std::string err;
    if (!k->set(*cfg, value, err)) r.errors.push_back(where + k->name + ": " + err);
  }
  if (cfg->authservId.empty()) cfg->authservId = hostName();
  if (auto l = cfg->metricsListen.empty() ? std::nullopt : parseListenAddress(cfg->metricsListen, nullptr);
      l && !l->addr.unmapped().isLoopback() && !cfg->metricsAllowNonLoopback)
    r.errors.push_back(cfg->where("MetricsListen") + "MetricsListen: " + l->addr.str() +
                       " is not a loopback address; the metrics tell who sends how much mail and how it "
                       "authenticates: set MetricsAllowNonLoopback yes to serve them beyond this host");
  if (!r.errors.empty()) return r;
  r.config = std::move(cfg);
  return r;
}

LoadResult loadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back(path + ":0: cannot read configuration file");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parseText(ss.str(), path);
}

std::vector<std::string> keyNames() {
  std::vector<std::string> out;
  for (auto& k : keyTable()) out.push_back(k.name);
  return out;
}

std::vector<KeyInfo> knownKeys() {
  std::vector<KeyInfo> out;
  for (auto& k : keyTable()) out.push_back({k.name, k.reload, k.removed});
  return out;
}

Reload reloadOf(std::string_view key) {
  for (auto& k : keyTable())
    if (iequals(k.name, key)) return k.reload;
  return Reload::Yes;
}

std::vector<std::string> restartOnlyChanges(const Config& before, const Config& after) {
  std::vector<std::string> out;
  for (auto& k : keyTable()) {
    if (k.reload != Reload::Restart) continue;
    auto a = before.values.find(k.name), b = after.values.find(k.name);
    bool hadA = a != before.values.end(), hadB = b != after.values.end();
    if (hadA != hadB || (hadA && a->second != b->second)) out.push_back(k.name);
  }
  return out;
}

std::string Config::where(std::string_view key) const {
  auto it = lines.find(key);
  return path + ":" + std::to_string(it == lines.end() ? 0 : it->second) + ": ";
}

}  // namespace am::config
