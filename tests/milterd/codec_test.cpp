// tests/milterd/codec_test.cpp — packet framing, field reading, reply encoding and listener specs
// of the native milter server, as units.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include <cstdlib>

#include "filter/milter/codec.h"
#include "filter/milter/listener.h"

using namespace am::milter;

namespace {

std::string frame(char cmd, const std::string& data) {
  std::string out;
  appendPacket(out, cmd, data);
  return out;
}

}  // namespace

TEST(Codec, FramesCompleteIncompleteAndMalformed) {
  std::string two = frame('B', "abc") + frame('E', "");
  Frame f = nextFrame(two);
  ASSERT_EQ(f.status, Frame::Status::Complete);
  EXPECT_EQ(f.cmd, 'B');
  EXPECT_EQ(f.data, "abc");
  EXPECT_EQ(f.size, 8u);
  Frame g = nextFrame(std::string_view(two).substr(f.size));
  ASSERT_EQ(g.status, Frame::Status::Complete);
  EXPECT_EQ(g.cmd, 'E');
  EXPECT_TRUE(g.data.empty());

  EXPECT_EQ(nextFrame(two.substr(0, 3)).status, Frame::Status::NeedMore);
  Frame part = nextFrame(two.substr(0, 6));
  EXPECT_EQ(part.status, Frame::Status::NeedMore);
  EXPECT_EQ(part.size, 8u);  // how much the packet needs
  EXPECT_EQ(nextFrame(std::string("\0\0\0\0", 4)).status, Frame::Status::Malformed);
  Frame big = nextFrame(std::string("\x7f\0\0\0B", 5));
  EXPECT_EQ(big.status, Frame::Status::Malformed);
  EXPECT_EQ(big.length, 0x7f000000u);
  EXPECT_EQ(nextFrame(std::string("\0\0\0\x05" "Babcd", 9), 4).status, Frame::Status::Malformed);
}

TEST(Codec, FieldReaderNeverOverruns) {
  std::string d("\0\0\0\x06\x01\x02" "name\0value\0tail", 21);
  FieldReader r(d);
  EXPECT_EQ(r.u32(), 6u);
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_EQ(r.str(), "name");
  EXPECT_EQ(r.str(), "value");
  EXPECT_FALSE(r.str());  // "tail" has no NUL
  EXPECT_EQ(r.rest(), "tail");
  EXPECT_TRUE(r.done());
  EXPECT_FALSE(r.u32());
  EXPECT_FALSE(r.u16());
  EXPECT_FALSE(r.byte());
}

// The text arrives planned (one line, '%' doubled: tests/milterd/apply_test.cpp); the encoder writes
// it as given, leaving out an empty enhanced code or text with its space.
TEST(Codec, ReplyCodeWritesThePlannedTextAsGiven) {
  auto data = [](std::string_view r, std::string_view x, std::string_view t) {
    std::string out;
    appendReplyCode(out, r, x, t);
    Frame f = nextFrame(out);
    EXPECT_EQ(f.status, Frame::Status::Complete);
    EXPECT_EQ(f.cmd, 'y');
    return std::string(f.data);
  };
  EXPECT_EQ(data("550", "5.7.1", "100%% bad  really"), std::string("550 5.7.1 100%% bad  really\0", 28));
  EXPECT_EQ(data("550", "", "no"), std::string("550 no\0", 7));
  EXPECT_EQ(data("421", "4.3.2", ""), std::string("421 4.3.2\0", 10));
  EXPECT_EQ(data("550", "5.7.1", std::string("cut\0here", 8)), std::string("550 5.7.1 cut\0", 14));
}

TEST(Codec, FieldPacketsGetTheirLength) {
  std::string out = "xx";
  size_t start = beginPacket(out, 'i');
  putU32(out, 3);
  putStr(out, "A-R");
  putStr(out, std::string("v\0cut", 5));
  finishPacket(out, start);
  Frame f = nextFrame(std::string_view(out).substr(2));
  ASSERT_EQ(f.status, Frame::Status::Complete);
  EXPECT_EQ(f.data, std::string("\0\0\0\x03" "A-R\0v\0", 10));
}

