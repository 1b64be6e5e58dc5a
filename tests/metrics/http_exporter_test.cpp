// tests/metrics/http_exporter_test.cpp — the libmicrohttpd exporter in-process on 127.0.0.1 (port
// 0: a free port): /metrics answers the registry with the 0.0.4 content type, other paths 404,
// other methods 405; an address in use is refused with the reason; the values are those at the
// time of the request.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "filter/metrics/http_exporter.h"

using namespace am::metrics;

namespace {

// One HTTP/1.0 request over a fresh connection (bounded by a 10 s socket timeout); the raw reply.
std::string request(uint16_t port, const std::string& method, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    std::string req = method + " " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST(HttpExporter, ServesTheRegistryAtMetrics) {
  Registry r;
  Counter& c = r.counter("t_events_total", "Events");
  std::string err;
  auto e = HttpExporter::start(*am::IpAddress::parse("127.0.0.1"), 0, r, &err);
  ASSERT_TRUE(e) << err;
  ASSERT_NE(e->port(), 0);
  std::string reply = request(e->port(), "GET", "/metrics");
  EXPECT_TRUE(has(reply, "HTTP/1.0 200") || has(reply, "HTTP/1.1 200")) << reply;
  EXPECT_TRUE(has(reply, "Content-Type: text/plain; version=0.0.4; charset=utf-8")) << reply;
  EXPECT_TRUE(has(reply, "\r\n\r\n# HELP t_events_total Events\n# TYPE t_events_total counter\nt_events_total 0\n")) << reply;
  c.inc(7);
  EXPECT_TRUE(has(request(e->port(), "GET", "/metrics"), "\nt_events_total 7\n"));
  std::string head = request(e->port(), "HEAD", "/metrics");
  EXPECT_TRUE(has(head, " 200 ")) << head;
  EXPECT_FALSE(has(head, "t_events_total")) << head;
}

TEST(HttpExporter, OtherPathsAre404AndOtherMethods405) {
  Registry r;
  r.counter("t_total", "T");
  std::string err;
  auto e = HttpExporter::start(*am::IpAddress::parse("127.0.0.1"), 0, r, &err);
  ASSERT_TRUE(e) << err;
  for (const char* path : {"/", "/metrics/", "/metricsx", "/favicon.ico"}) {
    std::string reply = request(e->port(), "GET", path);
    EXPECT_TRUE(has(reply, " 404 ")) << path << ": " << reply;
    EXPECT_FALSE(has(reply, "t_total")) << path;
  }
  std::string post = request(e->port(), "POST", "/metrics");
  EXPECT_TRUE(has(post, " 405 ")) << post;
  EXPECT_TRUE(has(post, "Allow: GET, HEAD")) << post;
}

TEST(HttpExporter, AnAddressInUseIsRefusedWithTheReason) {
  Registry r;
  std::string err;
  auto first = HttpExporter::start(*am::IpAddress::parse("127.0.0.1"), 0, r, &err);
  ASSERT_TRUE(first) << err;
  auto second = HttpExporter::start(*am::IpAddress::parse("127.0.0.1"), first->port(), r, &err);
  EXPECT_FALSE(second);
  EXPECT_TRUE(has(err, "127.0.0.1:" + std::to_string(first->port()))) << err;
  EXPECT_TRUE(has(err, "Address already in use")) << err;
}

TEST(HttpExporter, StopsAndFreesThePortOnDestruction) {
  Registry r;
  std::string err;
  uint16_t port;
  {
    auto e = HttpExporter::start(*am::IpAddress::parse("127.0.0.1"), 0, r, &err);
    ASSERT_TRUE(e) << err;
    port = e->port();
  }
  EXPECT_EQ(request(port, "GET", "/metrics"), "");  // nobody listens any more
  auto again = HttpExporter::start(*am::IpAddress::parse("127.0.0.1"), port, r, &err);
  EXPECT_TRUE(again) << err;
}
