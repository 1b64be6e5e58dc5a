// contrib/bench/floor.h — the crypto floor: what the cryptography alone costs for the corpus,
// measured in-process with OpenSSL on this machine: one SHA-256 over each signed message's
// canonicalized body, and per signature the header hash plus an RSA-2048 or Ed25519 verification
// (RFC 6376 / RFC 8463) with the corpus keys. Canonicalization and signing happen before timing.
// Preparation (canonicalization, signing) happens once; the timed pass can be repeated, so the
// benchmark measures the floor right before and after each authmilter run (the machine's speed
// drifts by tens of percent over minutes on a shared host, and a floor measured minutes apart would
// make the ratio drift with it). Single-threaded; no shared state.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "contrib/bench/corpus.h"
#include "filter/auth/dkim_sign/keystore.h"

namespace am::bench {

struct FloorResult {
  double cpuSeconds = 0;  // thread CPU time for the whole corpus
  size_t rsaVerifies = 0, edVerifies = 0, hashedBytes = 0;
  std::string error;
};

// Canonicalized bytes, decoded keys and signatures for the timed pass.
struct FloorInput {
  struct Message {
    std::string body, headers;                            // canonicalized
    std::vector<std::pair<EVP_PKEY*, std::string>> sigs;  // key (owned by `keys`), signature over headers
    std::vector<bool> ed;
  };
  std::vector<Message> messages;
  std::map<std::string, am::dkim::LoadedKey> keys;
  size_t corpusMessages = 0;  // including unsigned ones (the floor is per corpus message)
  std::string error;
};

FloorInput prepareFloor(const Corpus& corpus);
// One timed pass over the prepared input.
FloorResult measureFloor(const FloorInput& in);
inline double floorPer1000(const FloorResult& f, const FloorInput& in) {
  return in.corpusMessages ? f.cpuSeconds * 1000.0 / double(in.corpusMessages) : 0;
}

}  // namespace am::bench
