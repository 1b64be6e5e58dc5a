// filter/milter/server_metrics.cpp — see server_metrics.h.
#include "filter/milter/server_metrics.h"

namespace am::milter {

void registerServerMetrics(metrics::Registry& r, std::function<Server::Stats()> read) {
  auto gauge = [&r, read](const char* name, const char* help, auto field) {
    r.gaugeFrom(name, help, {}, [read, field] { return static_cast<double>(field(read())); });
  };
  auto counter = [&r, read](const char* name, const char* help, auto field) {
    r.counterFrom(name, help, {}, [read, field] { return static_cast<uint64_t>(field(read())); });
  };
  using S = const Server::Stats&;
  gauge("authmilter_milter_connections", "Milter connections open", [](S s) { return s.live; });
  gauge("authmilter_milter_workers", "Milter worker threads (busy, blocked in DNS or idle)", [](S s) { return s.workers; });
  gauge("authmilter_milter_workers_busy", "Milter worker threads serving a connection",
        [](S s) { return s.workers > s.idle ? s.workers - s.idle : 0; });
  counter("authmilter_milter_connections_accepted_total", "Milter connections accepted", [](S s) { return s.accepted; });
  counter("authmilter_milter_connection_limit_waits_total",
          "Times new connections had to wait in the listen queue at MaxConnections", [](S s) { return s.limitWaits; });
  counter("authmilter_milter_io_timeouts_total", "Milter connections closed by MilterTimeout", [](S s) { return s.timeouts; });
}

}  // namespace am::milter
