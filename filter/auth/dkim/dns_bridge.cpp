// filter/auth/dkim/dns_bridge.cpp — libopendkim DNS hooks answered from am::Resolver.
// See dns_bridge.h for the contract. The thread-local log pointer is only set inside one
// libopendkim call (DnsLogScope), never across callbacks or messages.
#include "filter/auth/dkim/dns_bridge.h"

#include <algorithm>
#include <cctype>
#include <new>

#include "common/strings.h"
#include "filter/auth/dkim/primitives/key_record.h"

namespace am::dkim {
namespace {

thread_local DnsLog* tCurrentLog = nullptr;

constexpr uint16_t kTypeTxt = 16;
constexpr uint16_t kClassIn = 1;
constexpr uint32_t kTtl = 300;
constexpr size_t kMaxLookupsLogged = 64;

struct ReplyHandle {
  size_t length = 0;
  bool error = false;  // report a transport error (temporary failure)
};

class Writer {
 public:
  Writer(unsigned char* buf, size_t cap) : buf_(buf), cap_(cap) {}
  bool u8(unsigned v) { if (pos_ + 1 > cap_) return ok_ = false; buf_[pos_++] = static_cast<unsigned char>(v); return true; }
  bool u16(unsigned v) { return u8((v >> 8) & 0xff) && u8(v & 0xff); }
  bool u32(uint32_t v) { return u16(v >> 16) && u16(v & 0xffff); }
  bool bytes(std::string_view s) {
    if (pos_ + s.size() > cap_) return ok_ = false;
    std::copy(s.begin(), s.end(), buf_ + pos_);
    pos_ += s.size();
    return true;
  }
  void patch16(size_t at, unsigned v) { buf_[at] = (v >> 8) & 0xff; buf_[at + 1] = v & 0xff; }
  size_t pos() const { return pos_; }
  bool ok() const { return ok_; }
 private:
  unsigned char* buf_;
  size_t cap_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Encodes a dotted name as DNS labels; false if a label is empty or too long.
bool encodeName(Writer& w, std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    w.u8(static_cast<unsigned>(label.size()));
    w.bytes(label);
    start = dot + 1;
  }
  return w.u8(0);
}

void writeHeader(Writer& w, unsigned rcode, unsigned ancount) {
  w.u16(0);                      // id
  w.u16(0x8180 | (rcode & 0xf));  // QR, RD, RA
  w.u16(1);                      // qdcount
  w.u16(ancount);
  w.u16(0);
  w.u16(0);
}

bool writeTxtRecord(Writer& w, std::string_view record) {
  w.u16(0xc00c);  // pointer to the question name
  w.u16(kTypeTxt);
  w.u16(kClassIn);
  w.u32(kTtl);
  size_t rdlenAt = w.pos();
  w.u16(0);
  size_t rdStart = w.pos();
  do {
    std::string_view part = record.substr(0, 255);
    record.remove_prefix(part.size());
    w.u8(static_cast<unsigned>(part.size()));
    w.bytes(part);
  } while (!record.empty());
  size_t rdlen = w.pos() - rdStart;
  if (!w.ok() || rdlen > 0xffff) return false;
  w.patch16(rdlenAt, static_cast<unsigned>(rdlen));
  return true;
}

int queryStart(void* srv, int type, unsigned char* query, unsigned char* buf, size_t buflen, void** qh);
int queryCancel(void* srv, void* qh);
int queryWait(void* srv, void* qh, struct timeval* timeout, size_t* bytes, int* error, int* dnssec);

TxtAnswer lookup(Resolver& dns, std::string_view name) noexcept {
  try {
    return dns.txt(name);
  } catch (...) {
    TxtAnswer a;
    a.status = DnsStatus::TempFail;
    return a;
  }
}

DnsLookup describe(std::string_view name, const TxtAnswer& a) {
  DnsLookup l;
  l.name = toLower(name);
  l.status = a.status;
  l.records = a.records.size();
  for (const auto& r : a.records) l.longestRecord = std::max(l.longestRecord, r.size());
  return l;
}

int queryStart(void* srv, int type, unsigned char* query, unsigned char* buf, size_t buflen, void** qh) {
  auto* bridge = static_cast<DnsBridge*>(srv);
  if (bridge == nullptr || query == nullptr || buf == nullptr || qh == nullptr) return -1;
  auto* h = new (std::nothrow) ReplyHandle;
  if (h == nullptr) return -1;
  std::string_view name(reinterpret_cast<const char*>(query));
  TxtAnswer answer;
  if (type == kTypeTxt) answer = lookup(bridge->resolver(), name);
  else answer.status = DnsStatus::PermFail;
  if (answer.status == DnsStatus::Ok && answer.records.size() == 1)
    answer.records[0] = normalizeKeyRecord(answer.records[0]);
  DnsLookup logged = describe(name, answer);
  if (answer.status == DnsStatus::TempFail) {
    h->error = true;
  } else {
    h->length = buildTxtReply(name, answer, buf, buflen);
    if (h->length == 0) {
      h->error = true;
      logged.replyOverflow = true;
    }
  }
  if (tCurrentLog != nullptr) tCurrentLog->add(std::move(logged));
  *qh = h;
  return 0;
}

int queryCancel(void*, void* qh) {
  delete static_cast<ReplyHandle*>(qh);
  return 0;
}

int queryWait(void*, void* qh, struct timeval*, size_t* bytes, int* error, int* dnssec) {
  auto* h = static_cast<ReplyHandle*>(qh);
  if (dnssec != nullptr) *dnssec = DKIM_DNSSEC_UNKNOWN;
  if (error != nullptr) *error = 0;
  if (h == nullptr || h->error) return DKIM_DNS_ERROR;
  if (bytes != nullptr) *bytes = h->length;
  return DKIM_DNS_SUCCESS;
}

}  // namespace

void DnsLog::add(DnsLookup l) {
  if (lookups_.size() < kMaxLookupsLogged) lookups_.push_back(std::move(l));
}

const DnsLookup* DnsLog::find(std::string_view name) const {
  std::string key = toLower(name);
  if (!key.empty() && key.back() == '.') key.pop_back();
  for (const auto& l : lookups_)
    if (l.name == key) return &l;
  return nullptr;
}

DnsLogScope::DnsLogScope(DnsLog* log) noexcept : previous_(tCurrentLog) { tCurrentLog = log; }
DnsLogScope::~DnsLogScope() { tCurrentLog = previous_; }

size_t buildTxtReply(std::string_view qname, const TxtAnswer& answer, unsigned char* buf, size_t cap) {
  Writer w(buf, cap);
  const bool ok = answer.status == DnsStatus::Ok;
  const unsigned ancount = ok ? static_cast<unsigned>(std::min<size_t>(answer.records.size(), 0xffff)) : 0;
  unsigned rcode = answer.status == DnsStatus::NxDomain ? 3 : 0;
  writeHeader(w, rcode, ancount);
  size_t qStart = w.pos();
  if (!encodeName(w, qname)) {  // unencodable name: answer NXDOMAIN for the root
    Writer fresh(buf, cap);
    writeHeader(fresh, 3, 0);
    fresh.u8(0);
    fresh.u16(kTypeTxt);
    fresh.u16(kClassIn);
    return fresh.ok() ? fresh.pos() : 0;
  }
  (void)qStart;
  w.u16(kTypeTxt);
  w.u16(kClassIn);
  for (unsigned i = 0; i < ancount; ++i)
    if (!writeTxtRecord(w, answer.records[i])) return 0;
  return w.ok() ? w.pos() : 0;
}

bool DnsBridge::install(DKIM_LIB* lib) {
  // No init/close hooks: dkim_dns_init() would otherwise replace our service pointer.
  dkim_dns_set_init(lib, nullptr);
  dkim_dns_set_close(lib, nullptr);
  dkim_dns_set_query_start(lib, queryStart);
  dkim_dns_set_query_cancel(lib, queryCancel);
  dkim_dns_set_query_waitreply(lib, queryWait);
  if (dkim_dns_init(lib) != 0) return false;
  dkim_dns_set_query_service(lib, this);
  return true;
}

}  // namespace am::dkim
