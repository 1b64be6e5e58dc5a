// tests/e2e/reports_command_e2e_test.cpp — ReportCommand end to end: the real `authmilter report`
// handing each report to the real Postfix sendmail (`sendmail -C DIR -t -oi -f ...`) of a private
// Postfix instance (tests/postfix/postfix_instance.h; postdrop as root), whose relayhost is the SMTP
// sink of the ReportsE2E fixture; the reports arrive as through ReportSMTPRelay, validated and counted
// the same way, with Postfix's Received header. Needs root and the Debian package postfix.
#include <gtest/gtest.h>

#include <thread>

#include "tests/e2e/reports_e2e_fixture.h"
#include "tests/postfix/postfix_instance.h"

using namespace am::e2e;

TEST_F(ReportsE2E, ReportCommandDeliversThroughPostfixSendmail) {
  startSink();
  am::postfix_test::PostfixInstance::Options po;
  po.extraMainCf = "relayhost = [127.0.0.1]:" + std::to_string(sinkPort) + "\n";
  std::string err;
  auto postfix = am::postfix_test::PostfixInstance::start(po, &err);
  ASSERT_TRUE(postfix) << err;
  startMilter(env, "sqlite:" + work + "/reports.db",
              "ReportCommand /usr/sbin/sendmail -C " + postfix->configDir() + " -t -oi -f reports@mx.e2e.test\n");
  sendMessages();
  ASSERT_TRUE(waitForStored(6)) << env.milter->output();
  std::string out;
  EXPECT_EQ(report(&out), 0) << out;
  EXPECT_NE(out.find("reports 4 sent 3 refused 1 failed 0"), std::string::npos) << out;
  // sendmail returns once the message is in Postfix's queue; Postfix relays it on its own.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (delivered().size() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  checkDelivered(out + postfix->mailLog());
  for (auto& d : delivered()) {
    EXPECT_NE(d.raw.find("(Postfix, from userid 0)"), std::string::npos) << d.raw.substr(0, 600);
  }
  EXPECT_NE(postfix->mailLog().find("relay=127.0.0.1[127.0.0.1]:" + std::to_string(sinkPort)), std::string::npos)
      << postfix->mailLog();
  EXPECT_EQ(report(&out), 0) << out;  // nothing sent twice
  EXPECT_NE(out.find("sent 0"), std::string::npos) << out;
  postfix->stop();
}
