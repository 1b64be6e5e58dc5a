// tests/testmsg/mailbox_test.cpp — filter/testmsg/mailbox.h: input detection, mbox splitting with
// mboxrd unquoting and the envelope sender of the From_ line, Maildir cur/ and new/, and the split
// of a message into header fields and a CRLF body.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "filter/testmsg/mailbox.h"

namespace am::testmsg {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/am-mbox-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { (void)!system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path + "/" + name, std::ios::binary) << text;
    return path + "/" + name;
  }
};

std::vector<RawMessage> all(const std::string& path) {
  InputKind k;
  std::string err;
  EXPECT_TRUE(detectInput(path, k, &err)) << err;
  std::vector<RawMessage> out;
  EXPECT_TRUE(forEachMessage(path, k, [&](RawMessage&& m) { out.push_back(std::move(m)); }, &err)) << err;
  EXPECT_EQ(countMessages(path, k), out.size());
  return out;
}

TEST(Mailbox, MboxSplitsAndUnquotes) {
  TempDir d;
  std::string p = d.write("mbox",
                          "From alice@example.org Mon Nov 23 12:00:00 2026\n"
                          "From: alice@example.org\n\nline\n>From the start\n>>From twice\n> From not quoted\n\n"
                          "From MAILER-DAEMON Mon Nov 23 12:00:01 2026\n"
                          "Subject: bounce\n\nbody\n");
  auto m = all(p);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, p + "#1");
  EXPECT_EQ(m[0].envelopeSender, "alice@example.org");
  EXPECT_TRUE(m[0].hasEnvelope);
  EXPECT_EQ(m[0].text, "From: alice@example.org\n\nline\nFrom the start\n>From twice\n> From not quoted\n");
  EXPECT_EQ(m[1].envelopeSender, "");
  EXPECT_EQ(m[1].text, "Subject: bounce\n\nbody\n");
}

TEST(Mailbox, MaildirCurAndNewInNameOrder) {
  TempDir d;
  for (auto sub : {"cur", "new", "tmp"}) ASSERT_EQ(mkdir((d.path + "/" + sub).c_str(), 0700), 0);
  d.write("new/2", "Subject: b\n\nb\n");
  d.write("cur/1:2,S", "Subject: a\n\na\n");
  d.write("tmp/3", "Subject: in delivery\n\nc\n");
  d.write("cur/.hidden", "x");
  auto m = all(d.path);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, d.path + "/cur/1:2,S");
  EXPECT_EQ(m[1].text, "Subject: b\n\nb\n");
  EXPECT_FALSE(m[0].hasEnvelope);
}

TEST(Mailbox, PlainFileAndErrors) {
  TempDir d;
  auto m = all(d.write("msg", "Subject: x\n\nFrom here on\n"));
  ASSERT_EQ(m.size(), 1u);
  InputKind k;
  std::string err;
  EXPECT_FALSE(detectInput(d.path + "/missing", k, &err));
  EXPECT_NE(err.find("missing"), std::string::npos);
  EXPECT_FALSE(detectInput(d.path, k, &err));  // a directory that is no Maildir
}

TEST(Mailbox, ParseMessage) {
  auto m = parseMessage("From: a@b.example\r\nSubject: one\r\n\ttwo\r\nX-Empty:\r\n\r\nbody\nline\r\n");
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[0], (std::pair<std::string, std::string>{"From", "a@b.example"}));
  EXPECT_EQ(m.headers[1].second, "one\n\ttwo");
  EXPECT_EQ(m.headers[2].second, "");
  EXPECT_EQ(m.body, "body\r\nline\r\n");
  auto noBlank = parseMessage("Subject: x\nthis is not a header\nmore\n");
  ASSERT_EQ(noBlank.headers.size(), 1u);
  EXPECT_EQ(noBlank.body, "this is not a header\r\nmore\r\n");
}

}  // namespace
}  // namespace am::testmsg
