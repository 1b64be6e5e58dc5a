// tests/fuzz/milter_connection_fuzz.cpp — libFuzzer target: one whole milter connection's byte
// stream through authmilter's own server state machine (filter/milter/connection.h): framing,
// negotiation, macros, every SMTP stage, a core::Session per SMTP connection, end of message with
// SPF/DKIM/DMARC over an in-memory resolver. Invariants: every reply frames as complete packets,
// and no transaction is left open once the Connection is gone.
// One Engine for the process (built on first use); one Connection per input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "tests/support/memorydns/memory_resolver.h"
#include "filter/config/config.h"
#include "filter/core/engine.h"
#include "filter/core/log.h"
#include "filter/milter/codec.h"
#include "filter/milter/connection.h"

using namespace am;

namespace {

core::Engine& engine() {
  static core::Logger log;
  static FixedClock clock{1700000000};
  static std::unique_ptr<core::Engine> e = [] {
    auto cfg = config::parseText("AuthservID mx.test\nSyslog no\nInternalHosts 10.0.0.0/8\n", "fuzz.conf");
    if (!cfg.config) std::abort();
    auto dns = std::make_unique<InMemoryResolver>();
    dns->addTxt("pass.test", "v=spf1 ip4:192.0.2.0/24 -all");
    dns->addTxt("_dmarc.pass.test", "v=DMARC1; p=reject; rua=mailto:r@pass.test");
    dns->addTxt("bank.test", "v=spf1 include:pass.test a mx ptr exists:%{i}.x.test ~all");
    dns->addTxt("_dmarc.bank.test", "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=50");
    dns->addTxt("sel._domainkey.pass.test", "v=DKIM1; k=rsa; p=");
    // RFC 6376 Appendix A/C: the signed example message verifies against this key.
    dns->addTxt("brisbane._domainkey.example.com",
                "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
                "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi"
                "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB");
    dns->addTxt("_dmarc.football.example.com", "v=DMARC1; p=none");
    dns->addTxt("football.example.com", "v=spf1 ip4:192.0.2.1 -all");
    std::vector<std::string> errors;
    auto made = core::Engine::create(cfg.config, log, std::move(dns), clock, errors);
    if (!made) std::abort();
    return made;
  }();
  return *e;
}

void checkReplies(std::string_view out) {
  while (!out.empty()) {
    milter::Frame f = milter::nextFrame(out);
    if (f.status != milter::Frame::Status::Complete) std::abort();
    out.remove_prefix(f.size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  core::Engine& e = engine();
  {
    milter::Connection conn(e, "fuzz");
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string out;
    while (!in.empty()) {
      milter::Frame f = milter::nextFrame(in);
      if (f.status != milter::Frame::Status::Complete) break;
      milter::Connection::Next next = conn.onPacket(f.cmd, f.data, out);
      in.remove_prefix(f.size);
      checkReplies(out);
      out.clear();
      if (next == milter::Connection::Next::Close) break;
    }
  }
  if (e.transactionsInFlight.load() != 0) std::abort();
  return 0;
}
