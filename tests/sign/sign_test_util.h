// tests/sign/sign_test_util.h — helpers for the signing tests: a temporary directory, file
// writing, message assembly, the dkimpy verifier (dkim_verify.py) and a libopendkim verifier
// with a per-handle key lookup (no DNS). Test-only code.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "filter/auth/dkim_sign/signer.h"

namespace am::signtest {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void writeFile(const std::string& path, const std::string& data, unsigned mode);
std::string readFile(const std::string& path);

struct Message {
  std::vector<std::pair<std::string, std::string>> headers;  // value as the MTA delivers it
  std::string body;                                          // CRLF lines
};
Message sampleMessage();

// Feeds a message to a new signing and returns the signature values (errors into *errors).
std::vector<std::string> signMessage(dkim::Signing& s, const Message& m);
// Full message bytes, with the DKIM-Signature values inserted on top ("DKIM-Signature: v").
std::string assemble(const Message& m, const std::vector<std::string>& sigs);

// DNS name → TXT data.
using KeyMap = std::map<std::string, std::string>;

// Runs dkim_verify.py once over several messages: per message, true if it has signatures and
// every one passes. *output gets the script's output.
std::vector<bool> verifyAllWithDkimpy(const std::vector<std::string>& messages, const KeyMap& keys,
                                      std::string* output = nullptr);
// The same for one message.
bool verifyWithDkimpy(const std::string& message, const KeyMap& keys, std::string* output = nullptr);
// Verifies with libopendkim; returns the number of passing signatures (PASSED and body hash
// match) and the total in *total.
int verifyWithLibopendkim(const Message& m, const std::vector<std::string>& sigs, const KeyMap& keys, int* total);

std::string tagValue(const std::string& sig, const std::string& tag);  // FWS removed
std::vector<std::string> hList(const std::string& sig);

}  // namespace am::signtest
