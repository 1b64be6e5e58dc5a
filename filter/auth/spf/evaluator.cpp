// filter/auth/spf/evaluator.cpp — the public entry points of spf.h: identity handling for
// MAIL FROM (§2.4, null reverse-path -> postmaster@<HELO>) and HELO (§2.3), initial domain
// validation (§4.3), then one Check per call on the stack.
#include <string>

#include "common/strings.h"
#include "filter/auth/spf/check.h"
#include "filter/auth/spf/macro.h"
#include "filter/auth/spf/spf.h"

namespace am::spf {
namespace {

// "<@a,@b:user@dom>" -> "user@dom"; "<>" -> ""; surrounding blanks removed.
std::string_view bareAddress(std::string_view m) {
  m = trim(m);
  if (m.size() >= 2 && m.front() == '<' && m.back() == '>') m = trim(m.substr(1, m.size() - 2));
  if (!m.empty() && m.front() == '@') {
    size_t colon = m.find(':');
    if (colon != std::string_view::npos) m = m.substr(colon + 1);
  }
  return m;
}

SpfOutput none(SpfIdentity id, std::string domain, std::string sender, std::string reason) {
  SpfOutput out;
  out.result = SpfResult::None;
  out.identity = id;
  out.domain = std::move(domain);
  out.sender = std::move(sender);
  out.reason = std::move(reason);
  out.checked = true;
  return out;
}

}  // namespace

Evaluator::Evaluator(Resolver& dns, Options opts, const Clock& clock)
    : dns_(&dns), opts_(std::move(opts)), clock_(&clock) {}

SpfOutput Evaluator::checkHost(const IpAddress& client, std::string_view domain, std::string_view sender,
                               std::string_view helo) const {
  std::string d = normalizeDomain(domain);
  Check check(*dns_, opts_, *clock_, client, sender, helo);
  if (!validIdentityDomain(d)) return none(SpfIdentity::MailFrom, d, check.sender(), "malformed domain");
  Outcome o = check.run(d, true);
  SpfOutput out;
  out.result = o.result;
  out.identity = SpfIdentity::MailFrom;
  out.domain = std::move(d);
  out.sender = check.sender();
  out.explanation = std::move(o.explanation);
  out.reason = std::move(o.reason);
  out.checked = true;
  return out;
}

SpfOutput Evaluator::checkMailFrom(const IpAddress& client, std::string_view mailFrom,
                                   std::string_view helo) const {
  std::string_view addr = bareAddress(mailFrom);
  std::string_view h = trim(helo);
  if (addr.empty()) {  // null reverse-path: the MAIL FROM identity is postmaster@<HELO> (§2.4)
    if (h.empty()) return none(SpfIdentity::MailFrom, "", "", "null sender and no HELO name");
    std::string sender = "postmaster@" + std::string(h);
    return checkHost(client, h, sender, h);
  }
  size_t at = addr.rfind('@');
  if (at == std::string_view::npos || at + 1 == addr.size())
    return none(SpfIdentity::MailFrom, "", std::string(addr.substr(0, 256)), "MAIL FROM has no domain");
  return checkHost(client, addr.substr(at + 1), addr, h);
}

SpfOutput Evaluator::checkHelo(const IpAddress& client, std::string_view helo) const {
  std::string_view h = trim(helo);
  if (h.empty()) return none(SpfIdentity::Helo, "", "", "no HELO name");
  SpfOutput out = checkHost(client, h, "postmaster@" + std::string(h), h);
  out.identity = SpfIdentity::Helo;
  return out;
}

}  // namespace am::spf
