// tests/arc/arc_test_util.h — helpers shared by the ARC test programs: the ValiMail validation
// suite as a list of cases (scenario, test id, message, expected cv, TXT records), one case by id
// and a Verifier holding its keys, running one
// message through an arc::Verification in chunks, and sealing a message with Debian's
// python3-dkim (dkim.arc_sign) for interop and chain-building tests.
// Not thread-safe where noted (temp dirs are per test).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "filter/auth/arc/verifier.h"
#include "tests/support/memorydns/memory_resolver.h"

namespace am::arc::test {

struct SuiteCase {
  std::string scenario;  // the scenario's description
  std::string id;        // the test id, e.g. "cv_pass_i1_1"
  std::string message;   // LF line endings, as in the YAML
  std::string cv;        // "Pass", "Fail", "None" ("" in three broken upstream cases)
  std::map<std::string, std::string> txt;  // name -> record
};

// All cases of arc-draft-validation-tests.yml, in file order (empty when the file is missing).
const std::vector<SuiteCase>& validationSuite();

// The case with test id `id`; an empty case, and a test failure (ADD_FAILURE), when there is none.
const SuiteCase& suiteCase(const std::string& id);

// Fills `dns` with the records (whitespace inside p= kept as given: the key parser skips it).
void loadTxt(const std::map<std::string, std::string>& txt, InMemoryResolver& dns);

// A Verifier over `dns`, after loading into it the TXT records (keys) of suite case `id`.
std::unique_ptr<Verifier> verifierWithKeysOf(const std::string& id, InMemoryResolver& dns);

// Runs a raw message (LF or CRLF) through a fresh Verification of `v`, body in `chunk`-byte pieces.
ChainResult verifyMessage(Verifier& v, const std::string& raw, size_t chunk = 65536);

// Seals `message` (CRLF) with python3-dkim's arc_sign as `srvId` with d=`domain`, s=`selector`
// and the key file (PEM RSA, or with ed25519 the base64 seed from makeEd25519Key); returns the sealed message, or nullopt when the tool fails.
std::optional<std::string> dkimpySeal(const std::string& message, const std::string& domain,
                                      const std::string& selector, const std::string& keyFile,
                                      const std::string& srvId, bool ed25519 = false);

// A fresh RSA key pair: PEM private key written to `keyFile`, the DNS record returned.
std::string makeRsaKey(const std::string& keyFile, unsigned bits = 2048);
// A fresh Ed25519 key: the base64 32-byte seed written to `keyFile`, the DNS record returned.
std::string makeEd25519Key(const std::string& keyFile);

}  // namespace am::arc::test
