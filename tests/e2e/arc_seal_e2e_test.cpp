// tests/e2e/arc_seal_e2e_test.cpp — ARC sealing by the real binary: a policy `arc-seal` rule
// (key named by a `key` line), nsd serving the keys, the milter client. A message for the
// rule's domain leaves with AS, AMS, AAR on top, and python3-dkim (dkim.arc_verify) and
// Mail::DKIM's ARC verifier accept the chain; a message that arrives with a chain sealed by
// python3-dkim (dkim.arc_sign) is validated by our verifier (arc=pass) and gets set 2 with
// cv=pass, and both verifiers accept the two-set chain.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tests/e2e/e2e_fixture.h"

using namespace am::e2e;
using am::milter_client::Result;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// "v=DKIM1; k=rsa; p=..." for a PEM private key file (openssl CLI).
std::string txtFor(const std::string& keyFile) {
  int st = -1;
  std::string p = runCommand("openssl pkey -in '" + keyFile + "' -pubout -outform DER 2>/dev/null | base64 -w0", &st);
  return st == 0 && !p.empty() ? "v=DKIM1; k=rsa; p=" + p : "";
}

std::string messageText(const am::milter_client::HeaderList& headers, const std::string& body) {
  std::string out;
  for (const auto& [n, v] : headers) {
    std::string val = !v.empty() && (v[0] == ' ' || v[0] == '\t') ? v : " " + v;
    out += n + ":";
    for (char c : val) {
      if (c == '\n') out += '\r';
      if (c != '\r') out += c;
    }
    out += "\r\n";
  }
  return out + "\r\n" + body;
}

// A message file back into milter-client headers (values without the space after the colon,
// folds as "\n<WSP>") and body.
void parseInto(const std::string& text, am::milter_client::Message& m) {
  m.headers.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
      m.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    std::string v = line.substr(colon + 1);
    if (!v.empty() && v[0] == ' ') v.erase(0, 1);
    m.headers.emplace_back(line.substr(0, colon), v);
  }
  m.body = text.substr(pos);
}

class ArcSealE2E : public ::testing::Test {
 protected:
  Env env;
  std::string tmp;
  std::string listKey;  // PKCS#1 PEM of the list host's key (python3-dkim reads only that)

  void SetUp() override {
    char tmpl[] = "/tmp/am-arcseal-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp = tmpl;
    int st = -1;
    env.extraRecords = runCommand(std::string(AM_AUTHMILTER_BIN) + " keygen -d list.e2e.test -s py -a rsa -D " + tmp +
                                      " 2>/dev/null",
                                  &st);
    ASSERT_EQ(st, 0);
    listKey = tmp + "/list.pkcs1.pem";
    runCommand("openssl rsa -in " + tmp + "/list.e2e.test.py.key -traditional -out " + listKey + " 2>/dev/null", &st);
    ASSERT_EQ(st, 0);
    env.extraPolicy = "arc-seal sign.e2e.test arcsel rsa1\n";  // the key of the `key rsa1` line, s=arcsel
    ASSERT_EQ(env.start(), "");
  }
  void TearDown() override { runCommand("rm -rf '" + tmp + "'"); }

  // The keys as the verifiers see them: ours (rsa1's key under s=arcsel) and the list host's.
  std::string keyFile() {
    std::string path = tmp + "/keys";
    std::ofstream(path) << "arcsel._domainkey.sign.e2e.test\t" << txtFor(env.dir + "/sign.e2e.test.rsa1.key") << "\n"
                        << "py._domainkey.list.e2e.test\t" << txtFor(tmp + "/list.e2e.test.py.key") << "\n";
    return path;
  }
  std::string verify(const std::string& tool, const std::string& msg, std::string* out) {
    std::string path = tmp + "/msg-" + tool;
    std::ofstream(path, std::ios::binary) << msg;
    int st = -1;
    std::string cmd = tool == "py" ? std::string("/usr/bin/python3 ") + AM_ARC_SCRIPTS + "/arc_verify.py "
                                   : std::string("/usr/bin/perl ") + AM_ARC_SCRIPTS + "/arc_verify.pl ";
    *out = runCommand(cmd + keyFile() + " " + path + " 2>&1", &st);
    return st == 0 ? "pass" : "not pass";
  }
};

