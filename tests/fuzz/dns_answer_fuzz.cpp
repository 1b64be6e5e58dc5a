// tests/fuzz/dns_answer_fuzz.cpp — libFuzzer target: DNS replies (filter/dns/wire.h decoding,
// name decompression; filter/dns/answer.h interpretation: RCODE, CNAME chain, TTLs). The message
// is interpreted as a reply to its own question, as the resolver does once the preamble matched.
// Invariants: when both decode, preamble and message agree on the question (decodeMessage also
// takes QDCOUNT 0, which the preamble refuses); a cacheable outcome's TTL is within the caps.
// Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "filter/dns/answer.h"
#include "filter/dns/wire.h"

using namespace am::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> msg(data, size);
  auto pre = wire::decodePreamble(msg);
  if (pre) (void)wire::matchesQuery(*pre, pre->header.id, pre->qname, pre->qtype);
  std::string name;
  size_t next = 0;
  if (size > 12) (void)wire::readName(msg, 12, name, next);
  auto m = wire::decodeMessage(msg);
  if (!m || !pre) return 0;
  if (pre->qname != m->qname || pre->qtype != m->qtype) std::abort();
  TtlCaps caps;
  caps.maxTtl = 3600;
  caps.negativeTtl = 60;
  Outcome o = interpret(*m, m->qname, m->qtype, caps);
  if (o.ttl > caps.maxTtl) std::abort();
  // A reply for another type of the same name: the CNAME chain is followed but nothing matches.
  (void)interpret(*m, m->qname, m->qtype == 16 ? 1 : 16, caps);
  return 0;
}
