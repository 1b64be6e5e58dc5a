// reports/mail.h — sending a report: the message (RFC 9990 §5.2.1.2 / RFC 7489 §7.2.1.1: the
// subject "Report Domain: D Submitter: S Report-ID: <ID>", a multipart/mixed body with a short
// text part and the gzip report as a base64 application/gzip attachment under its file name) and
// a small SMTP client that hands it to one relay (EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT),
// every step bounded by a timeout. The client owns its socket (UniqueFd-like RAII). Or, with
// ReportCommand, a local command such as sendmail -t (reports/mail_command.cpp).
// Pure functions and blocking I/O on the caller's thread; thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "reports/aggregate.h"

namespace am::reports {

// `unixSeconds` as an RFC 5322 date in UTC ("Sat, 05 Dec 2026 03:00:00 +0000").
std::string rfc5322Date(int64_t unixSeconds);

// The whole message, CRLF line endings. `now` gives the Date header and the Message-ID.
std::string reportMessage(const Report& r, const Reporter& who, const std::string& to, const std::string& fileName,
                          const std::string& gz, int64_t now);

struct Relay {
  std::string host = "127.0.0.1";  // an IP address
  uint16_t port = 25;
};
// "IP:PORT", "IP" (port 25) or "[IPv6]:PORT"; false with *why otherwise.
bool parseRelay(const std::string& text, Relay& out, std::string* why);

struct SmtpResult {
  bool accepted = false;   // the relay answered 2xx to the end of DATA
  bool permanent = false;  // a 5xx: sending again will not help
  std::string detail;      // the last reply, or the local error
};
SmtpResult smtpSend(const Relay& relay, const std::string& heloName, const std::string& from, const std::string& to,
                    const std::string& message, std::chrono::milliseconds timeout);

// How a report (aggregate or failure) leaves this host: SMTP to `relay` (ReportSMTPRelay), or, when
// `command` is set (ReportCommand, e.g. "/usr/sbin/sendmail -t -oi"), that command run without a
// shell, the message on its stdin, bounded by `timeout`. One sender for every kind of report.
struct Transport {
  Relay relay;
  std::string command;   // "" = SMTP to relay
  std::string heloName;  // EHLO name (AuthservID)
  std::string from;      // envelope sender
  std::chrono::milliseconds timeout{60000};
};
// `to` is the envelope recipient for SMTP; the command reads the recipients from the message
// (the To: header of reportMessage, with -t), which it gets with LF line endings.
SmtpResult sendMessage(const Transport& t, const std::string& to, const std::string& message);

// The command transport (reports/mail_command.cpp): `command` split on whitespace (splitCommand; no
// shell, no quoting) and started with the message on its stdin, its output (bounded) in the
// detail, killed and reaped after `timeout`. Exit 0 having read the whole message = accepted;
// EX_TEMPFAIL (75), a signal, the timeout, a command that stopped reading or could not be started
// = temporary; any other exit status = permanent.
SmtpResult commandSend(const std::string& command, const std::string& message, std::chrono::milliseconds timeout);
std::vector<std::string> splitCommand(const std::string& command);

}  // namespace am::reports
