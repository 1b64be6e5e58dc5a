// reports/failure_sender.h — sends DMARC failure reports (ruf) from the milter without ever
// slowing a verdict: offer() (milter workers) checks the per-domain hourly rate limit and puts the
// job into a bounded queue under one mutex, never waiting on I/O; one sender thread builds each
// report (reports/failure.h) and hands it to each ruf destination through the injected send
// function (reports::sendMessage in production). For every destination: mailto URIs only, the
// "!size" limit checked against the built message, and a destination outside the report domain
// only when <report-domain>._report._dmarc.<dest-domain> authorizes it (looked up on the sender
// thread through the injected Resolver; the answer is cached for Options::authCacheTtl, a
// temporary DNS failure is not cached and that report is not sent). FailureReportsBcc gets a copy
// of every report the reporter builds (the operator's own addresses, no authorization). One log
// line per report and destination (sent / refused why / failed why); drops (rate limit, queue
// full) are counted and logged at most once per Options::logInterval with the totals.
// Thread-safety: offer(), stats() and drain() from any thread. The destructor stops the sender:
// what is still queued is sent while Options::stopTimeout lasts (each send bounded by what is
// left of it), the rest is dropped, counted and logged; then it joins the thread.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/dns.h"
#include "reports/deliver.h"
#include "reports/failure.h"
#include "reports/mail.h"

namespace am::reports {

// One failing message to report, with the settings of the configuration it was evaluated under
// (so that a reload changes them for the next message).
struct FailureJob {
  FailureInput input;
  FailureSettings settings;      // settings.sentBy is also the envelope sender
  Transport transport;           // ReportSMTPRelay / ReportCommand
  std::vector<std::string> bcc;  // FailureReportsBcc
  unsigned ratePerHour = 10;     // FailureReportsRateLimit: reports per report domain and UTC hour; 0 = no limit
};

class FailureReporter {
 public:
  struct Options {
    size_t queueLimit = 1000;
    std::chrono::milliseconds logInterval{60000};
    std::chrono::seconds authCacheTtl{3600};          // authorization answers (yes and no) kept this long
    std::chrono::milliseconds sendTimeout{30000};     // one message to one destination at most
    std::chrono::milliseconds stopTimeout{5000};
  };
  using SendFn = std::function<SmtpResult(const Transport&, const std::string& to, const std::string& message)>;
  enum class Level { Info, Warning };
  using LogFn = std::function<void(Level, std::string_view)>;

  // `dns` and `clock` must outlive the reporter (the Engine's resolver and clock).
  FailureReporter(SendFn send, Resolver& dns, const Clock& clock, Options opts, LogFn log);
  ~FailureReporter();
  FailureReporter(const FailureReporter&) = delete;
  FailureReporter& operator=(const FailureReporter&) = delete;

  enum class Offer { Queued, RateLimited, QueueFull };
  Offer offer(FailureJob job);

  struct Stats {
    uint64_t queued = 0;            // accepted by offer()
    uint64_t rateLimited = 0;       // over the hourly limit of their domain
    uint64_t droppedQueueFull = 0;
    uint64_t droppedAtStop = 0;     // still queued when the stop timeout ran out
    uint64_t sent = 0;              // messages the transport accepted (destinations and bcc)
    uint64_t refused = 0;           // destinations refused: not mailto, over !size, not authorized
    uint64_t failed = 0;            // transport failures and temporary authorization failures
  };
  Stats stats() const;
  // Waits (bounded) until every job offered so far was handled; true if so.
  bool drain(std::chrono::milliseconds timeout);

 private:
  void run();
  void handle(const FailureJob& job, std::chrono::steady_clock::time_point deadline);
  void deliver(const FailureJob& job, const std::string& uri, int64_t now, std::chrono::steady_clock::time_point deadline);
  bool transmit(const FailureJob& job, const std::string& to, const std::string& message, const std::string& what,
                std::chrono::steady_clock::time_point deadline);
  Authorization authorized(const std::string& reportDomain, const std::string& destDomain);
  void logDrops(bool force);
  void log(Level l, const std::string& line) { if (log_) log_(l, line); }

  SendFn send_;
  Resolver& dns_;
  const Clock& clock_;
  Options opts_;
  LogFn log_;

  struct CachedAuth {
    Authorization answer;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, CachedAuth> authCache_;  // sender thread only; "report-domain dest-domain"

  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<FailureJob> queue_;
  bool busy_ = false;  // the sender holds a job
  bool stop_ = false;
  Stats stats_;
  int64_t rateHour_ = -1;                        // the UTC hour the counts below belong to
  std::map<std::string, unsigned> rateCounts_;  // report domain -> reports queued this hour
  uint64_t loggedRateLimited_ = 0, loggedQueueFull_ = 0;
  std::chrono::steady_clock::time_point lastDropLog_{};
  std::thread sender_;
};

}  // namespace am::reports
