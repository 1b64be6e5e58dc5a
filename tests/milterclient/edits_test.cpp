// tests/milterclient/edits_test.cpp — end-of-message modification requests (recorded and applied
// with Postfix semantics) and the client's error paths: timeouts, malformed packets, replies that
// are not allowed where they arrive.
#include <gtest/gtest.h>

#include "tests/milterclient/fake_milter.h"
#include "tests/milterclient/milter_client.h"
#include "tests/milterclient/test_util.h"

namespace am::milter_client::testing {
namespace {

using namespace wire;
using Action = Result::Action;
using Kind = HeaderChange::Kind;

// Sends sampleMessage() (with `headers`) to a fake that answers SMFIC_BODYEOB with `eom`.
Result runWithEom(const std::string& eom, HeaderList headers = {}, uint32_t protocol = 0,
                  uint32_t actions = kAllActions) {
  FakeMilter::Config cfg;
  cfg.actions = actions;
  cfg.protocol = protocol;
  FakeMilter f(cfg, [&](const Packet& p) -> std::optional<std::string> {
    return p.cmd == kEndOfBody ? std::optional(eom) : std::nullopt;
  });
  std::string err;
  auto c = Client::connect(f.spec(), std::chrono::milliseconds(5000), &err);
  EXPECT_NE(c, nullptr) << err;
  if (!c) return {};
  Message m = sampleMessage();
  if (!headers.empty()) m.headers = headers;
  return c->send(m);
}

std::string str0(const std::string& s) { return s + std::string(1, '\0'); }

TEST(ClientEdits, EveryModificationActionIsRecorded) {
  std::string eom = FakeMilter::reply(kProgress) + FakeMilter::header(kAddHeader, 0, "X-Added", "a") +
                    FakeMilter::header(kInsertHeader, 1, "X-Inserted", "i") +
                    FakeMilter::header(kChangeHeader, 1, "Subject", "changed") +
                    FakeMilter::reply(kQuarantine, str0("held for review")) +
                    FakeMilter::reply(kAddRcpt, str0("<new@example.com>")) +
                    FakeMilter::reply(kAddRcptPar, str0("<par@example.com>") + str0("NOTIFY=NEVER")) +
                    FakeMilter::reply(kDelRcpt, str0("<bob@example.com>")) +
                    FakeMilter::reply(kChangeFrom, str0("<bounce@example.org>")) +
                    FakeMilter::reply(kReplaceBody, "new body\r\n") + FakeMilter::reply(kProgress) +
                    FakeMilter::reply(kAccept);
  Result r = runWithEom(eom);
  ASSERT_EQ(r.action, Action::Accept) << r.replyText;
  EXPECT_EQ(r.stage, "eom");
  ASSERT_EQ(r.changes.size(), 3u);
  EXPECT_EQ(r.changes[0].kind, Kind::Add);
  EXPECT_EQ(r.changes[1].kind, Kind::Insert);
  EXPECT_EQ(r.changes[1].index, 1);
  EXPECT_EQ(r.changes[2].kind, Kind::Change);
  EXPECT_EQ(r.changes[2].value, "changed");
  EXPECT_TRUE(r.quarantined);
  EXPECT_EQ(r.quarantineReason, "held for review");
  EXPECT_EQ(r.addedRcpts, (std::vector<std::string>{"<new@example.com>", "<par@example.com> NOTIFY=NEVER"}));
  EXPECT_EQ(r.deletedRcpts, (std::vector<std::string>{"<bob@example.com>"}));
  EXPECT_EQ(r.newMailFrom, "<bounce@example.org>");
  EXPECT_EQ(r.replacedBody, "new body\r\n");
  EXPECT_EQ(r.finalHeaders, (HeaderList{{"From", "Alice <alice@example.org>"},
                                        {"X-Inserted", "i"},
                                        {"To", "bob@example.com"},
                                        {"Subject", "changed"},
                                        {"X-Added", "a"}}));
}

TEST(ClientEdits, DeleteIndexThreeThenTwoThenOneOfThreeSameNamed) {
  HeaderList h{{"A-R", "one"}, {"Subject", "s"}, {"a-r", "two"}, {"A-R", "three"}, {"To", "t"}};
  std::string eom = FakeMilter::header(kChangeHeader, 3, "A-R", "") +
                    FakeMilter::header(kChangeHeader, 2, "A-R", "") +
                    FakeMilter::header(kChangeHeader, 1, "A-R", "") + FakeMilter::reply(kContinue);
  Result r = runWithEom(eom, h);
  ASSERT_EQ(r.action, Action::Continue) << r.replyText;
  EXPECT_EQ(r.finalHeaders, (HeaderList{{"Subject", "s"}, {"To", "t"}}));
}

TEST(ClientEdits, DeletingIndexOneTwiceShiftsIndexes) {
  HeaderList h{{"A-R", "one"}, {"A-R", "two"}, {"A-R", "three"}, {"To", "t"}};
  std::string one = FakeMilter::header(kChangeHeader, 1, "A-R", "");
  Result r = runWithEom(one + one + FakeMilter::reply(kAccept), h);
  EXPECT_EQ(r.finalHeaders, (HeaderList{{"A-R", "three"}, {"To", "t"}}));
}

TEST(ClientEdits, LeadingSpaceValuesAreNormalised) {
  std::string eom = FakeMilter::header(kInsertHeader, 0, "Authentication-Results", " mx.local; spf=pass") +
                    FakeMilter::reply(kAccept);
  Result r = runWithEom(eom, {}, kHeaderLeadingSpace);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].value, " mx.local; spf=pass");  // as on the wire
  EXPECT_EQ(r.finalHeaders.front(), (std::pair<std::string, std::string>{"Authentication-Results", "mx.local; spf=pass"}));
}

