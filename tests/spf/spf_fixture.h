// tests/spf/spf_fixture.h — shared fixture for evaluator unit tests: an InMemoryResolver, a
// FixedClock and helpers to run a check. Test code only; one fixture per test (not shared).
#pragma once
#include <gtest/gtest.h>

#include "common/clock.h"
#include "tests/support/memorydns/memory_resolver.h"
#include "filter/auth/spf/spf.h"

namespace am::spftest {

inline IpAddress ip(std::string_view s) {
  auto a = IpAddress::parse(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

class SpfFixture : public ::testing::Test {
 protected:
  InMemoryResolver dns;
  FixedClock clock{1700000000};
  spf::Options opts;

  SpfOutput mailFrom(std::string_view client, std::string_view from, std::string_view helo = "mx.example.org") {
    spf::Evaluator ev(dns, opts, clock);
    return ev.checkMailFrom(ip(client), from, helo);
  }
  SpfOutput helo(std::string_view client, std::string_view name) {
    spf::Evaluator ev(dns, opts, clock);
    return ev.checkHelo(ip(client), name);
  }
  // check_host() of `record` published at example.com for a sender there.
  SpfResult record(std::string_view rec, std::string_view client = "192.0.2.1") {
    dns.addTxt("example.com", std::string(rec));
    return mailFrom(client, "user@example.com").result;
  }
};

}  // namespace am::spftest