TEST(ListenSpecParse, AcceptsLibmilterForms) {
  std::string err;
  auto u = ListenSpec::parse("unix:/run/a.sock", &err);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, ListenSpec::Kind::Unix);
  EXPECT_EQ(u->path, "/run/a.sock");
  EXPECT_EQ(ListenSpec::parse("local:/x", &err)->path, "/x");
  EXPECT_EQ(ListenSpec::parse("/bare", &err)->path, "/bare");
  auto i = ListenSpec::parse("inet:8894@127.0.0.1", &err);
  ASSERT_TRUE(i);
  EXPECT_EQ(i->kind, ListenSpec::Kind::Inet);
  EXPECT_EQ(i->port, "8894");
  EXPECT_EQ(i->host, "127.0.0.1");
  auto v6 = ListenSpec::parse("inet6:8894@[::1]", &err);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->kind, ListenSpec::Kind::Inet6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(ListenSpec::parse("unix:relative", &err));
  EXPECT_FALSE(ListenSpec::parse("tcp:1@x", &err));
  EXPECT_FALSE(ListenSpec::parse("inet:@127.0.0.1", &err));
  EXPECT_FALSE(ListenSpec::parse("inet:25@", &err));
  EXPECT_FALSE(ListenSpec::parse("unix:/" + std::string(200, 'p'), &err));
}

TEST(Listener, AcceptedTcpSocketsAreNonBlockingAndGetNoDelay) {
  std::string err;
  auto spec = ListenSpec::parse("inet:0@127.0.0.1", &err);
  auto l = openListener(*spec, 007, &err);
  ASSERT_TRUE(l) << err;
  ASSERT_NE(l->port, 0);
  int c = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(l->port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string peer;
  pollfd pf{l->fd.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pf, 1, 5000), 1);  // the listener is non-blocking
  int a = acceptConnection(*l, &peer);
  ASSERT_GE(a, 0);
  EXPECT_EQ(peer.rfind("127.0.0.1:", 0), 0u) << peer;
  EXPECT_TRUE(::fcntl(a, F_GETFL) & O_NONBLOCK);  // the server waits in epoll, never in recv()
  EXPECT_TRUE(::fcntl(l->fd.get(), F_GETFL) & O_NONBLOCK);
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  ASSERT_EQ(::getsockopt(a, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);
  int flags = ::fcntl(a, F_GETFD);
  EXPECT_TRUE(flags & FD_CLOEXEC);
  ::close(a);
  ::close(c);
}

TEST(Listener, UnixSocketReplacesAStaleSocketButNotARegularFile) {
  char tmpl[] = "/tmp/am-milterd-l-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl, err;
  auto spec = ListenSpec::parse("unix:" + dir + "/s", &err);
  {
    auto first = openListener(*spec, 0, &err);
    ASSERT_TRUE(first) << err;
  }  // closed without removing the file: a stale socket
  auto second = openListener(*spec, 0, &err);
  ASSERT_TRUE(second) << err;
  int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s/s", dir.c_str());
  EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string peer;
  pollfd pf{second->fd.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pf, 1, 5000), 1);
  int a = acceptConnection(*second, &peer);
  EXPECT_GE(a, 0);
  EXPECT_EQ(peer, "unix");
  EXPECT_TRUE(::fcntl(a, F_GETFL) & O_NONBLOCK);
  ::close(a);
  ::close(c);
  removeSocketFile(*second);
  EXPECT_NE(::access((dir + "/s").c_str(), F_OK), 0);
  FILE* f = std::fopen((dir + "/s").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_FALSE(openListener(*spec, 0, &err));  // a regular file is not removed
  EXPECT_EQ(::access((dir + "/s").c_str(), F_OK), 0);
  std::system(("rm -rf '" + dir + "'").c_str());
}
