// tests/postfix/load_audit_test.cpp — the load tests' bookkeeping (load_audit.h) on made-up
// inputs: every defect it exists to find is found, and a clean run counts clean. No Postfix.
#include <gtest/gtest.h>

#include "tests/postfix/load_audit.h"

using namespace am::postfix_test;

namespace {

const char kOurs[] = "Authentication-Results: mx.e2e.test; spf=pass smtp.mailfrom=a.example\r\n";

std::string copy(const std::string& id, const std::string& extraHeaders = kOurs) {
  return "Return-Path: <a@a.example>\r\n" + extraHeaders + "Message-ID: " + id + "\r\n\r\nbody\r\n";
}

LoadResult accepted(const std::string& qid) {
  LoadResult r;
  r.kind = LoadResult::Kind::Accepted;
  r.code = 250;
  r.step = "dot";
  r.reply = "250 2.0.0 Ok: queued as " + qid;
  r.queueId = qid;
  return r;
}

LoadResult refused(int code, const std::string& step) {
  LoadResult r;
  r.kind = code < 500 ? LoadResult::Kind::TempFail : LoadResult::Kind::PermFail;
  r.code = code;
  r.step = step;
  r.reply = std::to_string(code) + (code < 500 ? " 4.7.1 try again later" : " 5.7.1 rejected");
  return r;
}

AuditInput base() {
  AuditInput in;
  in.authservId = "mx.e2e.test";
  in.messageIds = {"<m0@x>", "<m1@x>", "<m2@x>", "<m3@x>"};
  in.results = {accepted("Q0"), accepted("Q1"), refused(451, "mail"), refused(550, "dot")};
  in.delivered = {copy("<m0@x>")};
  in.queue = {{"hold", "Q1", "a@quar.example"}};
  return in;
}

}  // namespace

TEST(PostfixLoadAudit, CleanRunCountsEveryOutcome) {
  auto c = audit(base());
  EXPECT_EQ(c.defects(), 0u) << c.table("clean");
  EXPECT_EQ(c.submitted, 4u);
  EXPECT_EQ(c.accepted, 2u);
  EXPECT_EQ(c.deliveredOk, 1u);
  EXPECT_EQ(c.held, 1u);
  EXPECT_EQ(c.tempFail, 1u);
  EXPECT_EQ(c.permFail, 1u);
  EXPECT_EQ(c.refusals.at("451 4.7.1 @mail"), 1u);
  EXPECT_EQ(c.refusals.at("550 5.7.1 @dot"), 1u);
}

TEST(PostfixLoadAudit, AcceptedButNeitherDeliveredNorHeldIsLost) {
  auto in = base();
  in.delivered.clear();
  auto c = audit(in);
  EXPECT_EQ(c.lost, 1u);
  EXPECT_EQ(c.defects(), 1u);
}

TEST(PostfixLoadAudit, DeliveredWithoutOurArOrWithTwo) {
  auto in = base();
  in.delivered = {copy("<m0@x>", "Authentication-Results: other.example; spf=pass\r\n")};
  EXPECT_EQ(audit(in).deliveredWithoutOurAr, 1u);
  EXPECT_EQ(audit(in).deliveredOk, 0u);
  in.delivered = {copy("<m0@x>", std::string(kOurs) + "Authentication-Results: MX.E2E.TEST; dmarc=pass\r\n")};
  EXPECT_EQ(audit(in).deliveredWithSeveralAr, 1u);
}

TEST(PostfixLoadAudit, TwoCopiesOrDeliveredAndHeldAreDuplicates) {
  auto in = base();
  in.delivered.push_back(copy("<m0@x>"));
  EXPECT_EQ(audit(in).duplicates, 1u);
  in = base();
  in.delivered.push_back(copy("<m1@x>"));  // m1 is also in the hold queue
  EXPECT_EQ(audit(in).duplicates, 1u);
}

TEST(PostfixLoadAudit, RefusedButDeliveredIsADefect) {
  auto in = base();
  in.delivered.push_back(copy("<m2@x>"));
  EXPECT_EQ(audit(in).refusedButKept, 1u);
}

TEST(PostfixLoadAudit, StillQueuedAndStrangersAreDefects) {
  auto in = base();
  in.delivered.clear();
  in.queue.push_back({"deferred", "Q0", "a@a.example"});
  in.queue.push_back({"hold", "QX", "b@b.example"});
  in.delivered.push_back(copy("<stranger@x>"));
  auto c = audit(in);
  EXPECT_EQ(c.stillQueued, 1u);
  EXPECT_EQ(c.unknown, 2u);
  EXPECT_EQ(c.lost, 0u);
}

TEST(PostfixLoadAudit, NoReplySeenMayBeDeliveredOnceWithOurAr) {
  auto in = base();
  in.results[2] = LoadResult{};  // ConnError at connect
  in.delivered.push_back(copy("<m2@x>"));
  auto c = audit(in);
  EXPECT_EQ(c.connError, 1u);
  EXPECT_EQ(c.connErrorDelivered, 1u);
  EXPECT_EQ(c.defects(), 0u);
}
