// tests/support/memorydns/memory_resolver.cpp — see memory_resolver.h.
#include "tests/support/memorydns/memory_resolver.h"

#include "common/strings.h"

namespace am {

InMemoryResolver::Node& InMemoryResolver::node(std::string_view name) {
  return nodes_[normalizeDomain(name)];
}

void InMemoryResolver::addTxt(std::string_view name, std::string record) {
  std::lock_guard lk(mu_);
  node(name).txt.push_back(std::move(record));
}
void InMemoryResolver::addA(std::string_view name, std::string_view addr) {
  std::lock_guard lk(mu_);
  if (auto ip = IpAddress::parse(addr); ip && !ip->v6) node(name).a.push_back(*ip);
}
void InMemoryResolver::addAAAA(std::string_view name, std::string_view addr) {
  std::lock_guard lk(mu_);
  if (auto ip = IpAddress::parse(addr); ip && ip->v6) node(name).aaaa.push_back(*ip);
}
void InMemoryResolver::addMx(std::string_view name, uint16_t pref, std::string_view host) {
  std::lock_guard lk(mu_);
  node(name).mx.push_back(MxHost{pref, normalizeDomain(host)});
}
void InMemoryResolver::addPtr(const IpAddress& addr, std::string_view name) {
  std::lock_guard lk(mu_);
  node(addr.reverseName()).ptr.push_back(normalizeDomain(name));
}
void InMemoryResolver::addCname(std::string_view alias, std::string_view target) {
  std::lock_guard lk(mu_);
  node(alias).cname = normalizeDomain(target);
}
void InMemoryResolver::setStatus(std::string_view name, RrType type, DnsStatus status) {
  std::lock_guard lk(mu_);
  node(name).forced[type] = status;
}
void InMemoryResolver::clear() {
  std::lock_guard lk(mu_);
  nodes_.clear();
}

const InMemoryResolver::Node* InMemoryResolver::find(std::string name, RrType type, DnsStatus& forced,
                                                     bool& hasForced) const {
  hasForced = false;
  if (!queryableName(name)) {  // as the real resolver: refused without a query
    forced = DnsStatus::PermFail;
    hasForced = true;
    return nullptr;
  }
  for (int hops = 0; hops < 8; ++hops) {
    auto it = nodes_.find(name);
    if (it == nodes_.end()) return nullptr;
    const Node& n = it->second;
    for (RrType t : {type, RrType::ANY}) {
      if (auto f = n.forced.find(t); f != n.forced.end()) {
        forced = f->second;
        hasForced = true;
        return &n;
      }
    }
    if (n.cname.empty()) return &n;
    name = n.cname;
  }
  forced = DnsStatus::PermFail;  // CNAME loop
  hasForced = true;
  return nullptr;
}

template <class Answer, class Pick>
static Answer answer(const void* nodePtr, bool hasForced, DnsStatus forced, Pick pick) {
  Answer a;
  if (hasForced) {
    a.status = forced;
    return a;
  }
  if (!nodePtr) {
    a.status = DnsStatus::NxDomain;
    return a;
  }
  pick(a);
  return a;
}

TxtAnswer InMemoryResolver::txt(std::string_view name) {
  ++queries_;
  std::lock_guard lk(mu_);
  DnsStatus f{};
  bool hf;
  const Node* n = find(normalizeDomain(name), RrType::TXT, f, hf);
  return answer<TxtAnswer>(n, hf, f, [&](TxtAnswer& a) {
    a.records = n->txt;
    a.status = a.records.empty() ? DnsStatus::NoData : DnsStatus::Ok;
  });
}

AddrAnswer InMemoryResolver::addrs(std::string_view name, Family family) {
  ++queries_;
  std::lock_guard lk(mu_);
  DnsStatus f{};
  bool hf;
  RrType t = family == Family::V4 ? RrType::A : RrType::AAAA;
  const Node* n = find(normalizeDomain(name), t, f, hf);
  return answer<AddrAnswer>(n, hf, f, [&](AddrAnswer& a) {
    a.addrs = family == Family::V4 ? n->a : n->aaaa;
    a.status = a.addrs.empty() ? DnsStatus::NoData : DnsStatus::Ok;
  });
}

MxAnswer InMemoryResolver::mx(std::string_view name) {
  ++queries_;
  std::lock_guard lk(mu_);
  DnsStatus f{};
  bool hf;
  const Node* n = find(normalizeDomain(name), RrType::MX, f, hf);
  return answer<MxAnswer>(n, hf, f, [&](MxAnswer& a) {
    a.hosts = n->mx;
    a.status = a.hosts.empty() ? DnsStatus::NoData : DnsStatus::Ok;
  });
}

PtrAnswer InMemoryResolver::ptr(const IpAddress& addr) {
  ++queries_;
  std::lock_guard lk(mu_);
  DnsStatus f{};
  bool hf;
  const Node* n = find(addr.reverseName(), RrType::PTR, f, hf);
  return answer<PtrAnswer>(n, hf, f, [&](PtrAnswer& a) {
    a.names = n->ptr;
    a.status = a.names.empty() ? DnsStatus::NoData : DnsStatus::Ok;
  });
}

}  // namespace am
