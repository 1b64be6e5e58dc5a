// filter/dns/zone_resolver.cpp — see zone_resolver.h.
#include "filter/dns/zone_resolver.h"

#include "common/strings.h"

namespace am::dns {
namespace {

constexpr int kMaxCnames = 8;

template <class Answer, class List>
Answer answer(DnsStatus found, const List& records) {
  Answer a;
  if (found != DnsStatus::Ok) a.status = found;
  else a.status = records.empty() ? DnsStatus::NoData : DnsStatus::Ok;
  return a;
}

}  // namespace

std::unique_ptr<ZoneResolver> ZoneResolver::load(const std::vector<std::string>& paths, std::vector<std::string>& errors) {
  ZoneData data;
  bool ok = true;
  for (auto& p : paths) ok = loadZoneFile(p, data, errors) && ok;
  if (!ok) return nullptr;
  return std::make_unique<ZoneResolver>(std::move(data));
}

const ZoneNode* ZoneResolver::exact(const std::string& name, bool& exists) const {
  auto it = data_.nodes.find(name);
  if (it != data_.nodes.end()) {
    exists = true;
    return &it->second;
  }
  exists = data_.interior.count(name) > 0;
  return nullptr;
}

ZoneResolver::Found ZoneResolver::find(std::string_view query) const {
  std::string name = normalizeDomain(query);
  if (!queryableName(name)) return {DnsStatus::PermFail, nullptr};
  static const ZoneNode kEmpty;
  for (int hop = 0; hop <= kMaxCnames; ++hop) {
    bool exists = false;
    const ZoneNode* n = exact(name, exists);
    if (!n && !exists) {
      // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor; its wildcard
      // child, when there is one, answers.
      for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
        std::string ancestor = name.substr(dot + 1);
        bool ancestorExists = false;
        exact(ancestor, ancestorExists);
        if (!ancestorExists) continue;
        bool wildExists = false;
        n = exact("*." + ancestor, wildExists);
        break;
      }
      if (!n) return {DnsStatus::NxDomain, nullptr};
    }
    if (!n) return {DnsStatus::Ok, &kEmpty};  // an empty non-terminal
    if (n->cname.empty()) return {DnsStatus::Ok, n};
    name = n->cname;
  }
  return {DnsStatus::TempFail, nullptr};  // CNAME loop or chain too long
}

TxtAnswer ZoneResolver::txt(std::string_view name) {
  Found f = find(name);
  if (!f.node) return answer<TxtAnswer>(f.status, std::vector<std::string>{});
  TxtAnswer a = answer<TxtAnswer>(f.status, f.node->txt);
  a.records = f.node->txt;
  return a;
}

AddrAnswer ZoneResolver::addrs(std::string_view name, Family family) {
  Found f = find(name);
  if (!f.node) return answer<AddrAnswer>(f.status, std::vector<IpAddress>{});
  const auto& list = family == Family::V4 ? f.node->a : f.node->aaaa;
  AddrAnswer a = answer<AddrAnswer>(f.status, list);
  a.addrs = list;
  return a;
}

MxAnswer ZoneResolver::mx(std::string_view name) {
  Found f = find(name);
  if (!f.node) return answer<MxAnswer>(f.status, std::vector<MxHost>{});
  MxAnswer a = answer<MxAnswer>(f.status, f.node->mx);
  a.hosts = f.node->mx;
  return a;
}

PtrAnswer ZoneResolver::ptr(const IpAddress& addr) {
  Found f = find(addr.reverseName());
  if (!f.node) return answer<PtrAnswer>(f.status, std::vector<std::string>{});
  PtrAnswer a = answer<PtrAnswer>(f.status, f.node->ptr);
  a.names = f.node->ptr;
  return a;
}

}  // namespace am::dns
