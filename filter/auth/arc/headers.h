// filter/auth/arc/headers.h — parsing of the three ARC header fields (RFC 8617 §4.1): ARC-Seal
// (AS), ARC-Message-Signature (AMS) and ARC-Authentication-Results (AAR). Each parse answers a
// value with the instance (0 when i= is missing or not 1..50) and an error text (empty when the
// field is usable); the AMS becomes a dkim::SigSpec so the DKIM header hashing (native_sig.h)
// serves it unchanged. Hostile input gives an error, never a throw or an assert: tag lists
// through the strict DKIM tag parser, the AAR through the RFC 8601 parser (authres).
// Pure functions over values; thread-safe.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "filter/auth/arc/chain.h"
#include "filter/auth/dkim/native_sig.h"

namespace am::arc {

inline constexpr int kMaxInstance = 50;  // RFC 8617 §4.2.1

enum class Kind { None, Seal, MessageSignature, AuthResults };
// Which ARC field a header name is (case-insensitive, surrounding blanks ignored).
Kind kindOf(std::string_view name);

// The i= of a tag value, when it is 1..kMaxInstance written as at most 3 digits; else 0.
int instanceOf(std::string_view value);

struct Seal {
  int instance = 0;
  std::string error;
  std::string domain, selector, algorithm;
  dkim::KeyType keyType = dkim::KeyType::Rsa;
  Cv cv = Cv::None;
  std::string signature;  // decoded b=
};
Seal parseSeal(std::string_view value);

struct MessageSignature {
  int instance = 0;
  std::string error;
  dkim::SigSpec spec;  // name, value, domain, selector, algorithm, keyType, canons, h=, bh=, b=
};
MessageSignature parseMessageSignature(std::string_view name, std::string_view value);

struct AuthResults {
  int instance = 0;
  std::string error;
  std::string authservId;
  std::vector<AarResult> results;
};
AuthResults parseAuthResults(std::string_view value);

}  // namespace am::arc
