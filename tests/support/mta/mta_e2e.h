// tests/support/mta/mta_e2e.h — helpers shared by the end-to-end tests that put a real MTA
// (Postfix, Sendmail) in front of the real authmilter binary: a free loopback port, one SMTP
// transaction with swaks, the CRLF test messages, the header block of a delivered message,
// polling (bounded) for a delivered message, and the authmilter side of the stack: a DKIM key from
// `authmilter keygen`, the zone records and authmilter.conf both MTA tests use, and starting the
// binary and waiting (bounded) for its socket.
//
// Every command is bounded (swaks --timeout); processes are am::milter_process::Process, which
// signals only the PID it started. No global state; thread-safe where the files touched differ.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/milterclient/process.h"

namespace am::mta_test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close). Whoever
// binds it must retry with another if it was taken in between.
std::optional<uint16_t> freeLoopbackPort();

// One SMTP transaction with swaks to 127.0.0.1:`port` (HELO client.e2e.test, --timeout 60 per
// step); returns its transcript, where "<-  " marks a server reply and "<** " a failure reply.
// `extra`: more swaks options (e.g. --tls).
std::string swaks(uint16_t port, const std::string& mailFrom, const std::string& rcpt, const std::string& dataFile,
                  const std::string& extra = "");

// Writes a CRLF message to `path` and returns `path`: `extraHeaders` (CRLF-terminated) first, then
// From, To, Subject "<mta> e2e <tag>", a fixed Date, Message-ID <tag@e2e.test>, and a short body.
std::string writeTestMessage(const std::string& path, const std::string& mta, const std::string& tag,
                             const std::string& from, const std::string& to, const std::string& extraHeaders = "");

// The header block of a raw message, unfolded: (name, value) in order.
std::vector<std::pair<std::string, std::string>> headerFields(const std::string& raw);
// The values of every Authentication-Results field of a raw message, in order.
std::vector<std::string> authResults(const std::string& raw);

// The contents of the files in `dir` whose names `take` accepts (none when `dir` is missing).
std::vector<std::string> readFilesIn(const std::string& dir, const std::function<bool(const std::string&)>& take);
// Polls `delivered` every 100 ms for a message containing `needle`; nullopt after `timeout`.
std::optional<std::string> waitForMessage(const std::function<std::vector<std::string>()>& delivered,
                                          const std::string& needle, std::chrono::milliseconds timeout);

// `bin keygen -d domain -s selector -a rsa -D dir`: the key's DNS record; "" and *err (with
// keygen's stderr) on failure.
std::string keygen(const std::string& bin, const std::string& dir, const std::string& domain,
                   const std::string& selector, std::string* err);
// Signs the message file `in` into `out` with tests/postfix/dkim_sign.py (`script`, python3-dkim)
// as d=`domain` s=`selector` with `keyFile`; false with the script's output in *log.
bool dkimSign(const std::string& script, const std::string& keyFile, const std::string& selector,
              const std::string& domain, const std::string& in, const std::string& out, std::string* log);
// The e2e.test records both MTA tests use: good (SPF allows 127.0.0.1, p=reject, strict
// alignment), reject (SPF -all, p=reject), quar (SPF -all, p=quarantine).
std::string baseZone();
// authmilter.conf lines both MTA tests use: `socketSpec`, `authserv`, the test nsd on
// 127.0.0.1:`dnsPort`, the policy file; InternalHosts names no loopback address (the MTA passes
// 127.0.0.1, which must count as incoming mail).
std::string authmilterConf(const std::string& socketSpec, const std::string& authserv, uint16_t dnsPort,
                           const std::string& policyPath);
// Starts `bin -f -c configPath` and waits (20 s at most) until `socketSpec` accepts connections;
// nullptr and *err ("authmilter: ..." or "authmilter socket: ...") on failure.
std::unique_ptr<am::milter_process::Process> startAuthmilter(const std::string& bin, const std::string& configPath,
                                                             const std::string& socketSpec, std::string* err);

}  // namespace am::mta_test
