// filter/core/debug_resolver.h — LogDebug's view of DNS: a Resolver that forwards every lookup to
// the real one and logs, at debug level, the name, type, status and records of each answer (cut
// at 200 bytes), tagged with the queue id of the message the calling thread is working on
// (DebugQid, set by Session around its callbacks). Only built when LogDebug is on, so it costs
// nothing otherwise. Thread-safe as the wrapped resolver is.
#pragma once
#include <memory>
#include <string>

#include "common/dns.h"
#include "filter/core/log.h"

namespace am::core {

// While alive, lookups on this thread are logged with `qid`.
class DebugQid {
 public:
  explicit DebugQid(const std::string& qid);
  ~DebugQid();
  DebugQid(const DebugQid&) = delete;
  DebugQid& operator=(const DebugQid&) = delete;

 private:
  const std::string* previous_;
};

class DebugResolver final : public Resolver {
 public:
  DebugResolver(std::unique_ptr<Resolver> inner, const Logger& log) : inner_(std::move(inner)), log_(log) {}
  TxtAnswer txt(std::string_view name) override;
  AddrAnswer addrs(std::string_view name, Family family) override;
  MxAnswer mx(std::string_view name) override;
  PtrAnswer ptr(const IpAddress& addr) override;

 private:
  void note(std::string_view type, std::string_view name, DnsStatus st, std::string records) const;
  std::unique_ptr<Resolver> inner_;
  const Logger& log_;
};

}  // namespace am::core
