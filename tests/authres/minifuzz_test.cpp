// tests/authres/minifuzz_test.cpp — deterministic "mini-fuzz": 20,000 seeded mutations of valid
// values (the authres vectors plus hand-written ones) go through parse/authservIdOf/claimsAuthservId/
// format, and 3,000 random ResInfo sets go through format. Besides "no crash" (ASan/UBSan in CI) it
// checks invariants: authservIdOf agrees with parse, and format's output always parses back with the
// same methods and results. Fixed seed, bounded inputs: fast and reproducible.
#include <nlohmann/json.hpp>

#include <random>

#include "common/strings.h"
#include "tests/authres/test_util.h"

namespace am::authres::test {
namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out = {
      "mx.example.org; spf=pass smtp.mailfrom=user@example.net",
      "(c) \"mx.example.org\" 1; none (nothing)",
      "mx.example.org; dkim=pass (good (nested)) reason=\"ok \\\"x\\\"\" header.d=example.com header.b=\"a/b\"",
      "mx.example.org;\r\n\tdmarc=fail (p=reject) header.from=example.com;\n\tarc=none",
      "mx.example.org; spf=pass smtp.rcptto=\"john doe\"@example.com policy.iprev=\"2001:db8::1\" (host)",
  };
  nlohmann::json all = nlohmann::json::parse(readFile(casesPath()), nullptr, false);
  if (!all.is_object()) return out;
  for (const auto& c : all.value("parse", nlohmann::json::array()))
    out.push_back(headerValue(c.value("header", "")));
  for (const auto& c : all.value("generate", nlohmann::json::array()))
    out.push_back(headerValue(c.value("expected", "")));
  return out;
}

constexpr char kInterestingBytes[] = "();\"\\=.@/ \t\r\n\0\xff\xc3\xa9-_:,";
constexpr std::string_view kInteresting(kInterestingBytes, sizeof kInterestingBytes - 1);

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}
  size_t below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  char anyByte() { return below(2) ? kInteresting[below(kInteresting.size())] : static_cast<char>(below(256)); }

  std::string mutate(std::string s, const std::vector<std::string>& pool) {
    size_t rounds = 1 + below(4);
    for (size_t i = 0; i < rounds; ++i) step(s, pool);
    if (s.size() > 4096) s.resize(4096);
    return s;
  }

 private:
  void step(std::string& s, const std::vector<std::string>& pool) {
    size_t at = below(s.size() + 1);
    switch (below(6)) {
      case 0: if (!s.empty()) s[below(s.size())] = anyByte(); break;
      case 1: s.insert(at, 1 + below(3), anyByte()); break;
      case 2: s.erase(at, below(8)); break;
      case 3: if (at < s.size()) s.insert(at, s.substr(at, below(16))); break;
      case 4: { const std::string& o = pool[below(pool.size())]; s.insert(at, o.substr(below(o.size() + 1))); break; }
      default: s.resize(at); break;
    }
  }
  std::mt19937 rng_;
};

void checkFormatRoundTrip(const std::string& id, const std::vector<ResInfo>& in, size_t expectCount) {
  std::string out = format(id, in);
  ASSERT_EQ(out.find('\r'), std::string::npos);
  auto back = parse(out, nullptr);
  ASSERT_TRUE(back.has_value()) << "format output does not parse: " << out;
  ASSERT_EQ(back->results.size(), expectCount) << out;
}

TEST(AuthresMiniFuzz, MutatedValuesNeverBreakTheInvariants) {
  std::vector<std::string> pool = seeds();
  ASSERT_GE(pool.size(), 30u);
  Mutator m(20261123);
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string v = m.mutate(pool[i % pool.size()], pool);
    std::string id = authservIdOf(v);
    bool claims = claimsAuthservId(v, "mx.example.org");
    auto p = parse(v, nullptr);
    if (!p) continue;
    ++accepted;
    ASSERT_EQ(id, p->authservId) << v;
    if (!id.empty()) {
      ASSERT_TRUE(claimsAuthservId(v, id)) << v;
    }
    if (claims) {
      ASSERT_EQ(normalizeDomain(id), "mx.example.org") << v;
    }
    checkFormatRoundTrip(p->authservId, p->results, p->results.size());
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(accepted, 1000u) << "mutations too destructive to reach deep parser states";
}

std::string randomText(Mutator& m, size_t max) {
  std::string s(m.below(max + 1), ' ');
  for (auto& c : s) c = m.anyByte();
  return s;
}

TEST(AuthresMiniFuzz, RandomResultsAlwaysFormatToParseableValues) {
  Mutator m(7);
  const char* methods[] = {"spf", "dkim", "dmarc", "arc", "none", "", "x;y", "(", "auth"};
  for (int i = 0; i < 3000; ++i) {
    std::vector<ResInfo> in(m.below(5));
    size_t valid = 0;
    for (auto& r : in) {
      r.method = m.below(4) ? methods[m.below(9)] : randomText(m, 8);
      r.result = m.below(4) ? "pass" : randomText(m, 6);
      r.reason = m.below(3) ? "" : randomText(m, 40);
      r.comment = m.below(2) ? "" : randomText(m, 60);
      for (size_t k = m.below(4); k > 0; --k)
        r.props.push_back({m.below(3) ? "header" : randomText(m, 5), m.below(3) ? "d" : randomText(m, 5),
                           randomText(m, 50), m.below(3) ? "" : randomText(m, 20)});
      bool keep = false;
      for (char c : r.method) keep |= std::isalnum(static_cast<unsigned char>(c)) || c == '-';
      bool resOk = false;
      for (char c : r.result) resOk |= std::isalnum(static_cast<unsigned char>(c)) || c == '-';
      if (keep && resOk && !(r.method == "none" && r.result.empty())) ++valid;
    }
    checkFormatRoundTrip(randomText(m, 30), in, valid);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace am::authres::test
