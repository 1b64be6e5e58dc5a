// filter/metrics/http_exporter.h — serves a metrics Registry over HTTP for Prometheus:
// GET (or HEAD) /metrics answers the registry rendered in the text format 0.0.4
// (Content-Type: text/plain; version=0.0.4); any other path is 404, any other method on /metrics
// 405. The HTTP side is libmicrohttpd (Debian's libmicrohttpd), with its own single thread; no
// HTTP parsing of ours.
//
// Ownership: the exporter owns the listening socket (bound here, so a failure says why) and the
// libmicrohttpd daemon (an RAII handle, stopped in the destructor, which joins its thread). The
// Registry must outlive the exporter.
// Thread-safety: start() and the destructor on one thread; port() from any. Render errors
// (allocation) become a 500 answer; no exception reaches libmicrohttpd.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "common/ip.h"
#include "filter/metrics/registry.h"

struct MHD_Daemon;

namespace am::metrics {

struct MhdStop {
  void operator()(MHD_Daemon* d) const noexcept;
};
using MhdDaemonPtr = std::unique_ptr<MHD_Daemon, MhdStop>;

class HttpExporter {
 public:
  // Binds addr:port (port 0: a free port, see port()) and starts serving. Null with *err when the
  // socket cannot be bound or the daemon cannot start. Signals the caller blocks stay blocked in
  // the server thread.
  static std::unique_ptr<HttpExporter> start(const IpAddress& addr, uint16_t port, const Registry& registry,
                                             std::string* err);
  ~HttpExporter();
  HttpExporter(const HttpExporter&) = delete;
  HttpExporter& operator=(const HttpExporter&) = delete;

  uint16_t port() const { return port_; }

 private:
  HttpExporter(const Registry& r, uint16_t port) : registry_(r), port_(port) {}
  const Registry& registry_;
  uint16_t port_;
  MhdDaemonPtr daemon_;
  friend struct HttpHandler;
};

}  // namespace am::metrics
