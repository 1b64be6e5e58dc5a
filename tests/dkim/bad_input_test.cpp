// tests/dkim/bad_input_test.cpp — hostile or broken input must give a result value, never a
// crash, a hang or unbounded work: garbage DKIM-Signature fields, 10,000 signatures, keys
// that are not keys, over-long key records, odd DNS answers, 8-bit headers, API misuse.
// Also: x=/t= judged by the injected Clock, using a signature made with libopendkim itself.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "common/strings.h"
#include "test_util.h"
#include "zone.h"

namespace am::dkim::test {
namespace {

const std::string kRfc = std::string(AM_TESTDATA_DIR) + "/dkim-rfc-examples";

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [n, v] : loadZoneTxt(kRfc + "/rfc8463.zone")) dns_.addTxt(n, v);
    msg_ = parseMessage(readFile(kRfc + "/rfc8463-A.3-signed.eml"));
    for (const auto& h : msg_.headers) {
      if (iequals(h.first, "DKIM-Signature")) sigs_.push_back(h.second);
      else plain_.push_back(h);
    }
    ASSERT_EQ(sigs_.size(), 2u);  // [0] ed25519 (brisbane), [1] rsa-sha256 (test)
    lib_ = makeVerifier(dns_, VerifyOptions{}, clock_);
    ASSERT_TRUE(lib_);
  }
  // The RFC 8463 message with the given DKIM-Signature values on top.
  Message with(const std::vector<std::string>& sigValues) const {
    Message m;
    for (const auto& v : sigValues) m.headers.push_back({"DKIM-Signature", v});
    m.headers.insert(m.headers.end(), plain_.begin(), plain_.end());
    m.body = msg_.body;
    return m;
  }
  InMemoryResolver dns_;
  FixedClock clock_{1767225600};
  std::unique_ptr<Verifier> lib_;
  Message msg_;
  std::vector<std::string> sigs_;
  std::vector<std::pair<std::string, std::string>> plain_;
};

TEST_F(BadInput, ReferenceMessagePasses) {
  auto r = verify(*lib_, with(sigs_));
  ASSERT_EQ(r.size(), 2u) << describe(r);
  EXPECT_EQ(r[0].result, DkimResult::Pass);
  EXPECT_EQ(r[1].result, DkimResult::Pass);
}

TEST_F(BadInput, MissingTagsArePermerrorWithoutDnsQuery) {
  auto r = verify(*lib_, with({" v=1; a=rsa-sha256; d=football.example.com; s=test"}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].domain, "football.example.com");
  EXPECT_EQ(dns_.queries(), 0u);
}

