// tests/milterclient/message_test.cpp — the .eml reader and the socket spec parser.
#include <gtest/gtest.h>

#include "tests/milterclient/message.h"
#include "tests/milterclient/socket_io.h"

namespace am::milter_client {
namespace {

TEST(ParseRfc5322, LfInputGetsCrlfBodyAndOneSpaceStripped) {
  std::string err;
  auto m = parseRfc5322("From: a@example.org\nSubject:  two\nX-Tab:\tx\n\nline1\nline2\n", &err);
  ASSERT_TRUE(m) << err;
  EXPECT_EQ(m->headers, (HeaderList{{"From", "a@example.org"}, {"Subject", " two"}, {"X-Tab", "\tx"}}));
  EXPECT_EQ(m->body, "line1\r\nline2\r\n");
}

TEST(ParseRfc5322, CrlfInputAndFoldedHeaders) {
  std::string err;
  auto m = parseRfc5322("Subject: first\r\n\tsecond\r\n third\r\nTo: b\r\n\r\nbody\r\n", &err);
  ASSERT_TRUE(m) << err;
  EXPECT_EQ(m->headers, (HeaderList{{"Subject", "first\n\tsecond\n third"}, {"To", "b"}}));
  EXPECT_EQ(m->body, "body\r\n");
}

TEST(ParseRfc5322, NoBodyAndEmptyBody) {
  std::string err;
  auto a = parseRfc5322("To: b\n", &err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(a->headers.size(), 1u);
  EXPECT_EQ(a->body, "");
  auto b = parseRfc5322("To: b\r\n\r\n", &err);
  ASSERT_TRUE(b) << err;
  EXPECT_EQ(b->body, "");
  auto c = parseRfc5322("\nonly body\n", &err);
  ASSERT_TRUE(c) << err;
  EXPECT_TRUE(c->headers.empty());
  EXPECT_EQ(c->body, "only body\r\n");
}

TEST(ParseRfc5322, NameWithSpaceBeforeColonAndMixedLineEndsInBody) {
  std::string err;
  auto m = parseRfc5322("Subject : x\n\na\r\nb\nc", &err);
  ASSERT_TRUE(m) << err;
  EXPECT_EQ(m->headers, (HeaderList{{"Subject", "x"}}));
  EXPECT_EQ(m->body, "a\r\nb\r\nc");
}

TEST(ParseRfc5322, Errors) {
  std::string err;
  EXPECT_FALSE(parseRfc5322(" continuation first\n\n", &err));
  EXPECT_NE(err.find("continuation"), std::string::npos) << err;
  EXPECT_FALSE(parseRfc5322("To: b\nnot a header line\n\nbody", &err));
  EXPECT_NE(err.find("line 2"), std::string::npos) << err;
  EXPECT_FALSE(parseRfc5322(": empty name\n\n", &err));
}

TEST(SocketSpecParse, LibmilterForms) {
  std::string err;
  auto u = SocketSpec::parse("unix:/run/am/milter.sock", &err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->kind, SocketSpec::Kind::Unix);
  EXPECT_EQ(u->path, "/run/am/milter.sock");
  EXPECT_EQ(SocketSpec::parse("local:/x.sock", &err)->path, "/x.sock");
  EXPECT_EQ(SocketSpec::parse("/bare.sock", &err)->path, "/bare.sock");
  auto i = SocketSpec::parse("inet:8891@127.0.0.1", &err);
  ASSERT_TRUE(i) << err;
  EXPECT_EQ(i->kind, SocketSpec::Kind::Inet);
  EXPECT_EQ(i->port, 8891);
  EXPECT_EQ(i->host, "127.0.0.1");
  auto i6 = SocketSpec::parse("inet6:8892@[::1]", &err);
  ASSERT_TRUE(i6) << err;
  EXPECT_EQ(i6->host, "::1");
  EXPECT_EQ(i6->str(), "inet6:8892@[::1]");
  EXPECT_EQ(SocketSpec::parse("inet:25", &err)->host, "127.0.0.1");
}

TEST(SocketSpecParse, Errors) {
  std::string err;
  EXPECT_FALSE(SocketSpec::parse("inet:0@127.0.0.1", &err));
  EXPECT_FALSE(SocketSpec::parse("inet:70000@127.0.0.1", &err));
  EXPECT_FALSE(SocketSpec::parse("inet:x@127.0.0.1", &err));
  EXPECT_FALSE(SocketSpec::parse("unix:relative", &err));
  EXPECT_FALSE(SocketSpec::parse("unix:/" + std::string(200, 'a'), &err));
  EXPECT_FALSE(SocketSpec::parse("smtp:25", &err));
  EXPECT_NE(err.find("unknown protocol"), std::string::npos) << err;
}

}  // namespace
}  // namespace am::milter_client
