// tests/arc_seal/arc_test_util.h — helpers for the ARC sealing tests: raw messages split into
// header fields and body, keys decoded from PEM text, sealing a whole message, assembling the
// sealed message, temporary files and the external verifiers (python3-dkim, Mail::DKIM) run as
// child processes. Test-only code.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "filter/auth/arc_seal/sealer.h"
#include "filter/auth/dkim_sign/keystore.h"

namespace am::arctest {

struct RawMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // value as a milter gets it (leading space, LF folding)
  std::string body;                                          // CRLF lines
};

// Splits a message with LF or CRLF line ends.
RawMessage parseMessage(const std::string& text);
// The message again, CRLF line ends; `top` fields ("Name", "value") are put above the header.
std::string assemble(const RawMessage& m, const std::vector<std::pair<std::string, std::string>>& top = {});
// The three fields of a set in header order (AS, AMS, AAR), ready for assemble().
std::vector<std::pair<std::string, std::string>> setFields(const arcseal::SealedSet& s);

// A LoadedKey from PEM text (any private key OpenSSL reads); aborts the test binary on failure.
dkim::LoadedKey keyFromPem(const std::string& pem);
// Generates a key: "rsa" (2048 bits, PKCS#1 PEM) or "ed25519" (PKCS#8 PEM). The PEM in *pem, the DKIM TXT
// record in *txt.
dkim::LoadedKey generateKey(const std::string& type, std::string* pem, std::string* txt);

// Feeds all of `m` to a new Sealing and finishes it.
arcseal::SealOutcome seal(const RawMessage& m, const arcseal::SealKey& key, const arcseal::SealOptions& o,
                          int64_t t, const arcseal::ChainStatus& chain, const std::string& authservId,
                          const std::string& results);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};
void writeFile(const std::string& path, const std::string& data);
std::string readFile(const std::string& path);

// DNS name → TXT data.
using KeyMap = std::map<std::string, std::string>;
// Runs a command; returns its exit status, its stdout+stderr in *output.
int run(const std::string& command, std::string* output);
// arc_verify.py / arc_verify.pl over one message file: the cv they report ("pass", "fail",
// "none"), their output in *output.
std::string dkimpyArcVerify(const std::string& messageFile, const KeyMap& keys, std::string* output);
std::string mailDkimArcVerify(const std::string& messageFile, const KeyMap& keys, std::string* output);

}  // namespace am::arctest

namespace am::arctest {
// The value with the b= tag's value (and its folding) removed, as verifiers hash it.
std::string withEmptyB(const std::string& value);
// Checks a signature field the way RFC 6376 §6.1.3 / RFC 8617 §5.2 do: relaxed canonical
// `fields` in order, then the signature field with an empty b= (no trailing CRLF), against its
// b= value, with the public half of `key`.
bool verifySignature(const dkim::LoadedKey& key, const std::vector<std::pair<std::string, std::string>>& fields,
                     const std::string& sigName, const std::string& sigValue);
}  // namespace am::arctest
