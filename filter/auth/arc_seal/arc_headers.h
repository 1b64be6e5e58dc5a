// filter/auth/arc_seal/arc_headers.h — small readers of ARC and Authentication-Results header
// values that sealing needs: the instance (i=) of an ARC header field, the cv= of an ARC-Seal,
// and an Authentication-Results value split into its authserv-id and its results.
// Pure functions over values; untrusted input gives nullopt/empty, never an exception.
// Thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace am::arcseal {

enum class ArcKind { Seal, MessageSignature, AuthResults };

// The kind of an ARC header field by name (case-insensitive), nullopt for any other name.
std::optional<ArcKind> arcKind(std::string_view headerName);

// i= of an ARC header field value: a tag of ARC-Seal / ARC-Message-Signature, the leading
// "i=N;" of ARC-Authentication-Results (RFC 8617 §4.1.1). nullopt when missing, not 1..9
// digits, or the tag list is malformed.
std::optional<unsigned> arcInstance(ArcKind kind, std::string_view value);

// cv= of an ARC-Seal value, lowercase ("none", "pass", "fail", or whatever it says); empty when
// absent or the tag list is malformed.
std::string sealCv(std::string_view value);

// An Authentication-Results value (RFC 8601 §2.2) split into the authserv-id (without a version)
// and the results after the first ';' (trimmed, without a trailing ';'). nullopt when the value
// has no authserv-id.
struct AuthResultsParts {
  std::string authservId;
  std::string results;  // may be empty ("none" results)
};
std::optional<AuthResultsParts> splitAuthResults(std::string_view value);

// The results of every Authentication-Results value whose authserv-id is `authservId`
// (case-insensitive), in the given order, joined with "; " — the consolidation the ARC test
// suite expects for an ARC-Authentication-Results. Results "none" are left out.
std::string mergeAuthResults(const std::vector<std::string>& arValues, std::string_view authservId);

}  // namespace am::arcseal
