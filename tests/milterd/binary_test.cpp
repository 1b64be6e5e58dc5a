// tests/milterd/binary_test.cpp — the real authmilter binary (real nsd, the e2e environment of
// tests/e2e) with each value of `MilterServer`: both servers accept, add Authentication-Results,
// reject with 550, quarantine, and stop on SIGTERM with exit 0.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

using namespace am::e2e;
using am::milter_client::Result;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

class MilterServerChoice : public ::testing::TestWithParam<std::string> {
 protected:
  Env env;
};

}  // namespace

TEST_P(MilterServerChoice, ServesMessagesAndStops) {
  ASSERT_EQ(env.start("MilterServer " + GetParam() + "\n"), "");
  EXPECT_TRUE(has(env.milter->output(), "server=" + GetParam())) << env.milter->output();
  std::string err;
  auto c = am::milter_client::Client::connect(env.socket, std::chrono::seconds(30), &err);
  ASSERT_TRUE(c) << err;
  auto pass = c->send(message("a@pass.e2e.test", "a@pass.e2e.test"));
  EXPECT_EQ(pass.action, Result::Action::Accept) << pass.replyText;
  EXPECT_TRUE(has(ourAuthResults(pass), "spf=pass")) << ourAuthResults(pass);
  auto reject = c->send(message("x@evil.example", "ceo@reject.e2e.test"));  // same connection
  EXPECT_EQ(reject.action, Result::Action::ReplyCode);
  EXPECT_TRUE(has(reject.replyText, "550 5.7.1")) << reject.replyText;
  auto quar = c->send(message("x@evil.example", "news@quar.e2e.test"));
  EXPECT_TRUE(quar.quarantined);
  c->quit();
  auto st = env.milter->stop(std::chrono::seconds(15));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->exited && st->code == 0) << st->str() << "\n" << env.milter->output();
  EXPECT_FALSE(st->killed);
}

INSTANTIATE_TEST_SUITE_P(Servers, MilterServerChoice, ::testing::Values("native", "libmilter"),
                         [](const auto& info) { return info.param; });