TEST_F(BadInput, BadBase64SignatureIsPermerror) {
  std::string v = sigs_[1];
  v.replace(v.find("b=") + 2, 10, "!!!!@@@@##");
  auto r = verify(*lib_, with({v}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
}

TEST_F(BadInput, DuplicatedTagsArePermerror) {
  auto r = verify(*lib_, with({sigs_[1] + "; d=football.example.com"}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "duplicate tag d=");
  EXPECT_EQ(dns_.queries(), 0u);
}

TEST_F(BadInput, HugeHeaderListGivesAResult) {
  std::string h = "from";
  for (int i = 0; i < 20000; ++i) h += ":x-filler-" + std::to_string(i);
  std::string v = sigs_[1];
  size_t at = v.find("h=");
  v.replace(at, v.find(';', at) - at, "h=" + h);
  auto r = verify(*lib_, with({v}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NE(r[0].result, DkimResult::Pass) << describe(r);
}

TEST_F(BadInput, TenThousandSignaturesAreCappedAndCheap) {
  std::vector<std::string> many(10000, sigs_[0]);
  auto r = verify(*lib_, with(many));
  ASSERT_EQ(r.size(), VerifyOptions{}.maxSignatures);
  for (const auto& o : r) EXPECT_EQ(o.result, DkimResult::Pass) << describe(r);
  EXPECT_LE(dns_.queries(), VerifyOptions{}.maxSignatures);
}

TEST_F(BadInput, KeyRecordThatIsNotAKey) {
  dns_.clear();
  dns_.addTxt("test._domainkey.football.example.com", "hello world, this is not a key");
  auto r = verify(*lib_, with({sigs_[1]}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
}

TEST_F(BadInput, KeyRecordLongerThanLibraryBufferIsReportedClearly) {
  auto zone = loadZoneTxt(kRfc + "/rfc8463.zone");
  std::string key = zone.at("test._domainkey.football.example.com");
  // Like an 8192-bit key: the record exceeds libopendkim's 1024-byte buffer, so p= is cut.
  std::string padded = "v=DKIM1; k=rsa; n=" + std::string(900, 'x') + "; p=" + key.substr(key.find("p=") + 2);
  dns_.clear();
  dns_.addTxt("test._domainkey.football.example.com", padded);
  dns_.addTxt("brisbane._domainkey.football.example.com", zone.at("brisbane._domainkey.football.example.com"));
  auto r = verify(*lib_, with(sigs_));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
  if (kLibopendkimEngine) {
    EXPECT_EQ(r[1].result, DkimResult::PermError) << describe(r);
    EXPECT_EQ(r[1].reason, "key record too long");
  } else {  // the native engine reads the whole record (8192-bit keys verify)
    EXPECT_EQ(r[1].result, DkimResult::Pass) << describe(r);
  }
}

TEST_F(BadInput, SeveralKeyRecordsArePermerror) {
  dns_.addTxt("test._domainkey.football.example.com", "v=DKIM1; k=rsa; p=AAAA");
  auto r = verify(*lib_, with({sigs_[1]}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "multiple key records");
}

TEST_F(BadInput, PermanentDnsFailureIsPermerror) {
  dns_.setStatus("test._domainkey.football.example.com", RrType::TXT, DnsStatus::PermFail);
  auto r = verify(*lib_, with({sigs_[1]}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "key lookup failed (permanent DNS error)");
}

TEST_F(BadInput, OverlongSelectorLabelIsRejectedBeforeDns) {
  std::string v = sigs_[1];
  v.replace(v.find("s=test"), 6, "s=" + std::string(70, 'a'));
  auto r = verify(*lib_, with({v}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "invalid s= tag");
  EXPECT_EQ(dns_.queries(), 0u);
}

TEST_F(BadInput, EightBitHeaders) {
  Message m = with(sigs_);
  m.headers.push_back({"X-Unsigned", " caf\xc3\xa9 \xff\xfe raw bytes"});
  auto r = verify(*lib_, m);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].result, DkimResult::Pass) << describe(r);
  std::string v = sigs_[1] + "; z=caf\xc3\xa9";
  r = verify(*lib_, with({v}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::PermError) << describe(r);
  EXPECT_EQ(r[0].reason, "signature syntax error: invalid character in tag value");
}

TEST_F(BadInput, ApiMisuseAndOddFieldsDoNotCrash) {
  auto v = lib_->startVerify("misuse");
  v->body("body before headers\r\n");  // implies end of headers
  v->header("DKIM-Signature", sigs_[0]);  // too late: ignored
  auto first = v->finish();
  EXPECT_TRUE(first.empty());
  EXPECT_TRUE(v->finish().empty());

  auto w = lib_->startVerify("odd");
  w->header("", "");
  w->header("No-Value", "");
  w->header("DKIM-Signature", "");
  w->header("DKIM-Signature", " ;;;=;;");
  for (const auto& h : plain_) w->header(h.first, h.second);
  w->endOfHeaders();
  w->endOfHeaders();
  w->body(msg_.body);
  auto r = w->finish();
  ASSERT_EQ(r.size(), 2u) << describe(r);
  for (const auto& o : r) EXPECT_EQ(o.result, DkimResult::PermError) << describe(r);
  auto again = w->finish();
  ASSERT_EQ(again.size(), r.size());
  EXPECT_EQ(again[0].reason, r[0].reason);
}

TEST_F(BadInput, UnsignedMessageHasNoResults) {
  Message m;
  m.headers = plain_;
  m.body = msg_.body;
  EXPECT_TRUE(verify(*lib_, m).empty());
}

class ThrowingResolver final : public Resolver {
 public:
  TxtAnswer txt(std::string_view) override { throw std::runtime_error("boom"); }
  AddrAnswer addrs(std::string_view, Family) override { return {}; }
  MxAnswer mx(std::string_view) override { return {}; }
  PtrAnswer ptr(const IpAddress&) override { return {}; }
};

TEST_F(BadInput, ResolverExceptionIsTemperror) {
  ThrowingResolver boom;
  auto lib = makeVerifier(boom, VerifyOptions{}, clock_);
  ASSERT_TRUE(lib);
  auto r = verify(*lib, with({sigs_[1]}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::TempError) << describe(r);
}

TEST_F(BadInput, OneLibraryServesManyThreads) {
  // One Verifier, one Verification per message, several threads: the DNS log pointer is
  // thread-local and per call, so each thread's results must be its own.
  std::atomic<int> passes{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const bool tamper = (i + t) % 3 == 0;
        Message m = with(sigs_);
        if (tamper) m.body += "tampered\r\n";
        auto r = verify(*lib_, m, 7);
        const bool ok = r.size() == 2 && r[0].result == (tamper ? DkimResult::Fail : DkimResult::Pass) &&
                        r[1].result == r[0].result;
        (ok ? passes : wrong)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(passes.load(), 40);
  EXPECT_EQ(wrong.load(), 0);
}

// ---- x= / t= against the injected clock, with a signature libopendkim makes (OpenDkimVerifier::raw()).

std::string signWithLibopendkim(DKIM_LIB* lib, uint64_t when, uint64_t ttl) {
  std::string pem = readFile(kRfc + "/rfc8463-A.1-rsa.private.pem");
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &when, sizeof when);
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof ttl);
  DKIM_STAT st;
  DkimPtr d(dkim_sign(lib, reinterpret_cast<const u_char*>("sign"), nullptr,
                      reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(pem.c_str())),
                      reinterpret_cast<const u_char*>("test"), reinterpret_cast<const u_char*>("football.example.com"),
                      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st));
  if (!d) return "";
  for (const char* h : {"From: a@football.example.com", "To: b@example.org", "Subject: clock"}) {
    std::string s = h;
    dkim_header(d.get(), reinterpret_cast<u_char*>(s.data()), s.size());
  }
  dkim_eoh(d.get());
  std::string body = "tick tock\r\n";
  dkim_body(d.get(), reinterpret_cast<u_char*>(body.data()), body.size());
  if (dkim_eom(d.get(), nullptr) != DKIM_STAT_OK) return "";
  u_char* hv = nullptr;
  size_t hl = 0;
  if (dkim_getsighdr_d(d.get(), 16, &hv, &hl) != DKIM_STAT_OK) return "";
  std::string v(reinterpret_cast<char*>(hv), hl);
  std::string lf;  // libopendkim folds with CRLF; an MTA delivers LF
  for (char c : v)
    if (c != '\r') lf.push_back(c);
  return " " + lf;
}

TEST_F(BadInput, ExpiryAndFutureTimestampsFollowTheInjectedClock) {
  FixedClock clock(0);
  auto signer = OpenDkimVerifier::create(dns_, VerifyOptions{}, clock, nullptr);
  auto lib = makeVerifier(dns_, VerifyOptions{}, clock);
  ASSERT_TRUE(signer && lib);
  const uint64_t t0 = 1500000000;  // 2017: far from the real time, so only the Clock can decide
  std::string sig = signWithLibopendkim(signer->raw(), t0, 3600);
  ASSERT_NE(sig.find("x=1500003600"), std::string::npos) << sig;
  Message m;
  m.headers = {{"DKIM-Signature", sig}, {"From", " a@football.example.com"}, {"To", " b@example.org"},
               {"Subject", " clock"}};
  m.body = "tick tock\r\n";
  struct Case { int64_t now; DkimResult want; const char* reason; };
  for (const Case& c : {Case{int64_t(t0) + 100, DkimResult::Pass, ""},
                        Case{int64_t(t0) + 3600 + 299, DkimResult::Pass, ""},
                        Case{int64_t(t0) + 3600 + 301, DkimResult::PermError, "signature expired"},
                        Case{int64_t(t0) - 299, DkimResult::Pass, ""},
                        Case{int64_t(t0) - 301, DkimResult::PermError, "signature timestamp in the future"}}) {
    clock.set(c.now);
    auto r = verify(*lib, m);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].result, c.want) << "now=" << c.now << " " << describe(r);
    EXPECT_EQ(r[0].reason, c.reason) << "now=" << c.now;
  }
}

}  // namespace
}  // namespace am::dkim::test