TEST(ClientErrors, EditWithoutNegotiatedActionIsAnError) {
  Result r = runWithEom(FakeMilter::header(kChangeHeader, 1, "Subject", "x") + FakeMilter::reply(kAccept), {}, 0,
                        kActAddHeaders);
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_NE(r.replyText.find("not negotiated"), std::string::npos) << r.replyText;
}

TEST(ClientErrors, EditBeforeEndOfMessageIsAnError) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kEndOfHeaders) return FakeMilter::header(kAddHeader, 0, "X", "y");
    return std::nullopt;
  });
  std::string err;
  auto c = Client::connect(f.spec(), std::chrono::milliseconds(5000), &err);
  ASSERT_NE(c, nullptr) << err;
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_EQ(r.stage, "eoh");
  EXPECT_NE(r.replyText.find("unexpected filter response SMFIR_ADDHEADER"), std::string::npos) << r.replyText;
  EXPECT_FALSE(c->isOpen());
}

TEST(ClientErrors, TimeoutOnASilentFilter) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    return p.cmd == kConnect ? std::optional(std::string()) : std::nullopt;  // never answers CONNECT
  });
  std::string err;
  auto c = Client::connect(f.spec(), std::chrono::milliseconds(5000), &err);  // negotiation: generous
  ASSERT_NE(c, nullptr) << err;
  c->setTimeout(std::chrono::milliseconds(200));  // the wait that must time out: the fake never answers
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_EQ(r.stage, "connect");
  EXPECT_NE(r.replyText.find("timed out"), std::string::npos) << r.replyText;
  EXPECT_FALSE(c->isOpen());
  Result again = c->send(sampleMessage());
  EXPECT_EQ(again.action, Action::Error);
  EXPECT_NE(again.replyText.find("closed"), std::string::npos) << again.replyText;
}

TEST(ClientErrors, HugeLengthIsMalformed) {
  Result r = runWithEom(std::string("\xff\xff\xff\xf0", 4) + "h");
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_NE(r.replyText.find("malformed packet"), std::string::npos) << r.replyText;
}

TEST(ClientErrors, ZeroLengthIsMalformed) {
  Result r = runWithEom(std::string("\0\0\0\0", 4));
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_NE(r.replyText.find("length 0"), std::string::npos) << r.replyText;
}

