// filter/dns/transport.h — one DNS exchange with one server over UDP or TCP (RFC 1035 §4.2,
// RFC 7766), bounded by a deadline with poll().
//
// Each exchange opens its own socket (so the kernel picks a fresh ephemeral source port),
// and closes it before returning: no shared state, safe from any number of threads.
// The UDP socket is connect()ed, so only datagrams from the server's address and port are
// read; `accept` additionally decides whether a datagram answers our query (ID, question),
// and anything it rejects is dropped while the wait continues until the deadline.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/ip.h"

namespace am::dns {

struct Server {
  IpAddress addr;
  uint16_t port = 53;
};

enum class ExchangeStatus { Ok, Timeout, NetworkError };

struct Exchange {
  ExchangeStatus status = ExchangeStatus::NetworkError;
  std::vector<uint8_t> reply;
};

using Deadline = std::chrono::steady_clock::time_point;
using AcceptFn = std::function<bool(std::span<const uint8_t>)>;

Exchange udpExchange(const Server& server, std::span<const uint8_t> query, Deadline deadline,
                     const AcceptFn& accept);
// Sends the query with its 2-byte length prefix and reads one length-prefixed reply.
Exchange tcpExchange(const Server& server, std::span<const uint8_t> query, Deadline deadline);

}  // namespace am::dns
