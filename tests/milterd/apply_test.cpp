// tests/milterd/apply_test.cpp — the verdict applier shared by both milter front ends
// (filter/milter/apply.h), as a unit: header values with and without SMFIP_HDR_LEADSPC, deletes
// before inserts, actions that were not negotiated, reply codes and text, the fallback verdict and
// the stage table.
#include <gtest/gtest.h>

#include "filter/milter/apply.h"
#include "filter/milter/protocol.h"

using namespace am;
using namespace am::milter;
using core::Action;
using core::HeaderEdit;
using core::Verdict;

namespace {

Granted all(bool leadingSpace) {
  Granted g = Granted::from(proto::kAllActions, leadingSpace ? proto::kHeaderLeadingSpace : 0);
  EXPECT_EQ(g.leadingSpace, leadingSpace);
  return g;
}

Verdict withEdits(std::vector<HeaderEdit> edits) {
  Verdict v;
  v.action = Action::Accept;
  v.edits = std::move(edits);
  return v;
}

HeaderEdit insert(std::string name, std::string value, int index = 0) {
  return {HeaderEdit::Kind::Insert, std::move(name), index, std::move(value)};
}
HeaderEdit change(std::string name, int index, std::string value = "") {
  return {HeaderEdit::Kind::Change, std::move(name), index, std::move(value)};
}

}  // namespace

TEST(Apply, LeadingSpaceGrantedAddsTheSpaceAfterTheColon) {
  auto p = plan(withEdits({insert("Authentication-Results", "mx.test; spf=pass"), insert("X-Folded", "a\n\tb"),
                           insert("X-Spaced", " already"), insert("X-Tab", "\talready"), insert("X-Empty", ""),
                           change("Subject", 1, "new")}),
                true, all(true));
  ASSERT_EQ(p.headers.size(), 6u);
  EXPECT_EQ(p.headers[0].value, " new");  // a change is written like an insert
  EXPECT_EQ(p.headers[1].value, " mx.test; spf=pass");
  EXPECT_EQ(p.headers[2].value, " a\n\tb");
  EXPECT_EQ(p.headers[3].value, " already");
  EXPECT_EQ(p.headers[4].value, "\talready");
  EXPECT_EQ(p.headers[5].value, "");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.final, Final::Accept);
}

TEST(Apply, LeadingSpaceNotGrantedLeavesTheSpaceToTheMta) {
  auto p = plan(withEdits({insert("Authentication-Results", "mx.test; spf=pass"), change("Subject", 1, "new")}), true,
                all(false));
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers[0].value, "new");
  EXPECT_EQ(p.headers[1].value, "mx.test; spf=pass");
}

TEST(Apply, ValuesLoseCarriageReturnsAndStopAtANul) {
  auto p = plan(withEdits({insert("X-A", "one\r\n\ttwo"), insert("X-B", std::string("cut\0here", 8))}), true, all(false));
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers[0].value, "one\n\ttwo");
  EXPECT_EQ(p.headers[1].value, "cut");
}

TEST(Apply, DeletesAndChangesComeBeforeInsertsHighestIndexFirst) {
  auto p = plan(withEdits({insert("Authentication-Results", "ours"), change("Authentication-Results", 1),
                           insert("Received-SPF", "pass"), change("Authentication-Results", 3),
                           change("Authentication-Results", 2), change("X-Other", -4, "v")}),
                true, all(true));
  ASSERT_EQ(p.headers.size(), 6u);
  std::vector<std::pair<bool, int>> order;
  for (auto& h : p.headers) order.push_back({h.insert, h.index});
  std::vector<std::pair<bool, int>> want = {{false, 3}, {false, 2}, {false, 1}, {false, 0}, {true, 0}, {true, 0}};
  EXPECT_EQ(order, want);
  EXPECT_EQ(p.headers[0].value, "");  // deletes stay empty, leading space or not
  EXPECT_EQ(p.headers[3].name, "X-Other");  // a negative index is sent as 0 (the first)
  EXPECT_EQ(p.headers[4].value, " ours");  // inserts keep the core's order
  EXPECT_EQ(p.headers[5].name, "Received-SPF");
}

TEST(Apply, EditsOnlyAtEndOfMessage) {
  Verdict v = withEdits({insert("X-A", "v")});
  v.quarantine = "held";
  auto p = plan(v, false, all(true));
  EXPECT_TRUE(p.headers.empty());
  EXPECT_FALSE(p.quarantine);
  EXPECT_TRUE(p.warnings.empty());
}

TEST(Apply, ActionsNotNegotiatedAreDroppedWithAWarning) {
  Verdict v = withEdits({insert("X-A", "v"), change("X-B", 1)});
  v.quarantine = "held";
  Granted none;  // nothing granted
  auto p = plan(v, true, none);
  EXPECT_TRUE(p.headers.empty());
  EXPECT_FALSE(p.quarantine);
  ASSERT_EQ(p.warnings.size(), 3u);
  EXPECT_NE(p.warnings[0].find("X-B"), std::string::npos);
  EXPECT_NE(p.warnings[2].find("quarantine"), std::string::npos);
  EXPECT_EQ(p.final, Final::Accept);  // the verdict itself still stands

  Granted onlyAdd = Granted::from(proto::kActAddHeaders, 0);
  p = plan(v, true, onlyAdd);
  ASSERT_EQ(p.headers.size(), 1u);
  EXPECT_TRUE(p.headers[0].insert);
}

