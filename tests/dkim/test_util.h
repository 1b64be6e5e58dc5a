// tests/dkim/test_util.h — helpers shared by the DKIM test programs: split a raw RFC 5322
// message into header fields as an MTA delivers them over the milter protocol (value keeps
// its leading space, folding is bare LF) and a body; feed a Verification in chunks; read
// files; run an external command (dkimpy, openssl) with a bounded wait; make temp dirs.
// Not thread-safe where noted (temp dirs are per test).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/auth_types.h"
#include "tests/support/memorydns/memory_resolver.h"
#include "filter/auth/dkim/opendkim_verifier.h"

namespace am::dkim::test {

struct Message {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Message parseMessage(std::string_view raw);
std::string toCrlf(std::string_view s);  // bare LF → CRLF
std::string readFile(const std::string& path);
bool writeFile(const std::string& path, std::string_view data);

#ifdef AM_DKIM_TEST_LIBOPENDKIM
// The engine this test program is built for (1: libopendkim, 0: native): every suite is
// compiled twice (dkim.* and dkim_native.* in CTest). Test programs that call makeVerifier()
// must define it; test_util.cpp itself is engine-neutral.
inline constexpr bool kLibopendkimEngine = AM_DKIM_TEST_LIBOPENDKIM != 0;
inline std::unique_ptr<Verifier> makeVerifier(Resolver& dns, VerifyOptions o, const Clock& clock,
                                              std::string* err = nullptr) {
  return createVerifier(kLibopendkimEngine, dns, std::move(o), clock, err);
}
#endif

std::vector<DkimOutput> verify(Verifier& lib, const Message& m, size_t chunk = 65536);

// Runs argv[0] with args, feeding `input` on stdin; returns stdout on exit status 0.
// Waits at most `timeoutSeconds`, then kills the child (by its PID) and returns nullopt.
std::optional<std::string> run(const std::vector<std::string>& argv, std::string_view input,
                               int timeoutSeconds = 60);

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
 private:
  std::string path_;
};

// Signs `message` with dkimpy (Debian python3-dkim). Returns the signed message (CRLF).
std::optional<std::string> dkimpySign(const std::string& message, const std::string& keyFile,
                                      const std::string& selector, const std::string& domain,
                                      const std::string& hcanon = "relaxed",
                                      const std::string& bcanon = "relaxed",
                                      const std::string& alg = "rsa-sha256", bool length = false);

std::string describe(const std::vector<DkimOutput>& r);  // for assertion messages

}  // namespace am::dkim::test
