// filter/report_command.cpp — see report_command.h.
#include "filter/report_command.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "common/clock.h"
#include "filter/config/config.h"
#include "filter/core/options.h"
#include "filter/dns/udp_resolver.h"
#include "reports/aggregate.h"
#include "reports/deliver.h"
#include "reports/store.h"

namespace am::report {
namespace {

const char* kUsage =
    "usage: authmilter report [-c FILE] [--period day|hour | --begin UNIX --end UNIX]\n"
    "                         [--format rfc9990|rfc7489] [--dry-run --out DIR]\n"
    "  --period day     the previous UTC day (default); hour: the previous UTC hour\n"
    "  --begin/--end    the period [begin, end) in unix seconds, on hour boundaries\n"
    "  --dry-run        build the reports and write them to --out DIR instead of sending them\n";

struct Args {
  std::string config = "/etc/authmilter/authmilter.conf";
  std::string period = "day";
  int64_t begin = -1, end = -1;
  std::string format;  // "" = ReportFormat
  bool dryRun = false;
  std::string out;
};

bool parseInt(const char* s, int64_t& v) {
  char* e = nullptr;
  long long n = std::strtoll(s, &e, 10);
  if (!*s || *e || n < 0) return false;
  v = n;
  return true;
}

bool parseArgs(int argc, char** argv, Args& a) {
  for (int i = 2; i < argc; ++i) {
    std::string o = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    auto take = [&]() { return next ? (++i, std::string(next)) : std::string(); };
    if (o == "-c" && next) a.config = take();
    else if (o == "--period" && next) a.period = take();
    else if (o == "--begin" && next && parseInt(next, a.begin)) ++i;
    else if (o == "--end" && next && parseInt(next, a.end)) ++i;
    else if (o == "--format" && next) a.format = take();
    else if (o == "--dry-run") a.dryRun = true;
    else if (o == "--out" && next) a.out = take();
    else return false;
  }
  if ((a.begin < 0) != (a.end < 0)) return false;
  if (a.begin >= 0 && (a.begin % 3600 || a.end % 3600 || a.end <= a.begin)) return false;
  if (a.period != "day" && a.period != "hour") return false;
  if (!a.format.empty() && a.format != "rfc9990" && a.format != "rfc7489") return false;
  return a.dryRun == !a.out.empty();  // --out only with --dry-run
}

// Sends the reports of [begin, end) and retries earlier failures (reports/deliver.h); one line per
// report and destination on stdout.
int send(const config::Config& cfg, const core::ReportSettings& rs, reports::Store& store, reports::Format format,
         int64_t begin, int64_t end, int64_t now) {
  std::vector<std::string> errors;
  auto dnsOpts = core::dnsOptions(cfg, errors);
  std::string err;
  std::unique_ptr<Resolver> dns;
  if (dnsOpts) dns = dns::UdpResolver::create(*dnsOpts, &err);
  for (auto& e : errors) std::cerr << e << "\n";
  if (!dns) {
    if (!err.empty()) std::cerr << cfg.where("Nameservers") << "DNS resolver: " << err << "\n";
    return 1;
  }
  reports::RunOptions o;
  o.who = rs.reporter;
  o.format = format;
  o.now = now;
  o.retentionDays = rs.retentionDays;
  const reports::Transport transport = rs.transport(rs.reporter.email);
  o.send = [&transport](const std::string& to, const std::string& msg) { return reports::sendMessage(transport, to, msg); };
  o.log = [](const std::string& line) { std::cout << line << std::endl; };
  reports::RunSummary sum;
  if (err = reports::runReports(store, *dns, begin, end, o, sum); !err.empty()) {
    std::cerr << "authmilter report: " << err << "\n";
    return 1;
  }
  std::cout << "reports " << sum.reports << " sent " << sum.sent << " refused " << sum.refused << " failed "
            << sum.failed << "\n";
  return sum.failed ? 1 : 0;
}

}  // namespace

int reportMain(int argc, char** argv) {
  Args a;
  if (!parseArgs(argc, argv, a)) {
    std::cerr << kUsage;
    return 2;
  }
  auto loaded = config::loadFile(a.config);
  for (auto& e : loaded.errors) std::cerr << e << "\n";
  if (!loaded.config) return 1;
  std::vector<std::string> errors;
  const auto settings = core::reportSettings(*loaded.config, errors);
  for (auto& e : errors) std::cerr << e << "\n";
  if (!settings) return 1;
  const core::ReportSettings& rs = *settings;
  if (rs.store.empty()) {
    std::cerr << loaded.config->where("ReportStore") << "ReportStore is not set: there is nothing to report\n";
    return 1;
  }
  reports::Format format = a.format.empty() ? rs.format : a.format == "rfc7489" ? reports::Format::Rfc7489
                                                                                 : reports::Format::Rfc9990;
  int64_t now = SystemClock::instance().unixSeconds();
  int64_t len = a.period == "hour" ? 3600 : 86400;
  int64_t begin = a.begin >= 0 ? a.begin : now - now % len - len;
  int64_t end = a.begin >= 0 ? a.end : begin + len;

  std::string err;
  auto store = reports::openStore(rs.store, &err);
  if (!store) {
    std::cerr << loaded.config->where("ReportStore") << err << "\n";
    return 1;
  }
  std::vector<reports::AggregateRow> rows;
  std::vector<reports::PolicyRow> policies;
  if (err = store->rows(begin, end, rows); err.empty()) err = store->policies(begin, end, policies);
  if (!err.empty()) {
    std::cerr << "authmilter report: " << err << "\n";
    return 1;
  }
  if (!a.dryRun) return send(*loaded.config, rs, *store, format, begin, end, now);
  mkdir(a.out.c_str(), 0750);
  int failures = 0;
  for (auto& r : reports::buildReports(rows, policies, begin, end)) {
    auto gz = reports::gzip(reports::reportXml(r, rs.reporter, format));
    std::string name = reports::reportFileName(r, rs.reporter);
    std::string path = a.out + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!gz || !f.write(gz->data(), static_cast<std::streamsize>(gz->size())) || !f.flush()) {
      std::cerr << "authmilter report: cannot write " << path << "\n";
      ++failures;
      continue;
    }
    std::cout << r.domain << ": " << r.messages << " messages, " << r.rows.size() << " records, " << name << " ->";
    for (auto& uri : r.published.rua) std::cout << " " << uri;
    std::cout << "\n";
  }
  return failures ? 1 : 0;
}

}  // namespace am::report
