// filter/core/debug_resolver.cpp — see debug_resolver.h.
#include "filter/core/debug_resolver.h"

namespace am::core {
namespace {

thread_local const std::string* tQid = nullptr;

template <class List, class Show>
std::string joined(const List& items, Show show) {
  std::string out;
  for (auto& i : items) {
    if (!out.empty()) out += " | ";
    out += show(i);
    if (out.size() > 200) break;
  }
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}

}  // namespace

DebugQid::DebugQid(const std::string& qid) : previous_(tQid) { tQid = &qid; }
DebugQid::~DebugQid() { tQid = previous_; }

void DebugResolver::note(std::string_view type, std::string_view name, DnsStatus st, std::string records) const {
  std::string l = "qid=";
  appendLogValue(l, tQid && !tQid->empty() ? std::string_view(*tQid) : std::string_view("-"));
  l.append(" debug=dns type=").append(type).append(" name=");
  appendLogValue(l, name);
  l.append(" status=").append(toString(st));
  if (!records.empty()) {
    l += " answer=";
    appendLogValue(l, records);
  }
  log_.debug(l);
}

TxtAnswer DebugResolver::txt(std::string_view name) {
  TxtAnswer a = inner_->txt(name);
  note("TXT", name, a.status, joined(a.records, [](const std::string& r) { return r; }));
  return a;
}

AddrAnswer DebugResolver::addrs(std::string_view name, Family family) {
  AddrAnswer a = inner_->addrs(name, family);
  note(family == Family::V4 ? "A" : "AAAA", name, a.status, joined(a.addrs, [](const IpAddress& ip) { return ip.str(); }));
  return a;
}

MxAnswer DebugResolver::mx(std::string_view name) {
  MxAnswer a = inner_->mx(name);
  note("MX", name, a.status,
       joined(a.hosts, [](const MxHost& h) { return std::to_string(h.preference) + " " + h.host; }));
  return a;
}

PtrAnswer DebugResolver::ptr(const IpAddress& addr) {
  PtrAnswer a = inner_->ptr(addr);
  note("PTR", addr.reverseName(), a.status, joined(a.names, [](const std::string& n) { return n; }));
  return a;
}

}  // namespace am::core