TEST(ClientErrors, TruncatedOrUnknownReplies) {
  EXPECT_EQ(runWithEom(encode(kAddHeader, "X-No-Nul")).action, Action::Error);
  EXPECT_EQ(runWithEom(encode(kInsertHeader, std::string("\0\0", 2))).action, Action::Error);
  EXPECT_EQ(runWithEom(encode(kAccept, "junk")).action, Action::Error);
  EXPECT_EQ(runWithEom(FakeMilter::header(kAddHeader, 0, "", "v")).action, Action::Error);
  EXPECT_EQ(runWithEom(encode('Z')).action, Action::Error);
}

TEST(ClientErrors, MalformedReplyCodeIsAnError) {
  Result r = runWithEom(FakeMilter::reply(kReplyCode, str0("550 no enhanced code")));
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_NE(r.replyText.find("SMFIR_REPLYCODE"), std::string::npos) << r.replyText;
}

TEST(ClientErrors, FilterClosingMidTransaction) {
  FakeMilter::Config cfg;
  cfg.closeAfter = kMail;
  FakeMilter f(cfg, [](const Packet& p) -> std::optional<std::string> {
    // Half a packet header, then the fake hangs up: the client reports it without waiting.
    return p.cmd == kMail ? std::optional(std::string("\0\0", 2)) : std::nullopt;
  });
  std::string err;
  auto c = Client::connect(f.spec(), std::chrono::milliseconds(5000), &err);
  ASSERT_NE(c, nullptr) << err;
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::Error);
  EXPECT_EQ(r.stage, "mail");
  EXPECT_EQ(r.replyText.find("timed out"), std::string::npos) << r.replyText;
  EXPECT_FALSE(c->isOpen());
}

TEST(ClientVerdictsShutdown, ShutdownAtEndOfMessageEndsTheSession) {
  FakeMilter f({}, [](const Packet& p) -> std::optional<std::string> {
    if (p.cmd == kEndOfBody) return FakeMilter::header(kAddHeader, 0, "X", "y") + FakeMilter::reply(kShutdown);
    return std::nullopt;
  });
  std::string err;
  auto c = Client::connect(f.spec(), std::chrono::milliseconds(5000), &err);
  ASSERT_NE(c, nullptr) << err;
  Result r = c->send(sampleMessage());
  EXPECT_EQ(r.action, Action::TempFail);
  EXPECT_EQ(r.stage, "eom");
  EXPECT_EQ(r.replyText, "421 4.7.0 Server closing connection");
  EXPECT_EQ(r.changes.size(), 1u);
  EXPECT_FALSE(c->isOpen());
  Result again = c->send(sampleMessage());
  EXPECT_EQ(again.action, Action::TempFail);
  EXPECT_TRUE(again.changes.empty());
  EXPECT_EQ(again.finalHeaders, sampleMessage().headers);
  ASSERT_TRUE(f.waitClosed());
  EXPECT_EQ(f.received(kMail).size(), 1u);
}

TEST(HeaderEdits, PostfixSemanticsUnit) {
  HeaderList h{{"From", "f"}, {"X", "1"}, {"Y", "y"}, {"x", "2"}};
  applyHeaderChange(h, {Kind::Change, 0, "X", "one"}, false);  // index 0 acts as 1
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"X", "one"}));
  applyHeaderChange(h, {Kind::Change, 5, "X", "added"}, false);  // beyond the count: append
  EXPECT_EQ(h.back(), (std::pair<std::string, std::string>{"X", "added"}));
  size_t n = h.size();
  applyHeaderChange(h, {Kind::Change, 9, "X", ""}, false);  // deleting a missing one: no-op
  EXPECT_EQ(h.size(), n);
  applyHeaderChange(h, {Kind::Insert, 0, "Top", "t"}, false);
  EXPECT_EQ(h.front().first, "Top");
  applyHeaderChange(h, {Kind::Insert, 100, "End", "e"}, false);
  EXPECT_EQ(h.back().first, "End");
  applyHeaderChange(h, {Kind::Insert, 2, "Mid", "m"}, false);
  EXPECT_EQ(h[2].first, "Mid");
  applyHeaderChange(h, {Kind::Add, 0, "Z", " z"}, true);
  EXPECT_EQ(h.back().second, "z");
  applyHeaderChange(h, {Kind::Add, 0, "W", " w"}, false);
  EXPECT_EQ(h.back().second, " w");
}

}  // namespace
}  // namespace am::milter_client::testing
