// tests/dkim/conformance_test.cpp — runs the external DKIM suites in ${AM_TESTDATA_DIR}
// through the production Verification class, one TEST_P case per vector:
//   RfcExamples  dkim-rfc-examples/expected.tsv (+ .zone files)
//   MailDkim     dkim-mail-dkim/expected-results.tsv (+ FAKE_DNS.dat), upstream expectations
//                mapped to an RFC 6376 + RFC 8301 verifier (see expectedMailDkim())
//   MailDkimWeakCrypto  the MailDkim cases that verdict is policy (rsa-sha1, RSA keys under
//                1024 bits), run again with rsa-sha1 and 512-bit keys allowed, so that their
//                cryptographic verdicts (and RFC 6376's disregard of the key's g=) are tested too
//   Dkimpy       dkim-dkimpy/vectors.tsv (+ dns-records.tsv); sign-verify vectors are signed
//                with Debian's dkimpy at test time, then verified here.
// The time is fixed (2026-01-01) so results never depend on when the suite runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "common/strings.h"
#include "test_util.h"
#include "zone.h"

#ifndef AM_TESTDATA_DIR
#error "AM_TESTDATA_DIR must be defined"
#endif

namespace am::dkim::test {
namespace {

const std::string kData = AM_TESTDATA_DIR;
constexpr int64_t kFixedNow = 1767225600;  // 2026-01-01T00:00:00Z

std::string caseName(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

// The data rows of a TSV file. A row with fewer than `minCols` columns is not returned but
// listed in *shortRows, which SuiteCounts.RowsAndCases requires to stay empty: a truncated row
// fails the suite instead of silently dropping a case.
std::vector<std::vector<std::string>> readTsv(const std::string& path, size_t minCols,
                                              std::vector<std::string>* shortRows = nullptr) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(readFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto row = split(line, "\t", false);
    if (row.size() < minCols) {
      if (shortRows != nullptr) shortRows->push_back(path + ": " + line);
      continue;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

const char* const kRfcTsv = "/dkim-rfc-examples/expected.tsv";
constexpr size_t kRfcCols = 5;            // vector, message, DNS, expected, notes
const char* const kMailDkimTsv = "/dkim-mail-dkim/expected-results.tsv";
constexpr size_t kMailDkimCols = 7;       // file, expected, ?, sigs, keys, caveats, comment

bool anyPass(const std::vector<DkimOutput>& r) {
  return std::any_of(r.begin(), r.end(), [](const DkimOutput& o) { return o.result == DkimResult::Pass; });
}
bool allPass(const std::vector<DkimOutput>& r) {
  return !r.empty() && std::all_of(r.begin(), r.end(), [](const DkimOutput& o) { return o.result == DkimResult::Pass; });
}

struct Fixture {
  InMemoryResolver dns;
  FixedClock clock{kFixedNow};
  std::unique_ptr<Verifier> lib;
  explicit Fixture(VerifyOptions o = {}) {
    std::string err;
    lib = makeVerifier(dns, std::move(o), clock, &err);
  }
};

// ------------------------------------------------------------------ RFC examples

struct RfcVector { std::string name, message, zone, expected; };

std::vector<RfcVector> rfcVectors() {
  std::vector<RfcVector> v;
  for (auto& row : readTsv(kData + kRfcTsv, kRfcCols)) {
    if (row[3].find("pass") == std::string::npos) continue;  // rfc8463-sign: a signing vector (dkim_sign)
    std::string zone = row[2].substr(0, row[2].find(' '));
    if (zone == "same") zone = "rfc6376.zone";
    v.push_back({row[0], row[1], zone, row[3]});
  }
  return v;
}

void PrintTo(const RfcVector& v, std::ostream* os) { *os << v.name; }

class RfcExamples : public ::testing::TestWithParam<RfcVector> {};

TEST_P(RfcExamples, Verifies) {
  const RfcVector& t = GetParam();
  Fixture f;
  ASSERT_TRUE(f.lib);
  for (const auto& [name, value] : loadZoneTxt(kData + "/dkim-rfc-examples/" + t.zone)) {
    f.dns.addTxt(name, value);
    // rfc6376.zone note: the Appendix A signature uses d=example.com; serve the record there too.
    if (name == "brisbane._domainkey.example.org") f.dns.addTxt("brisbane._domainkey.example.com", value);
  }
  auto msg = parseMessage(readFile(kData + "/dkim-rfc-examples/" + t.message));
  auto r = verify(*f.lib, msg);
  if (t.expected.rfind("NOT pass", 0) == 0) {
    ASSERT_FALSE(r.empty()) << describe(r);
    EXPECT_FALSE(anyPass(r)) << describe(r);
  } else {
    size_t want = static_cast<size_t>(std::count(t.expected.begin(), t.expected.end(), ',') + 1);
    EXPECT_EQ(r.size(), want) << describe(r);
    EXPECT_TRUE(allPass(r)) << describe(r);
  }
}

INSTANTIATE_TEST_SUITE_P(Dkim, RfcExamples, ::testing::ValuesIn(rfcVectors()),
                         [](const auto& i) { return caseName(i.param.name); });

// ------------------------------------------------------------------ Mail::DKIM corpus

struct MailDkimVector {
  std::string file, expected, sigs, keys, caveats, comment;
};

std::vector<MailDkimVector> mailDkimVectors() {
  std::vector<MailDkimVector> v;
  for (auto& row : readTsv(kData + kMailDkimTsv, kMailDkimCols))
    v.push_back({row[0], row[1], row[3], row[4], row[5], row[6]});
  return v;
}

bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// The verdict an RFC 6376 + RFC 8301 verifier configured like ours (rsa-sha256 and
// ed25519-sha256 only, 1024-bit minimum) should reach, derived from the upstream expectation
// and the caveats column. Overall verdict = the best signature result
// (pass > fail > policy > neutral > temperror > permerror), none when no DKIM-Signature.
// `weakAllowed`: the verifier also accepts rsa-sha1 and RSA keys of 512 bits and more
// (weakCryptoOptions()), so the rsa-sha1 / key<1024 caveats no longer turn the crypto verdict
// into policy.
DkimResult expectedMailDkim(const MailDkimVector& t, bool weakAllowed = false) {
  if (has(t.caveats, "DomainKeys")) return DkimResult::None;           // DomainKey-Signature only
  std::string up = t.expected;
  if (up == "invalid" && has(t.caveats, "key-g=tag")) up = "pass";      // RFC 6376 dropped g=
  if (up == "invalid")
    return has(t.keys, "dns-error") ? DkimResult::TempError : DkimResult::PermError;
  if (has(t.caveats, "pre-RFC-draft")) return DkimResult::PermError;   // v= missing or not "1"
  if (!weakAllowed && (has(t.caveats, "rsa-sha1") || has(t.caveats, "key<1024"))) return DkimResult::Policy;
  return up == "pass" ? DkimResult::Pass : DkimResult::Fail;
}

// When the comment column lists upstream's per-signature assertions ("1st invalid (...), 2nd
// pass, ..."), map each the same way: invalid/unparseable → permerror, pass/fail → the
// crypto result, or policy under the rsa-sha1 / key<1024 caveats unless `weakAllowed`.
std::vector<DkimResult> perSignatureMailDkim(const MailDkimVector& t, bool weakAllowed = false) {
  std::vector<DkimResult> out;
  const std::string marker = "per signature upstream asserts:";
  size_t at = t.comment.find(marker);
  if (at == std::string::npos) return out;
  const bool policy = !weakAllowed && (has(t.caveats, "rsa-sha1") || has(t.caveats, "key<1024"));
  for (const auto& part : split(t.comment.substr(at + marker.size()), ",;")) {
    if (has(part, "invalid") || has(part, "unparseable")) out.push_back(DkimResult::PermError);
    else if (has(part, " pass")) out.push_back(policy ? DkimResult::Policy : DkimResult::Pass);
    else if (has(part, " fail")) out.push_back(policy ? DkimResult::Policy : DkimResult::Fail);
  }
  return out;
}

int rank(DkimResult r) {
  switch (r) {
    case DkimResult::Pass: return 6;
    case DkimResult::Fail: return 5;
    case DkimResult::Policy: return 4;
    case DkimResult::Neutral: return 3;
    case DkimResult::TempError: return 2;
    case DkimResult::PermError: return 1;
    default: return 0;
  }
}

DkimResult overall(const std::vector<DkimOutput>& r) {
  DkimResult best = DkimResult::None;
  for (const auto& o : r)
    if (rank(o.result) > rank(best)) best = o.result;
  return best;
}

void PrintTo(const MailDkimVector& v, std::ostream* os) { *os << v.file; }

class MailDkim : public ::testing::TestWithParam<MailDkimVector> {};

// Runs one corpus message through a verifier with `o` and checks the verdicts.
void checkMailDkim(const MailDkimVector& t, VerifyOptions o, bool weakAllowed) {
  Fixture f(std::move(o));
  ASSERT_TRUE(f.lib);
  loadFakeDns(kData + "/dkim-mail-dkim/FAKE_DNS.dat", f.dns);
  auto msg = parseMessage(readFile(kData + "/dkim-mail-dkim/corpus/" + t.file));
  auto r = verify(*f.lib, msg, 1000);
  if (auto each = perSignatureMailDkim(t, weakAllowed); !each.empty()) {
    ASSERT_EQ(r.size(), each.size()) << describe(r);
    for (size_t i = 0; i < each.size(); ++i)
      EXPECT_STREQ(toString(r[i].result), toString(each[i])) << "signature " << i << ": " << describe(r);
    return;
  }
  DkimResult want = expectedMailDkim(t, weakAllowed);
  EXPECT_STREQ(toString(overall(r)), toString(want)) << describe(r);
  if (want != DkimResult::None) {
    size_t sigs = split(t.sigs, " ").size();
    EXPECT_EQ(r.size(), sigs) << describe(r);
  }
}

TEST_P(MailDkim, Verifies) { checkMailDkim(GetParam(), VerifyOptions{}, false); }

INSTANTIATE_TEST_SUITE_P(Dkim, MailDkim, ::testing::ValuesIn(mailDkimVectors()),
                         [](const auto& i) { return caseName(i.param.file); });

// The verifier options of MailDkimWeakCrypto: RFC 8301's limits lifted (rsa-sha1 accepted,
// RSA keys of 512 bits and more, the smallest in FAKE_DNS.dat).
VerifyOptions weakCryptoOptions() {
  VerifyOptions o;
  o.minKeyBits = 512;
  o.algorithms.push_back("rsa-sha1");
  return o;
}

// The cases whose expected verdict (overall or for some signature) is policy under the
// default options.
std::vector<MailDkimVector> weakCryptoVectors() {
  std::vector<MailDkimVector> v;
  for (auto& t : mailDkimVectors()) {
    auto each = perSignatureMailDkim(t);
    if (expectedMailDkim(t) == DkimResult::Policy ||
        std::find(each.begin(), each.end(), DkimResult::Policy) != each.end())
      v.push_back(std::move(t));
  }
  return v;
}

class MailDkimWeakCrypto : public ::testing::TestWithParam<MailDkimVector> {};

TEST_P(MailDkimWeakCrypto, Verifies) { checkMailDkim(GetParam(), weakCryptoOptions(), true); }

INSTANTIATE_TEST_SUITE_P(Dkim, MailDkimWeakCrypto, ::testing::ValuesIn(weakCryptoVectors()),
                         [](const auto& i) { return caseName(i.param.file); });

// ------------------------------------------------------------------ case counts

// Every data row is complete, and the runners make as many cases as the suites hold (the
// dkimpy count is checked in dkimpy_conformance_test.cpp).
TEST(SuiteCounts, RowsAndCases) {
  std::vector<std::string> shortRows;
  EXPECT_EQ(readTsv(kData + kRfcTsv, kRfcCols, &shortRows).size(), 4u);
  EXPECT_EQ(readTsv(kData + kMailDkimTsv, kMailDkimCols, &shortRows).size(), 79u);
  EXPECT_TRUE(shortRows.empty()) << "short rows:\n" << [&] {
    std::string all;
    for (const auto& r : shortRows) all += r + "\n";
    return all;
  }();
  EXPECT_EQ(rfcVectors().size(), 3u);  // + rfc8463-sign, a signing vector (tests/sign)
  EXPECT_EQ(mailDkimVectors().size(), 79u);
  // rsa-sha1 / key<1024 cases that expect pass or fail (4 of them g= cases upstream calls
  // invalid), plus multiple_2 (per signature).
  EXPECT_EQ(weakCryptoVectors().size(), 17u);
}

}  // namespace
}  // namespace am::dkim::test
