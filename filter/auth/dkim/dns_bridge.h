// filter/auth/dkim/dns_bridge.h — connects libopendkim's DNS hooks to am::Resolver.
//
// libopendkim asks for a key TXT record by calling query_start(); we answer synchronously from
// am::Resolver::txt() by writing a synthesized DNS reply in wire format into the library's
// buffer (RFC 1035 §4.1: header, question, one TXT RR per record, character-strings of at most
// 255 bytes). NXDOMAIN becomes RCODE 3, NoData/PermFail an empty answer (the library reports
// "no key"), TempFail makes waitreply() report an error (the library reports a key retrieval
// failure = temperror).
//
// libopendkim cannot tell us WHY a key failed beyond its own error codes, so every lookup is
// also recorded in a DnsLog that the caller installs for the duration of one libopendkim call
// on the current thread (DnsLogScope). That lets the verifier say "key record too long" (the
// library truncates key records to 1024 bytes) or "no TXT record" instead of a generic error.
//
// Ownership: DnsBridge holds a reference to the Resolver, which must outlive it. Reply handles
// passed to libopendkim are allocated in query_start and freed in query_cancel, which the
// library always calls after waitreply.
// Thread-safety: DnsBridge is immutable after construction and may serve many threads; the
// Resolver must be thread-safe (am::Resolver's contract). DnsLog is per message.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns.h"
#include "filter/auth/dkim/handles.h"
#include "filter/auth/dkim/key_lookup.h"

namespace am::dkim {

// Lookups made while a DnsLogScope is active on this thread. Bounded: keeps the first 64.
class DnsLog {
 public:
  void add(DnsLookup l);
  const DnsLookup* find(std::string_view name) const;  // case-insensitive; null if none
 private:
  std::vector<DnsLookup> lookups_;
};

// Installs `log` as the current thread's lookup log for its lifetime (restores the previous).
class DnsLogScope {
 public:
  explicit DnsLogScope(DnsLog* log) noexcept;
  ~DnsLogScope();
  DnsLogScope(const DnsLogScope&) = delete;
  DnsLogScope& operator=(const DnsLogScope&) = delete;
 private:
  DnsLog* previous_;
};

// Builds a DNS reply message for a TXT query. Returns the reply length, or 0 if it does not
// fit in `cap` bytes. An unencodable `qname` yields an NXDOMAIN reply with a root question.
size_t buildTxtReply(std::string_view qname, const TxtAnswer& answer, unsigned char* buf, size_t cap);

class DnsBridge {
 public:
  explicit DnsBridge(Resolver& dns) : dns_(dns) {}
  // Installs the hooks on `lib` and runs dkim_dns_init(). Call once, before threads start.
  bool install(DKIM_LIB* lib);
  Resolver& resolver() const { return dns_; }
 private:
  Resolver& dns_;
};

}  // namespace am::dkim