TEST_F(ArcSealE2E, FirstHopSealedAndVerifiedByDkimpyAndMailDkim) {
  auto m = message("bob@pass.e2e.test", "Bob <bob@pass.e2e.test>");
  m.rcpts = {"<user@sign.e2e.test>"};
  Result r = send(env.socket, m);
  ASSERT_TRUE(r.ok()) << r.replyText;
  EXPECT_EQ(r.action, Result::Action::Accept);
  ASSERT_GE(r.finalHeaders.size(), 3u);
  EXPECT_EQ(r.finalHeaders[0].first, "ARC-Seal");
  EXPECT_EQ(r.finalHeaders[1].first, "ARC-Message-Signature");
  EXPECT_EQ(r.finalHeaders[2].first, "ARC-Authentication-Results");
  EXPECT_TRUE(has(r.finalHeaders[0].second, "cv=none")) << r.finalHeaders[0].second;
  EXPECT_TRUE(has(r.finalHeaders[2].second, "i=1; mx.e2e.test;")) << r.finalHeaders[2].second;
  EXPECT_TRUE(has(r.finalHeaders[2].second, "spf=pass")) << r.finalHeaders[2].second;
  EXPECT_TRUE(waitForOutput(*env.milter, "arc.seal=yes arc.seal.i=1")) << env.milter->output();
  std::string msg = messageText(r.finalHeaders, m.body), out;
  EXPECT_EQ(verify("py", msg, &out), "pass") << out << msg;
  EXPECT_EQ(verify("pl", msg, &out), "pass") << out << msg;
}

TEST_F(ArcSealE2E, SecondHopOnAChainSealedByDkimpy) {
  // Hop 1: a list host seals with python3-dkim.
  auto m = message("bob@pass.e2e.test", "Bob <bob@pass.e2e.test>", "192.0.2.77");
  m.rcpts = {"<user@sign.e2e.test>"};
  am::milter_client::HeaderList h = {{"Authentication-Results", "list.e2e.test; arc=none; spf=pass smtp.mailfrom=pass.e2e.test"}};
  h.insert(h.end(), m.headers.begin(), m.headers.end());
  std::string in = tmp + "/hop0", hop1 = tmp + "/hop1";
  std::ofstream(in, std::ios::binary) << messageText(h, m.body);
  int st = -1;
  std::string out = runCommand(std::string("/usr/bin/python3 ") + AM_ARC_SCRIPTS + "/arc_sign.py " + listKey +
                                   " list.e2e.test py list.e2e.test 1796380000 " + in + " " + hop1 + " 2>&1",
                               &st);
  ASSERT_EQ(st, 0) << out;
  std::ifstream f(hop1, std::ios::binary);
  std::string sealed((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  parseInto(sealed, m);

  // Hop 2: us. Our verifier finds the chain intact, we add set 2 with cv=pass.
  Result r = send(env.socket, m);
  ASSERT_TRUE(r.ok()) << r.replyText;
  EXPECT_EQ(r.action, Result::Action::Accept);
  ASSERT_GE(r.finalHeaders.size(), 3u);
  EXPECT_EQ(r.finalHeaders[0].first, "ARC-Seal");
  EXPECT_TRUE(has(r.finalHeaders[0].second, "i=2")) << r.finalHeaders[0].second;
  EXPECT_TRUE(has(r.finalHeaders[0].second, "cv=pass")) << r.finalHeaders[0].second;
  EXPECT_TRUE(has(r.finalHeaders[2].second, "arc=pass")) << r.finalHeaders[2].second;
  std::string msg = messageText(r.finalHeaders, m.body);
  EXPECT_EQ(verify("py", msg, &out), "pass") << out << msg;
  EXPECT_EQ(verify("pl", msg, &out), "pass") << out << msg;
}

}  // namespace
