// policy/dmarc_dns.cpp — see dmarc_dns.h. RFC 9989 §4.10 (DNS tree walk), RFC 7489 §6.6.3.
#include "policy/dmarc_dns.h"

#include "common/strings.h"

namespace am::policy::detail {

size_t labelCount(std::string_view domain) {
  if (domain.empty()) return 0;
  size_t n = 1;
  for (char c : domain)
    if (c == '.') ++n;
  return n;
}

std::string lastLabels(std::string_view domain, size_t n) {
  size_t have = labelCount(domain);
  if (n >= have) return std::string(domain);
  size_t skip = have - n;  // labels to drop from the left
  size_t pos = 0;
  for (size_t i = 0; i < skip; ++i) pos = domain.find('.', pos) + 1;
  return std::string(domain.substr(pos));
}

bool isSameOrSubdomain(std::string_view d, std::string_view parent) {
  if (parent.empty()) return false;
  if (d == parent) return true;
  return d.size() > parent.size() && d.substr(d.size() - parent.size()) == parent &&
         d[d.size() - parent.size() - 1] == '.';
}

std::vector<std::string> walkTargets(std::string_view domain) {
  std::vector<std::string> out;
  size_t n = labelCount(domain);
  if (n == 0) return out;
  out.emplace_back(domain);
  size_t next = n >= 8 ? 7 : n - 1;
  for (size_t k = next; k >= 1; --k) out.push_back(lastLabels(domain, k));
  return out;
}

const DmarcLevel& DmarcDns::level(const std::string& domain) {
  auto it = cache_.find(domain);
  if (it != cache_.end()) return it->second;
  ++queries_;
  am::TxtAnswer a = dns_.txt("_dmarc." + domain);
  DmarcLevel lv;
  lv.status = a.status;
  if (a.status == am::DnsStatus::Ok) {
    for (auto& txt : a.records)
      if (auto rec = parseRecord(txt)) lv.records.push_back(std::move(*rec));
  }
  return cache_.emplace(domain, std::move(lv)).first->second;
}

static void noteFailure(Found& f, const std::string& domain, am::DnsStatus st) {
  if (st == am::DnsStatus::TempFail) f.tempFail = true;
  if (st == am::DnsStatus::PermFail) f.permFail = true;
  if (!f.note.empty()) f.note += "; ";
  f.note += std::string("DNS ") + am::toString(st) + " at _dmarc." + domain;
}

Found DmarcDns::walkPolicy(const std::string& fromDomain) {
  Found f;
  for (auto& target : walkTargets(fromDomain)) {
    const DmarcLevel& lv = level(target);
    if (lv.status == am::DnsStatus::TempFail || lv.status == am::DnsStatus::PermFail) {
      noteFailure(f, target, lv.status);
      if (lv.status == am::DnsStatus::TempFail) return f;  // cannot know what lies here
      continue;
    }
    if (lv.records.size() > 1) {
      if (!f.note.empty()) f.note += "; ";
      f.note += "multiple DMARC records at _dmarc." + target + " discarded";
      continue;
    }
    if (const DmarcRecord* r = lv.single()) {
      f.domain = target;
      f.record = *r;
      return f;
    }
  }
  return f;
}

OrgDomain DmarcDns::walkOrg(const std::string& domain) {
  if (auto it = orgCache_.find(domain); it != orgCache_.end()) return it->second;
  OrgDomain out{domain, false};
  std::string fewest;  // the record found with the fewest labels so far
  for (auto& target : walkTargets(domain)) {
    const DmarcLevel& lv = level(target);
    if (lv.status == am::DnsStatus::TempFail) {
      out.tempFail = true;
      break;
    }
    const DmarcRecord* r = lv.single();
    if (!r) continue;
    if (r->psd == PsdFlag::No) {
      fewest.clear();
      out.domain = target;
      break;
    }
    if (r->psd == PsdFlag::Yes && target != domain) {
      fewest.clear();
      out.domain = lastLabels(domain, labelCount(target) + 1);
      break;
    }
    fewest = target;
  }
  if (!fewest.empty()) out.domain = fewest;
  orgCache_[domain] = out;
  return out;
}

Found DmarcDns::lookup7489(const std::string& fromDomain, const std::string& orgDomain) {
  Found f;
  std::vector<std::string> names{fromDomain};
  if (!orgDomain.empty() && orgDomain != fromDomain) names.push_back(orgDomain);
  for (auto& name : names) {
    const DmarcLevel& lv = level(name);
    if (lv.status == am::DnsStatus::TempFail) {
      noteFailure(f, name, lv.status);
      return f;
    }
    if (lv.status == am::DnsStatus::PermFail) {
      // A name that cannot be asked (too long, bad characters) or a server that refuses it
      // tells nothing about the organizational domain: go on to it (§6.6.3). Ending here let
      // a From domain of 250 octets escape its organizational domain's p=reject.
      noteFailure(f, name, lv.status);
      continue;
    }
    if (lv.records.size() > 1) {
      f.permFail = true;
      f.note = "multiple DMARC records at _dmarc." + name;
      return f;
    }
    if (const DmarcRecord* r = lv.single()) {
      f.domain = name;
      f.record = *r;
      return f;
    }
  }
  return f;
}

bool DmarcDns::nonExistent(const std::string& domain, bool& tempFail) {
  tempFail = false;
  auto gone = [&](am::DnsStatus s) {
    if (s == am::DnsStatus::TempFail || s == am::DnsStatus::PermFail) tempFail = true;
    return s == am::DnsStatus::NxDomain || s == am::DnsStatus::NoData;
  };
  ++queries_;
  auto a = dns_.addrs(domain, am::Family::V4);
  if (a.status == am::DnsStatus::NxDomain) return true;  // RFC 8020: nothing below exists
  if (!gone(a.status)) return false;
  ++queries_;
  if (!gone(dns_.addrs(domain, am::Family::V6).status)) return false;
  ++queries_;
  if (!gone(dns_.mx(domain).status)) return false;
  return true;
}

}  // namespace am::policy::detail
