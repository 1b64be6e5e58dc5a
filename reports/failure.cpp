// reports/failure.cpp — see failure.h. The report is built in pieces: the fixed part (top header,
// the human-readable text, the message/feedback-report fields) and the third part (the original
// header fields, and the body when asked for) that fills what maxBytes leaves; the body is cut
// first, then header fields are left out (the ones that identify the message last), and the text
// part says what was cut. The MIME boundary is chosen so that it occurs in no part.
#include "reports/failure.h"

#include <algorithm>
#include <cstdint>

#include "common/strings.h"
#include "reports/failure_text.h"
#include "reports/mail.h"

namespace am::reports {
namespace {

constexpr size_t kMaxRcptsListed = 20;  // Original-Rcpt-To fields at most

bool isAtext(unsigned char c) {
  if (c >= 0x80) return true;  // RFC 6531 local parts
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-.").find(static_cast<char>(c)) != std::string_view::npos;
}
bool isDomainChar(unsigned char c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool inDomain(std::string_view domain, std::string_view keep) {
  std::string d = normalizeDomain(domain), k = normalizeDomain(keep);
  if (k.empty()) return false;
  return d == k || (d.size() > k.size() && d.compare(d.size() - k.size(), k.size(), k) == 0 &&
                    d[d.size() - k.size() - 1] == '.');
}

// The policy the domain asked for this message: p for the domain itself, sp (or p) for a
// subdomain, np when that is what was applied to a subdomain (a non-existent one).
std::string requestedPolicy(const Record& r) {
  const PublishedPolicy& pub = r.published;
  if (r.headerFrom.empty() || iequals(normalizeDomain(r.headerFrom), normalizeDomain(r.reportDomain))) return pub.p;
  std::string sp = pub.sp.empty() ? pub.p : pub.sp;
  if (!pub.np.empty() && pub.np != sp && r.overrideReason.empty() && r.dmarcResult == "fail" &&
      r.disposition == pub.np && pub.testing != "y")
    return pub.np;
  return sp;
}

bool dkimFailed(const Record& r) {
  for (const DkimAuth& d : r.dkim)
    if (d.result != "pass" && d.result != "none" && !d.result.empty()) return true;
  return false;
}
bool spfFailed(const Record& r) {
  static const char* kFail[] = {"fail", "softfail", "permerror", "temperror"};
  return std::any_of(std::begin(kFail), std::end(kFail), [&](const char* f) { return r.spfResult == f; });
}

uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}
std::string hex(uint64_t v) {
  static const char* d = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = d[v & 15];
  return s;
}

std::string field(std::string_view name, std::string_view value, bool asciiOnly = true) {
  return text::foldField(name, text::cleanValue(value, asciiOnly));
}

// Header fields that hold message identifiers, not mailboxes: never redacted.
bool isIdField(std::string_view name) {
  for (const char* n : {"message-id", "in-reply-to", "references", "resent-message-id", "content-id"})
    if (iequals(name, n)) return true;
  return false;
}
// The fields that identify the message: kept longest when header fields must be left out.
bool isKeyField(std::string_view name) {
  for (const char* n : {"from", "date", "subject", "message-id", "to", "sender", "reply-to"})
    if (iequals(name, n)) return true;
  return false;
}

// The signature the DKIM-* fields describe: RFC 9991 asks for them for a DKIM failure of an aligned
// identifier, so a failed signature of the From domain (or its parent or child) first.
const DkimAuth* reportedSignature(const Record& r) {
  const auto aligned = [&](const DkimAuth& d) {
    return inDomain(d.domain, r.headerFrom) || inDomain(r.headerFrom, d.domain);
  };
  const DkimAuth* best = nullptr;
  int bestRank = 0;
  for (const DkimAuth& d : r.dkim) {
    int rank = (aligned(d) ? 2 : 0) + (d.result != "pass" ? 1 : 0) + 1;
    if (rank > bestRank) best = &d, bestRank = rank;
  }
  return best;
}

struct Limits {
  size_t rcpts = kMaxRcptsListed;
  size_t authResults = 4096;
};

std::string feedbackPart(const FailureInput& in, const FailureSettings& s, int64_t now, const Limits& lim) {
  const Record& r = in.record;
  const std::string& keep = r.reportDomain;
  std::string f;
  f += "Feedback-Type: auth-failure\r\n";
  f += field("User-Agent", s.userAgent);
  f += "Version: 1\r\n";
  f += field("Original-Mail-From", "<" + redactAddresses(in.mailFrom, keep) + ">");
  for (size_t i = 0; i < in.rcpts.size() && i < lim.rcpts; ++i)
    f += field("Original-Rcpt-To", "<" + redactAddresses(in.rcpts[i], keep) + ">");
  f += field("Arrival-Date", rfc5322Date(r.time ? r.time : now));
  if (!s.reportingMta.empty()) f += field("Reporting-MTA", "dns; " + s.reportingMta);
  if (!r.sourceIp.empty()) f += field("Source-IP", r.sourceIp);
  f += "Auth-Failure: dmarc\r\n";
  if (!in.authResults.empty())
    f += field("Authentication-Results", redactAddresses(in.authResults, keep).substr(0, lim.authResults));
  static const char* kResults[] = {"delivered", "spam", "policy", "reject", "other"};
  const std::string delivery = in.deliveryResult == "quarantine" ? "spam" : in.deliveryResult;  // held = spam
  if (std::any_of(std::begin(kResults), std::end(kResults), [&](const char* x) { return delivery == x; }))
    f += "Delivery-Result: " + delivery + "\r\n";
  // RFC 9991 §4: the mechanisms that failed to authenticate an aligned identity, or "none".
  std::string failed;
  if (r.dkimAligned != "pass") failed = "dkim";
  if (r.spfAligned != "pass") failed += failed.empty() ? "spf" : ", spf";
  f += "Identity-Alignment: " + (failed.empty() ? std::string("none") : failed) + "\r\n";
  if (!r.headerFrom.empty()) f += field("Reported-Domain", r.headerFrom);
  if (const DkimAuth* d = reportedSignature(r)) {
    f += field("DKIM-Domain", d->domain);
    f += field("DKIM-Identity", "@" + d->domain);  // the i= default (RFC 6376 §3.5)
    f += field("DKIM-Selector", d->selector);
  }
  if (!in.spfRecord.empty() && !r.spfDomain.empty())
    f += field("SPF-DNS", "txt : " + r.spfDomain + " : " + in.spfRecord);  // RFC 6591 §3.2
  return f;
}

std::string humanPart(const FailureInput& in, int64_t now, const std::string& notes) {
  const Record& r = in.record;
  const auto c = [](std::string_view v) { return text::cleanValue(v, true); };
  std::string t = "This is an authentication failure report (RFC 6591) for a message received";
  if (!r.sourceIp.empty()) t += " from " + c(r.sourceIp);
  t += " on " + rfc5322Date(r.time ? r.time : now) + ".\r\n";
  t += "The message claimed to come from the domain " + c(r.headerFrom) + " (DMARC record at " + c(r.reportDomain) +
       ").\r\n";
  t += "DMARC result: " + c(r.dmarcResult) + "; DKIM aligned: " + c(r.dkimAligned) + "; SPF aligned: " +
       c(r.spfAligned) + "; disposition: " + c(r.disposition) +
       (r.overrideReason.empty() ? "" : " (" + c(r.overrideReason) + ")") + ".\r\n";
  t += "Addresses outside " + c(r.reportDomain) + " have their local parts redacted (RFC 6590).\r\n";
  return text::wrapLines(t + notes);
}

// The original header fields, redacted and made safe, within `budget` bytes: fields are left out,
// others before the key fields, last first. Returns the block; *dropped counts what was left out.
std::string headerBlock(const FailureInput& in, size_t budget, size_t* dropped) {
  std::vector<std::string> lines;
  lines.reserve(in.headers.size());
  for (const auto& h : in.headers) {
    std::string value = isIdField(h.first) ? h.second : redactAddresses(h.second, in.record.reportDomain);
    lines.push_back(text::foldField(text::cleanName(h.first), text::cleanValue(value, false)));
  }
  std::vector<bool> keep(lines.size(), true);
  size_t total = 0;
  for (const auto& l : lines) total += l.size();
  *dropped = 0;
  for (int pass = 0; pass < 2 && total > budget; ++pass)
    for (size_t i = lines.size(); i-- > 0 && total > budget;) {
      if (!keep[i] || (pass == 0 && isKeyField(in.headers[i].first))) continue;
      keep[i] = false;
      total -= lines[i].size();
      ++*dropped;
    }
  std::string out;
  out.reserve(total);
  for (size_t i = 0; i < lines.size(); ++i)
    if (keep[i]) out += lines[i];
  return out;
}

// The sentences of the text part that say what the report leaves out.
std::string notes(bool withBody, bool bodyCut, size_t bodyBytes, size_t moreRcpts, size_t dropped) {
  std::string n;
  if (!withBody)
    n += "Only the header fields of the message are included, not its body.\r\n";
  else if (bodyCut)
    n += "The body was cut: only its first " + std::to_string(bodyBytes) + " bytes are included.\r\n";
  if (moreRcpts) n += std::to_string(moreRcpts) + " more recipients are not listed.\r\n";
  if (dropped) n += std::to_string(dropped) + " header fields were left out to keep this report small.\r\n";
  return n;
}

const std::string kBoundaryForSize(25, 'b');  // as long as the ones chooseBoundary makes

// The whole message: RFC 5965 §2 multipart/report with its three parts.
std::string assemble(const std::string& top, const std::string& human, const std::string& feedback,
                     const std::string& third, bool withBody, bool eightBit, const std::string& boundary) {
  std::string m = top;
  m += "Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"" + boundary + "\"\r\n";
  if (eightBit) m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\nThis is a MIME-formatted authentication failure report.\r\n\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += human;
  m += "\r\n--" + boundary + "\r\nContent-Type: message/feedback-report\r\n\r\n";
  m += feedback;
  m += "\r\n--" + boundary + "\r\nContent-Type: " + std::string(withBody ? "message/rfc822" : "text/rfc822-headers") +
       "\r\n";
  if (eightBit) m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n" + third;
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

std::string chooseBoundary(uint64_t seed, const std::vector<const std::string*>& parts) {
  for (uint64_t salt = 0;; ++salt) {
    std::string b = "=_am_ruf_" + hex(fnv1a(std::to_string(salt), seed));
    bool clash = false;
    for (const std::string* p : parts) clash = clash || p->find(b) != std::string::npos;
    if (!clash) return b;
  }
}

}  // namespace

bool failureReportWanted(const Record& r, bool onNone) {
  if (r.published.ruf.empty() || r.published.psd == "y") return false;
  std::string policy = requestedPolicy(r);
  if (!onNone && (policy.empty() || iequals(policy, "none"))) return false;
  const bool dkimAlignedPass = r.dkimAligned == "pass", spfAlignedPass = r.spfAligned == "pass";
  bool any = false, want = false;
  for (const std::string& opt : split(r.published.fo, ":")) {
    const std::string o = toLower(trim(opt));
    bool hit;
    if (o == "0")
      hit = !dkimAlignedPass && !spfAlignedPass;
    else if (o == "1")
      hit = !dkimAlignedPass || !spfAlignedPass;
    else if (o == "d")
      hit = dkimFailed(r);
    else if (o == "s")
      hit = spfFailed(r);
    else
      continue;  // unknown options are ignored
    any = true;
    want = want || hit;
  }
  if (!any) want = !dkimAlignedPass && !spfAlignedPass;  // fo= absent or only unknown options: 0
  return want;
}

std::string failureMessage(const FailureInput& in, const FailureSettings& s, const std::string& to, int64_t now) {
  const Record& r = in.record;
  const uint64_t seed =
      fnv1a(in.queueId + "|" + to + "|" + r.sourceIp + "|" + r.headerFrom + "|" + std::to_string(now));
  std::string top;
  top += field("From", s.sentBy);
  top += field("To", to);
  top += field("Subject",
               "DMARC failure report for " + r.headerFrom + (r.sourceIp.empty() ? "" : " from " + r.sourceIp));
  top += "Date: " + rfc5322Date(now) + "\r\n";
  top += field("Message-ID", "<ruf." + std::to_string(now) + "." + hex(seed) + "@" +
                                 (s.reportingMta.empty() ? std::string("localhost") : s.reportingMta) + ">");
  top += "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n";

  // What the report takes without the original message (with the longest notes it can get, and
  // room for the line breaks of their wrapping); shrunk when that alone leaves no room.
  Limits lim;
  std::string feedback;
  size_t overhead = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1) lim = {1, 256};
    feedback = feedbackPart(in, s, now, lim);
    const std::string worst = notes(s.includeBody, true, SIZE_MAX, SIZE_MAX, SIZE_MAX);
    overhead =
        assemble(top, humanPart(in, now, worst), feedback, "", s.includeBody, true, kBoundaryForSize).size() + 16;
    if (overhead <= s.maxBytes) break;
  }
  if (overhead > s.maxBytes) return "";
  const size_t room = s.maxBytes - overhead;

