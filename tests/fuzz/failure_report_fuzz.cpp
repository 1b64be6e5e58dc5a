// tests/fuzz/failure_report_fuzz.cpp — libFuzzer target: DMARC failure reports (reports/failure.h)
// built from hostile message data: redactAddresses, and failureMessage over arbitrary header
// fields, addresses and body. Input: byte 0 = flags (bit 0: with the body), bytes 1-2 = maxBytes
// / 8 (big-endian), then NUL-separated pieces: the report domain, the From domain, MAIL FROM, one
// recipient, the body, then header field names and values in turn.
// Invariants: redaction keeps every '@' and redacting twice changes nothing more; a report is ""
// or at most maxBytes, CRLF lines of at most 998 octets without NUL, and its boundary opens
// exactly three parts and closes once. Stateless.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "reports/failure.h"

using namespace am::reports;

namespace {

size_t count(std::string_view s, char c) {
  size_t n = 0;
  for (char x : s) n += x == c;
  return n;
}

void checkLines(const std::string& m) {
  size_t lineLen = 0;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\0' || m[i] == '\n') std::abort();
    if (m[i] == '\r') {
      if (i + 1 >= m.size() || m[i + 1] != '\n') std::abort();
      ++i;
      lineLen = 0;
    } else if (++lineLen > 998) {
      std::abort();
    }
  }
}

void checkParts(const std::string& m) {
  // Header lines from the input cannot start with this (values are folded with leading spaces).
  const std::string key = "\r\nContent-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"";
  size_t b = m.find(key);
  if (b == std::string::npos) std::abort();
  b += key.size();
  size_t e = m.find('"', b);
  if (e == std::string::npos) std::abort();
  const std::string open = "\r\n--" + m.substr(b, e - b);
  size_t opens = 0, closes = 0;
  for (size_t p = m.find(open); p != std::string::npos; p = m.find(open, p + 1)) {
    if (m.compare(p + open.size(), 4, "--\r\n") == 0)
      ++closes;
    else if (m.compare(p + open.size(), 2, "\r\n") == 0)
      ++opens;
    else
      std::abort();  // the boundary inside a line: it must occur nowhere else
  }
  if (opens != 3 || closes != 1) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const bool withBody = data[0] & 1;
  const size_t maxBytes = ((size_t(data[1]) << 8) | data[2]) * 8;
  std::string_view in(reinterpret_cast<const char*>(data) + 3, size - 3);
  std::vector<std::string> pieces;
  for (size_t start = 0;;) {
    size_t nul = in.find('\0', start);
    pieces.emplace_back(in.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
    if (nul == std::string_view::npos || pieces.size() == 64) break;
    start = nul + 1;
  }
  pieces.resize(std::max<size_t>(pieces.size(), 5));

  for (const std::string& p : pieces) {
    std::string once = redactAddresses(p, pieces[0]);
    if (count(once, '@') != count(p, '@')) std::abort();
    if (redactAddresses(once, pieces[0]) != once) std::abort();
  }

  FailureInput fi;
  fi.record.reportDomain = pieces[0];
  fi.record.headerFrom = pieces[1];
  fi.record.sourceIp = "192.0.2.1";
  fi.record.dmarcResult = "fail";
  fi.record.dkim = {{pieces[1], pieces[0], "fail"}};
  fi.queueId = "Q";
  fi.mailFrom = pieces[2];
  fi.rcpts = {pieces[3], pieces[2]};
  fi.authResults = pieces[3] + "; spf=fail smtp.mailfrom=" + pieces[2];
  fi.body = pieces[4];
  fi.spfRecord = pieces[3];
  fi.record.spfDomain = pieces[2];
  for (size_t i = 5; i + 1 < pieces.size(); i += 2) fi.headers.emplace_back(pieces[i], pieces[i + 1]);
  FailureSettings s;
  s.sentBy = "reports@" + pieces[0];
  s.reportingMta = "mx.example";
  s.userAgent = "authmilter/fuzz";
  s.includeBody = withBody;
  s.maxBytes = maxBytes;
  std::string m = failureMessage(fi, s, "ruf@" + pieces[1], 1700000000);
  if (m.empty()) return 0;
  if (m.size() > maxBytes) std::abort();
  checkLines(m);
  checkParts(m);
  return 0;
}
