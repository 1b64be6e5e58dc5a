// contrib/bench/floor.h — the crypto floor: what the cryptography alone costs for the corpus,
// measured in-process with OpenSSL on this machine: one SHA-256 over each signed message's
// canonicalized body, and per signature the header hash plus an RSA-2048 or Ed25519 verification
// (RFC 6376 / RFC 8463) with the corpus keys. Canonicalization and signing happen before timing.
// Single-threaded; no shared state.
#pragma once
#include <string>

#include "contrib/bench/corpus.h"

namespace am::bench {

struct FloorResult {
  double cpuSeconds = 0;  // thread CPU time for the whole corpus
  size_t rsaVerifies = 0, edVerifies = 0, hashedBytes = 0;
  std::string error;
};

FloorResult measureCryptoFloor(const Corpus& corpus);

}  // namespace am::bench
