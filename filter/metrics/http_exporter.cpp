// filter/metrics/http_exporter.cpp — see http_exporter.h.
#include "filter/metrics/http_exporter.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"

namespace am::metrics {

void MhdStop::operator()(MHD_Daemon* d) const noexcept {
  if (d) MHD_stop_daemon(d);  // joins the daemon's thread and closes the listening socket
}

struct HttpHandler {
  static MHD_Result reply(MHD_Connection* c, unsigned status, const std::string& body, const char* type,
                          const char* allow = nullptr) {
    MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                      MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    MHD_Result q = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return q;
  }

  static MHD_Result handle(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                           const char*, size_t* uploadSize, void** reqCls) noexcept {
    // The first call for a request only announces it (headers read); answer on the second, once
    // any body has been read and ignored.
    static int seen;
    if (*reqCls != &seen) {
      *reqCls = &seen;
      return MHD_YES;
    }
    if (*uploadSize != 0) {
      *uploadSize = 0;
      return MHD_YES;
    }
    const char* text = "text/plain; charset=utf-8";
    try {
      if (std::strcmp(url, "/metrics") != 0) return reply(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n", text);
      bool get = std::strcmp(method, MHD_HTTP_METHOD_GET) == 0, head = std::strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
      if (!get && !head) return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", text, "GET, HEAD");
      auto* self = static_cast<HttpExporter*>(cls);
      return reply(c, MHD_HTTP_OK, self->registry_.render(), "text/plain; version=0.0.4; charset=utf-8");
    } catch (...) {
      return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "", text);
    }
  }
};

std::unique_ptr<HttpExporter> HttpExporter::start(const IpAddress& addr, uint16_t port, const Registry& registry,
                                                  std::string* err) {
  sockaddr_storage ss{};
  socklen_t len;
  if (addr.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, addr.bytes.data(), 16);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    std::memcpy(&s4->sin_addr, addr.bytes.data(), 4);
    len = sizeof *s4;
  }
  std::string where = (addr.v6 ? "[" + addr.str() + "]" : addr.str()) + ":" + std::to_string(port);
  auto fail = [&](const std::string& what) -> std::unique_ptr<HttpExporter> {
    if (err) *err = "metrics listener " + where + ": " + what;
    return nullptr;
  };
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.v6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(std::string("bind: ") + std::strerror(errno));
  if (::listen(fd.get(), 64) != 0) return fail(std::string("listen: ") + std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &blen) != 0)
    return fail(std::string("getsockname: ") + std::strerror(errno));
  uint16_t actual = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::unique_ptr<HttpExporter> e(new HttpExporter(registry, actual));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
  if (addr.v6) flags |= MHD_USE_IPv6;
  e->daemon_.reset(MHD_start_daemon(flags, 0, nullptr, nullptr, &HttpHandler::handle, e.get(),
                                    MHD_OPTION_LISTEN_SOCKET, fd.get(), MHD_OPTION_CONNECTION_LIMIT, 32u,
                                    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END));
  if (!e->daemon_) return fail("libmicrohttpd could not start");
  fd.release();  // the daemon owns and closes it now
  return e;
}

HttpExporter::~HttpExporter() = default;

}  // namespace am::metrics
