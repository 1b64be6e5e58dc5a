// tests/arc/arc_test_util.cpp — see arc_test_util.h.
#include "tests/arc/arc_test_util.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "filter/auth/dkim/primitives/base64.h"
#include "filter/auth/dkim/primitives/openssl_ptr.h"
#include "test_util.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace am::arc::test {

const std::vector<SuiteCase>& validationSuite() {
  static const std::vector<SuiteCase> cases = [] {
    std::vector<SuiteCase> out;
    std::string path = std::string(AM_TESTDATA_DIR) + "/arc-test-suite/arc-draft-validation-tests.yml";
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAllFromFile(path);
    } catch (const std::exception&) {
      return out;
    }
    for (const auto& doc : docs) {
      std::map<std::string, std::string> txt;
      for (const auto& r : doc["txt-records"]) txt[r.first.as<std::string>()] = r.second.as<std::string>();
      for (const auto& t : doc["tests"]) {
        SuiteCase c;
        c.scenario = doc["description"].as<std::string>("");
        c.id = t.first.as<std::string>();
        c.message = t.second["message"].as<std::string>("");
        c.cv = t.second["cv"] && t.second["cv"].IsScalar() ? t.second["cv"].as<std::string>("") : "";
        while (!c.cv.empty() && (c.cv.back() == ' ' || c.cv.back() == '\n')) c.cv.pop_back();
        c.txt = txt;
        // A key repeated in one scenario (upstream has a few): the last one counts, as with the
        // suite's own Python loader.
        auto same = std::find_if(out.begin(), out.end(), [&](const SuiteCase& o) { return o.id == c.id; });
        if (same != out.end()) *same = std::move(c);
        else out.push_back(std::move(c));
      }
    }
    return out;
  }();
  return cases;
}

const SuiteCase& suiteCase(const std::string& id) {
  for (const auto& c : validationSuite())
    if (c.id == id) return c;
  static SuiteCase none;
  ADD_FAILURE() << "no suite case " << id;
  return none;
}

std::unique_ptr<Verifier> verifierWithKeysOf(const std::string& id, InMemoryResolver& dns) {
  loadTxt(suiteCase(id).txt, dns);
  return Verifier::create(dns, {}, nullptr);
}

void loadTxt(const std::map<std::string, std::string>& txt, InMemoryResolver& dns) {
  for (const auto& [name, record] : txt) dns.addTxt(name, record);
}

ChainResult verifyMessage(Verifier& v, const std::string& raw, size_t chunk) {
  dkim::test::Message m = dkim::test::parseMessage(raw);
  std::string body = dkim::test::toCrlf(m.body);
  auto ver = v.startVerify();
  for (const auto& [n, val] : m.headers) ver->header(n, val);
  ver->endOfHeaders();
  for (size_t off = 0; off < body.size(); off += chunk) ver->body(std::string_view(body).substr(off, chunk));
  return ver->finish();
}

std::optional<std::string> dkimpySeal(const std::string& message, const std::string& domain,
                                      const std::string& selector, const std::string& keyFile,
                                      const std::string& srvId, bool ed25519) {
  std::vector<std::string> argv{"/usr/bin/python3", std::string(AM_ARC_TOOLS_DIR) + "/dkimpy_arc_seal.py", domain,
                                selector, keyFile, srvId};
  if (ed25519) argv.push_back("ed25519");
  return dkim::test::run(argv, message);
}

std::string makeEd25519Key(const std::string& keyFile) {
  dkim::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return {};
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_private_key(key.get(), raw, &len) != 1 || len != 32) return {};
  dkim::test::writeFile(keyFile, dkim::base64Encode(raw, len) + "\n");
  len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key.get(), raw, &len) != 1 || len != 32) return {};
  return "v=DKIM1; k=ed25519; p=" + dkim::base64Encode(raw, len);
}

std::string makeRsaKey(const std::string& keyFile, unsigned bits) {
  dkim::EvpPkeyPtr key(EVP_RSA_gen(bits));
  if (!key) return {};
  dkim::BioPtr out(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  dkim::test::writeFile(keyFile, std::string_view(data, static_cast<size_t>(n)));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) return {};
  std::string p = dkim::base64Encode(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return "v=DKIM1; k=rsa; p=" + p;
}

}  // namespace am::arc::test
