// tests/dkim/dkimpy_conformance_test.cpp — dkimpy 1.1.4's vectors (dkim-dkimpy/vectors.tsv)
// through the production Verification class, one TEST_P case per vector row.
//   verify       the stored signed message, DNS from dns-records.tsv (or the corrupt key the
//                notes quote);
//   sign-verify  signed at test time by Debian's dkimpy with the row's key, then verified;
//                the variants the notes name (all four c=, l=, tampered body, added From,
//                another published key) are run inside the same case;
//   key-parse    a signature whose published key is unparsable must not pass.
// `sign-error` rows (the signer must refuse a message without From) concern signing, not
// verification, and are not instantiated here.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "common/strings.h"
#include "test_util.h"
#include "zone.h"

namespace am::dkim::test {
namespace {

const std::string kDir = std::string(AM_TESTDATA_DIR) + "/dkim-dkimpy";
const std::string kDataDir = kDir + "/data";

struct Row { int line; std::string kind, message, key, selDom, expected, notes; };

// The rows to run (sign-error rows are dkimpy's signer's business). A row with fewer than 6
// columns is listed in *shortRows; DkimpySuite.RowsAndCases requires none.
std::vector<Row> rows(std::vector<std::string>* shortRows = nullptr) {
  std::vector<Row> out;
  std::istringstream in(readFile(kDir + "/vectors.tsv"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto c = split(line, "\t", false);
    if (c.size() < 6) {
      if (shortRows != nullptr) shortRows->push_back(line);
      continue;
    }
    if (c[0] == "sign-error") continue;
    out.push_back({n, c[0], c[1], c[2], c[3], c[4], c[5]});
  }
  return out;
}

std::string name(const Row& r) {
  std::string s = r.kind + "_" + r.message + "_" + r.key + "_line" + std::to_string(r.line);
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

struct SelDom { std::vector<std::string> selectors; std::string domain; };
SelDom parseSelDom(const std::string& s) {
  size_t slash = s.find(" / ");
  SelDom r;
  r.selectors = split(s.substr(0, slash), "+");
  r.domain = s.substr(slash + 3);
  return r;
}

bool allPass(const std::vector<DkimOutput>& r) {
  return !r.empty() && std::all_of(r.begin(), r.end(), [](const DkimOutput& o) { return o.result == DkimResult::Pass; });
}
bool anyPass(const std::vector<DkimOutput>& r) {
  return std::any_of(r.begin(), r.end(), [](const DkimOutput& o) { return o.result == DkimResult::Pass; });
}

// The TXT value published for `owner` for this row: a key file named in the notes
// ("verify with key X"), the corrupt key quoted in the notes, else dns-records.tsv.
std::string keyRecord(const Row& r, const std::string& owner) {
  const std::string& n = r.notes;
  if (size_t p = n.find("verify with key "); p != std::string::npos) {
    std::string file = n.substr(p + 16, n.find(' ', p + 16) - p - 16);
    return std::string(trim(readFile(kDataDir + "/" + file)));
  }
  if (size_t p = n.find("CORRUPT key \""); p != std::string::npos)
    return n.substr(p + 13, n.find('"', p + 13) - p - 13);
  // dns-records.tsv: the rsavariants rows "replace the line above in that module".
  const bool rsaVariant = r.key.find("testkey") != std::string::npos;
  std::string found;
  for (const auto& d : loadDkimpyDns(kDir + "/dns-records.tsv", kDataDir)) {
    if (d.name != owner) continue;
    if (found.empty() || (rsaVariant && d.usedBy.find("rsavariants") != std::string::npos)) found = d.value;
  }
  return found;
}

void PrintTo(const Row& r, std::ostream* os) { *os << r.kind << " " << r.message << " " << r.key; }

struct Env {
  InMemoryResolver dns;
  // Signatures are made at test time (t= = now): verify at the same instant.
  FixedClock clock{SystemClock::instance().unixSeconds()};
  std::unique_ptr<Verifier> lib;
  Env() { lib = makeVerifier(dns, VerifyOptions{}, clock); }
};

std::string algFor(const std::string& key) {
  return key.find("ed25519") != std::string::npos || key.find("rfc8032") != std::string::npos ? "ed25519-sha256"
                                                                                               : "rsa-sha256";
}

class Dkimpy : public ::testing::TestWithParam<Row> {};

const DkimOutput* find(const std::vector<DkimOutput>& res, const std::string& sel, const std::string& dom) {
  for (const auto& o : res)
    if (o.selector == sel && o.domain == toLower(dom)) return &o;
  return nullptr;
}

TEST_P(Dkimpy, Vector) {
  Row r = GetParam();
  if (r.kind == "key-parse") {  // notes: sign test.message with test.private, publish the bad key
    r = Row{r.line, "sign-verify", "test.message", "test.private", "test / example.com", "not pass",
            "verify with key " + r.key + " "};
  }
  Env env;
  ASSERT_TRUE(env.lib);
  SelDom sd = parseSelDom(r.selDom);
  for (const auto& s : sd.selectors) {
    std::string owner = toLower(s + "._domainkey." + sd.domain);
    env.dns.addTxt(owner, keyRecord(r, owner));
  }
  const bool wantPass = r.expected.rfind("pass", 0) == 0;
  const bool robustness = r.expected.rfind("(pass", 0) == 0;
  std::string raw = readFile(kDataDir + "/" + r.message);

  if (r.kind == "verify") {
    auto res = verify(*env.lib, parseMessage(toCrlf(raw)));
    if (wantPass) {
      EXPECT_EQ(res.size(), sd.selectors.size()) << describe(res);
      EXPECT_TRUE(allPass(res)) << describe(res);
    } else {
      ASSERT_FALSE(res.empty());
      EXPECT_FALSE(anyPass(res)) << describe(res);
    }
    return;
  }
  const std::string key = kDataDir + "/" + r.key;
  const std::string alg = algFor(r.key);
  const std::string sel = sd.selectors.front();
  std::vector<std::pair<std::string, std::string>> canons{{"relaxed", "relaxed"}};
  if (r.notes.find("all four c=") != std::string::npos)
    canons = {{"simple", "simple"}, {"simple", "relaxed"}, {"relaxed", "simple"}, {"relaxed", "relaxed"}};
  for (const auto& [hc, bc] : canons) {
    SCOPED_TRACE("c=" + hc + "/" + bc);
    auto signedMsg = dkimpySign(raw, key, sel, sd.domain, hc, bc, alg);
    ASSERT_TRUE(signedMsg.has_value()) << "dkimpy failed to sign";
    auto all = verify(*env.lib, parseMessage(*signedMsg), 777);
    const DkimOutput* mine = find(all, sel, sd.domain);  // message.mbox also carries an old signature
    ASSERT_NE(mine, nullptr) << describe(all);
    std::vector<DkimOutput> res{*mine};
    if (robustness) continue;  // 8-bit message: any verdict, no crash
    const std::string& n = r.notes;
    if (n.find("append \"foo\"") != std::string::npos) {
      EXPECT_TRUE(allPass(res)) << describe(res);
      auto tampered = verify(*env.lib, parseMessage(*signedMsg + "foo"));
      const DkimOutput* t = find(tampered, sel, sd.domain);
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->result, DkimResult::Fail) << describe(tampered);
      EXPECT_EQ(t->reason, "body hash mismatch");
    } else if (n.find("add a second From") != std::string::npos) {
      EXPECT_TRUE(allPass(res)) << describe(res);
      for (bool before : {true, false}) {
        Message m = parseMessage(*signedMsg);
        auto from = std::find_if(m.headers.begin(), m.headers.end(), [](auto& h) { return iequals(h.first, "From"); });
        ASSERT_NE(from, m.headers.end());
        m.headers.insert(before ? from : from + 1, {"From", " Evil <evil@example.com>"});
        auto v = verify(*env.lib, m);
        const DkimOutput* o = find(v, sel, sd.domain);
        ASSERT_NE(o, nullptr);
        EXPECT_NE(o->result, DkimResult::Pass) << (before ? "From added before: " : "From added after: ") << describe(v);
      }
      Message m = parseMessage(*signedMsg);
      m.headers.push_back({"X-Foo", " bar"});
      auto v = verify(*env.lib, m);
      EXPECT_TRUE(find(v, sel, sd.domain) && find(v, sel, sd.domain)->result == DkimResult::Pass)
          << "unsigned X-Foo must not break the signature: " << describe(v);
    } else if (wantPass) {
      EXPECT_TRUE(allPass(res)) << describe(res);
    } else {
      EXPECT_FALSE(anyPass(res)) << describe(res);
      EXPECT_NE(res[0].result, DkimResult::Fail) << "a bad key record is an error, not a crypto failure: " << describe(res);
    }
  }
  if (r.notes.find("also with l=") != std::string::npos) {
    auto signedMsg = dkimpySign(raw, key, sel, sd.domain, "relaxed", "simple", alg, true);
    ASSERT_TRUE(signedMsg.has_value());
    auto v = verify(*env.lib, parseMessage(*signedMsg));
    EXPECT_TRUE(find(v, sel, sd.domain) && find(v, sel, sd.domain)->result == DkimResult::Pass)
        << "l= signature: " << describe(v);
  }
}

INSTANTIATE_TEST_SUITE_P(Dkim, Dkimpy, ::testing::ValuesIn(rows()),
                         [](const auto& i) { return name(i.param); });

// Every data row is complete and every runnable row is a case: 6 verify, 17 sign-verify,
// 1 key-parse (the one sign-error row is not run here).
TEST(DkimpySuite, RowsAndCases) {
  std::vector<std::string> shortRows;
  EXPECT_EQ(rows(&shortRows).size(), 24u);
  EXPECT_TRUE(shortRows.empty()) << (shortRows.empty() ? "" : shortRows[0]);
}

}  // namespace
}  // namespace am::dkim::test