TEST(Apply, QuarantineReasonIsOneLineAndNeverEmpty) {
  Verdict v = withEdits({});
  v.quarantine = "DMARC p=quarantine\r\nfor 100% of shop.test";
  auto p = plan(v, true, all(true));
  ASSERT_TRUE(p.quarantine);
  EXPECT_EQ(*p.quarantine, "DMARC p=quarantine  for 100% of shop.test");  // '%' is not a format here
  v.quarantine = "";
  p = plan(v, true, all(true));
  ASSERT_TRUE(p.quarantine);
  EXPECT_FALSE(p.quarantine->empty());
}

TEST(Apply, ReplyTextIsOneLineWithPercentDoubled) {
  auto p = plan(Verdict::reply(Action::Reject, "550", "5.7.1", "100% bad\r\nreally"), false, all(true));
  EXPECT_EQ(p.final, Final::Reject);
  ASSERT_TRUE(p.reply);
  EXPECT_EQ(p.reply->rcode, "550");
  EXPECT_EQ(p.reply->xcode, "5.7.1");
  EXPECT_EQ(p.reply->text, "100%% bad  really");
}

TEST(Apply, ReplyCodeMustFitTheAction) {
  // A 4xx code on a reject (and the reverse) is not sent: the MTA's own reply of that class is.
  auto p = plan(Verdict::reply(Action::Reject, "451", "4.3.0", "x"), false, all(true));
  EXPECT_EQ(p.final, Final::Reject);
  EXPECT_FALSE(p.reply);
  p = plan(Verdict::reply(Action::TempFail, "550", "5.7.1", "x"), false, all(true));
  EXPECT_EQ(p.final, Final::TempFail);
  EXPECT_FALSE(p.reply);
  for (const char* bad : {"", "55", "5500", "5x0", " 55"}) {
    p = plan(Verdict::reply(Action::Reject, bad, "5.7.1", "x"), false, all(true));
    EXPECT_FALSE(p.reply) << bad;
  }
  // The drain reply at connect.
  p = plan(Verdict::reply(Action::TempFail, "421", "4.3.2", "Service shutting down"), false, all(true));
  ASSERT_TRUE(p.reply);
  EXPECT_EQ(p.reply->rcode, "421");
  EXPECT_EQ(p.reply->xcode, "4.3.2");
}

TEST(Apply, AnInvalidEnhancedCodeIsLeftOut) {
  for (const char* bad : {"4.7.1", "5.7", "5.7.1.2", "5..1", "5.7.1234", "5.a.1", "x"}) {
    auto p = plan(Verdict::reply(Action::Reject, "550", bad, "no"), false, all(true));
    ASSERT_TRUE(p.reply) << bad;
    EXPECT_EQ(p.reply->xcode, "") << bad;
    EXPECT_EQ(p.reply->text, "no");
  }
  auto p = plan(Verdict::reply(Action::Reject, "550", "5.100.999", ""), false, all(true));
  ASSERT_TRUE(p.reply);
  EXPECT_EQ(p.reply->xcode, "5.100.999");
  EXPECT_EQ(p.reply->text, "");
}

TEST(Apply, LongReplyTextIsCutWithoutSplittingAnEscape) {
  std::string text(kMaxReplyText - 1, 'a');
  text += "%%%";
  auto p = plan(Verdict::reply(Action::Reject, "550", "5.7.1", text), false, all(true));
  ASSERT_TRUE(p.reply);
  EXPECT_LE(p.reply->text.size(), kMaxReplyText);
  EXPECT_EQ(p.reply->text, std::string(kMaxReplyText - 1, 'a'));
}

TEST(Apply, OtherActionsCarryNoReply) {
  for (auto [a, f] : {std::pair{Action::Continue, Final::Continue}, std::pair{Action::Accept, Final::Accept},
                      std::pair{Action::Discard, Final::Discard}}) {
    Verdict v = Verdict::reply(a, "550", "5.7.1", "ignored");
    auto p = plan(v, true, all(true));
    EXPECT_EQ(p.final, f);
    EXPECT_FALSE(p.reply);
  }
}

TEST(Apply, FallbackIsAcceptOrTempFailWithTheMtasReply) {
  auto v = fallbackVerdict(config::FallbackAction::Accept);
  auto p = plan(v, true, all(true));
  EXPECT_EQ(p.final, Final::Accept);
  EXPECT_TRUE(p.headers.empty());
  v = fallbackVerdict(config::FallbackAction::TempFail);
  p = plan(v, true, all(true));
  EXPECT_EQ(p.final, Final::TempFail);
  EXPECT_FALSE(p.reply);
  EXPECT_TRUE(p.headers.empty());
  EXPECT_FALSE(p.quarantine);
}

TEST(Apply, StageTable) {
  EXPECT_TRUE(stageInfo(MilterStage::Connect).coreMayAnswer);
  EXPECT_TRUE(stageInfo(MilterStage::EndOfMessage).coreMayAnswer);
  EXPECT_EQ(stageInfo(MilterStage::EndOfMessage).noReplyFlag, 0u);
  EXPECT_EQ(stageInfo(MilterStage::Header).noReplyFlag, proto::kNrHeader);
  EXPECT_FALSE(stageInfo(MilterStage::Rcpt).coreMayAnswer);
  const uint32_t others = proto::kNrHelo | proto::kNrMail | proto::kNrRcpt | proto::kNrData | proto::kNrUnknown |
                          proto::kNrHeader | proto::kNrEoh | proto::kNrBody;
  EXPECT_EQ(noReplyFlags(true), others);  // draining: connect carries the 421
  EXPECT_EQ(noReplyFlags(false), others | proto::kNrConnect);
}
