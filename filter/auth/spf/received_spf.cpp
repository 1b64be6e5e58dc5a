// filter/auth/spf/received_spf.cpp — the Received-SPF header value (RFC 7208 §9.1):
//   result SP "(" comment ")" SP key=value; ...
// Every untrusted part (sender, HELO, reasons) is sanitised to printable ASCII, capped, and
// written as a dot-atom or a quoted-string; comments escape "(", ")" and "\". Pure, thread-safe.
#include <string>

#include "filter/auth/spf/spf.h"

namespace am::spf {
namespace {

constexpr size_t kMaxValue = 256;

bool isAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool isDotAtom(std::string_view v) {
  if (v.empty() || v.front() == '.' || v.back() == '.') return false;
  char prev = 0;
  for (char c : v) {
    if (c == '.' && prev == '.') return false;
    if (c != '.' && !isAtext(c)) return false;
    prev = c;
  }
  return true;
}

// Printable ASCII only (others become '?'), at most kMaxValue characters.
std::string printable(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, kMaxValue)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

std::string value(std::string_view raw) {
  std::string v = printable(raw);
  if (isDotAtom(v)) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string commentText(std::string_view raw) {
  std::string out;
  for (char c : printable(raw)) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string comment(const SpfOutput& out, const std::string& ip, std::string_view receiver) {
  std::string who = out.sender.empty() ? "(none)" : out.sender;
  std::string c = std::string(receiver) + ": ";
  switch (out.result) {
    case SpfResult::Pass: return c + "domain of " + who + " designates " + ip + " as permitted sender";
    case SpfResult::Fail: return c + "domain of " + who + " does not designate " + ip + " as permitted sender";
    case SpfResult::SoftFail:
      return c + "domain of transitioning " + who + " does not designate " + ip + " as permitted sender";
    case SpfResult::Neutral: return c + ip + " is neither permitted nor denied by domain of " + who;
    case SpfResult::None: return c + "domain of " + who + " does not publish an SPF record";
    case SpfResult::TempError: return c + "temporary error in processing during lookup of " + who;
    case SpfResult::PermError: return c + "permanent error in processing domain of " + who;
  }
  return c;
}

// The matched mechanism from SpfOutput.reason, or "default" when none matched.
std::string mechanism(std::string_view reason) {
  if (reason.size() > kMatchedPrefix.size() + kMatchedSuffix.size() && reason.starts_with(kMatchedPrefix) &&
      reason.ends_with(kMatchedSuffix))
    return std::string(reason.substr(kMatchedPrefix.size(),
                                     reason.size() - kMatchedPrefix.size() - kMatchedSuffix.size()));
  return "default";
}

}  // namespace

std::string receivedSpf(const SpfOutput& out, const IpAddress& client, std::string_view helo,
                        std::string_view receiver) {
  std::string ip = client.unmapped().str();
  std::string h = toString(out.result);
  h += " (" + commentText(comment(out, ip, receiver)) + ")";
  h += " client-ip=" + value(ip) + ";";
  if (!out.sender.empty()) h += " envelope-from=" + value(out.sender) + ";";
  if (!helo.empty()) h += " helo=" + value(helo) + ";";
  h += " receiver=" + value(receiver) + ";";
  h += std::string(" identity=") + (out.identity == SpfIdentity::Helo ? "helo" : "mailfrom") + ";";
  if (out.result == SpfResult::PermError || out.result == SpfResult::TempError) {
    if (!out.reason.empty()) h += " problem=" + value(out.reason) + ";";
  } else if (out.result != SpfResult::None) {
    h += " mechanism=" + value(mechanism(out.reason)) + ";";
  }
  return h;
}

}  // namespace am::spf
