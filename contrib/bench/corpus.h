// contrib/bench/corpus.h — the benchmark's deterministic corpus: sender domains (zones with SPF,
// DMARC and DKIM key records), DKIM keys made with the project's keygen, and messages generated
// from a fixed seed, each labelled with the verdict a correct DMARC receiver must reach.
//
// Classes: aligned passes (rsa-2048, ed25519, both), DKIM-only and SPF-only alignment, no
// signature (p=none, SPF fail), forged From under p=reject and p=quarantine. Sizes follow a
// mixture of log-normal distributions from 2 KB to 1 MB (most small, a tail of large ones).
// Messages are signed with the project's own signer (filter/auth/dkim_sign).
// Ownership: a Corpus owns its messages; keys live in `dir` (the caller removes it).
// Thread-safety: immutable after build(); read from any number of threads.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/milterclient/message.h"
#include "tests/support/dnsserver/nsd_server.h"

namespace am::bench {

enum class Action { Accept, Reject, Quarantine };
const char* actionName(Action a);

// What a correct receiver concludes about one message.
struct Label {
  std::string klass;  // "aligned-rsa", "forged-reject", ...
  std::string spf;    // "pass" / "fail"
  int dkimPass = 0;   // passing signatures
  std::string dmarc;  // "pass" / "fail"
  Action action = Action::Accept;
};

struct SigInfo {
  bool ed25519 = false;
  std::string keyPath;  // private key used (for the crypto floor)
};

struct BenchMessage {
  am::milter_client::Message msg;
  Label label;
  std::vector<SigInfo> sigs;
  size_t bytes = 0;  // headers + body as sent
};

struct Corpus {
  std::vector<am::testing::NsdServer::Zone> zones;
  std::vector<BenchMessage> messages;
  size_t totalBytes = 0;
  // Builds keys under `dir` and `count` messages from `seed`. nullopt + *err on failure.
  static std::optional<Corpus> build(const std::string& dir, size_t count, uint64_t seed, size_t maxBytes,
                                     std::string* err);
};

}  // namespace am::bench