  size_t dropped = 0;
  std::string third = headerBlock(in, s.includeBody && room >= 2 ? room - 2 : room, &dropped);
  bool bodyCut = false;
  size_t bodyBytes = 0;
  if (s.includeBody) {
    size_t left = room > third.size() + 2 ? room - third.size() - 2 : 0;
    std::string lines = text::bodyLines(redactAddresses(in.body, r.reportDomain), left, &bodyCut);
    bodyCut = bodyCut || in.bodyTruncated;
    bodyBytes = lines.size();
    third += "\r\n" + lines;
  }
  const size_t moreRcpts = in.rcpts.size() > lim.rcpts ? in.rcpts.size() - lim.rcpts : 0;
  const std::string human = humanPart(in, now, notes(s.includeBody, bodyCut, bodyBytes, moreRcpts, dropped));
  const std::string boundary = chooseBoundary(seed, {&top, &human, &feedback, &third});
  return assemble(top, human, feedback, third, s.includeBody, text::has8bit(third), boundary);
}

std::string redactAddresses(std::string_view text, std::string_view keepDomain) {
  std::string out;
  out.reserve(text.size());
  size_t emitted = 0;  // text[0, emitted) is in out
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (at < emitted) continue;
    size_t ls = at;
    if (at >= emitted + 2 && text[at - 1] == '"') {  // a quoted local part: back to its opening quote
      size_t q = text.rfind('"', at - 2);
      if (q != std::string_view::npos && q >= emitted && at - q <= 66 &&
          text.substr(q, at - q).find_first_of("\r\n@<>") == std::string_view::npos)
        ls = q;
    }
    // Not across '=': "smtp.mailfrom=bob@x" (RFC 8601) and "i=@x" (DKIM) keep their tags.
    while (ls > emitted && text[ls - 1] != '=' && isAtext(static_cast<unsigned char>(text[ls - 1]))) --ls;
    size_t de = at + 1;
    while (de < text.size() && isDomainChar(static_cast<unsigned char>(text[de]))) ++de;
    std::string_view domain = text.substr(at + 1, de - at - 1);
    while (!domain.empty() && (domain.back() == '.' || domain.back() == '-')) domain.remove_suffix(1);
    // Not an address: no local part, no domain, or glued to what precedes it (another address's
    // domain, or an '@'), so that redacting the text again changes nothing.
    if (ls == at || domain.empty() || (emitted > 0 && ls == emitted) || (ls > 0 && text[ls - 1] == '@')) continue;
    de = at + 1 + domain.size();
    out.append(text.substr(emitted, ls - emitted));
    if (inDomain(domain, keepDomain))
      out.append(text.substr(ls, at - ls));
    else
      out += "redacted";
    out.append(text.substr(at, de - at));
    emitted = de;
    at = de - 1;
  }
  out.append(text.substr(emitted));
  return out;
}

}  // namespace am::reports
