// tests/support/memorydns/memory_resolver.h — an in-memory Resolver (common/dns.h) for unit
// tests, conformance runners and fuzz targets (library am_test_dns; never linked into authmilter).
// A name that has any record (or a forced status) exists: other types answer NoData; unknown
// names answer NxDomain. A name the real resolver would not query (am::queryableName) gets its
// PermFail, without a lookup. CNAMEs are followed (bounded). Thread-safe.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/dns.h"

namespace am {

enum class RrType { A, AAAA, TXT, MX, PTR, ANY };

class InMemoryResolver final : public Resolver {
 public:
  void addTxt(std::string_view name, std::string record);
  void addA(std::string_view name, std::string_view addr);     // addr must parse as v4
  void addAAAA(std::string_view name, std::string_view addr);  // addr must parse as v6
  void addMx(std::string_view name, uint16_t pref, std::string_view host);
  void addPtr(const IpAddress& addr, std::string_view name);
  void addCname(std::string_view alias, std::string_view target);
  // Force an outcome for (name, type); RrType::ANY forces every type of that name.
  void setStatus(std::string_view name, RrType type, DnsStatus status);
  void clear();

  TxtAnswer txt(std::string_view name) override;
  AddrAnswer addrs(std::string_view name, Family family) override;
  MxAnswer mx(std::string_view name) override;
  PtrAnswer ptr(const IpAddress& addr) override;

  unsigned queries() const { return queries_.load(); }  // total lookups answered
  void resetQueryCount() { queries_ = 0; }

 private:
  struct Node {
    std::vector<std::string> txt;
    std::vector<IpAddress> a, aaaa;
    std::vector<MxHost> mx;
    std::vector<std::string> ptr;
    std::string cname;
    std::map<RrType, DnsStatus> forced;
  };
  // Resolves CNAMEs; returns the node or null, and a forced status if any.
  const Node* find(std::string name, RrType type, DnsStatus& forced, bool& hasForced) const;
  Node& node(std::string_view name);

  mutable std::mutex mu_;
  std::map<std::string, Node> nodes_;
  std::atomic<unsigned> queries_{0};
};

}  // namespace am
