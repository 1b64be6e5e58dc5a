// filter/milter/server_metrics.h — the native milter server's metrics: its open connections, worker
// threads (all and busy), connections accepted, waits at MaxConnections and I/O timeouts. The
// values are the counters the server keeps anyway (Server::Stats), read through `read` when
// /metrics is scraped; serving counts nothing more.
// Thread-safety: `read` is called from the exporter's thread and must be safe there.
#pragma once
#include <functional>

#include "filter/metrics/registry.h"
#include "filter/milter/server.h"

namespace am::milter {

void registerServerMetrics(metrics::Registry& r, std::function<Server::Stats()> read);

}  // namespace am::milter
