// tests/spf/received_spf_test.cpp — the Received-SPF header value (RFC 7208 §9.1): results,
// key=value pairs, quoting of hostile parts, and problem= / mechanism= selection.
#include <gtest/gtest.h>

#include "filter/auth/spf/spf.h"

namespace am::spf {
namespace {

SpfOutput output(SpfResult r, std::string sender, std::string reason) {
  SpfOutput o;
  o.result = r;
  o.sender = std::move(sender);
  o.domain = "example.com";
  o.reason = std::move(reason);
  o.checked = true;
  return o;
}

TEST(ReceivedSpf, PassLikeTheRfcExample) {
  auto o = output(SpfResult::Pass, "myname@example.com", "mechanism ip4:192.0.2.0/24 matched");
  EXPECT_EQ(receivedSpf(o, *IpAddress::parse("192.0.2.1"), "foo.example.com", "mybox.example.org"),
            "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) "
            "client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; helo=foo.example.com; "
            "receiver=mybox.example.org; identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\";");
}

TEST(ReceivedSpf, ErrorsCarryProblemAndHeloIdentity) {
  auto o = output(SpfResult::PermError, "postmaster@h.example", "too many DNS lookups");
  o.identity = SpfIdentity::Helo;
  std::string v = receivedSpf(o, *IpAddress::parse("2001:db8::1"), "h.example", "rcv.example");
  EXPECT_TRUE(v.starts_with("permerror (rcv.example: permanent error in processing domain of postmaster@h.example)"))
      << v;
  EXPECT_NE(v.find("client-ip=\"2001:db8::1\";"), std::string::npos) << v;
  EXPECT_NE(v.find("identity=helo;"), std::string::npos);
  EXPECT_NE(v.find("problem=\"too many DNS lookups\";"), std::string::npos);
  EXPECT_EQ(v.find("mechanism="), std::string::npos);
}

TEST(ReceivedSpf, DefaultMechanismWhenNoneMatched) {
  auto o = output(SpfResult::Neutral, "a@example.com", "no mechanism matched (default neutral)");
  std::string v = receivedSpf(o, *IpAddress::parse("::ffff:192.0.2.9"), "h.example.com", "r.example");
  EXPECT_TRUE(v.starts_with("neutral (r.example: 192.0.2.9 is neither permitted nor denied")) << v;
  EXPECT_NE(v.find("mechanism=default;"), std::string::npos) << v;
}

TEST(ReceivedSpf, HostileValuesAreQuotedAndSanitised) {
  auto o = output(SpfResult::Fail, "\"evil\\\"(x)@example.com", "mechanism -all matched");
  std::string v = receivedSpf(o, *IpAddress::parse("192.0.2.1"), "bad\r\nX-Injected: 1\xff", "rcv.example");
  EXPECT_EQ(v.find('\r'), std::string::npos);
  EXPECT_EQ(v.find('\n'), std::string::npos);
  for (char c : v) EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
  EXPECT_NE(v.find("helo=\"bad??X-Injected: 1?\";"), std::string::npos) << v;
  EXPECT_NE(v.find("envelope-from=\"\\\"evil\\\\\\\"(x)@example.com\";"), std::string::npos) << v;
  EXPECT_NE(v.find("domain of \"evil\\\\\"\\(x\\)@example.com does not designate"), std::string::npos) << v;
}

TEST(ReceivedSpf, LongValuesAreCapped) {
  auto o = output(SpfResult::None, std::string(5000, 'a') + "@example.com", "no SPF record for example.com");
  std::string v = receivedSpf(o, *IpAddress::parse("192.0.2.1"), std::string(5000, 'h'), "r");
  EXPECT_LT(v.size(), 1200u);
  EXPECT_TRUE(v.starts_with("none (r: domain of "));
  EXPECT_EQ(v.find("mechanism="), std::string::npos);
}

}  // namespace
}  // namespace am::spf
