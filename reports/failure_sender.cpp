// reports/failure_sender.cpp — see failure_sender.h.
#include "reports/failure_sender.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "reports/aggregate.h"

namespace am::reports {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string prefix(const FailureJob& job) {
  return "failure report qid=" + (job.input.queueId.empty() ? std::string("-") : job.input.queueId) +
         " domain=" + job.input.record.reportDomain;
}

}  // namespace

FailureReporter::FailureReporter(SendFn send, Resolver& dns, const Clock& clock, Options opts, LogFn log)
    : send_(std::move(send)), dns_(dns), clock_(clock), opts_(opts), log_(std::move(log)) {
  sender_ = std::thread([this] { run(); });
}

FailureReporter::~FailureReporter() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  sender_.join();
}

FailureReporter::Offer FailureReporter::offer(FailureJob job) {
  std::string domain = lower(job.input.record.reportDomain);
  int64_t hour = hourOf(clock_.unixSeconds());
  {
    std::lock_guard lk(mu_);
    if (hour != rateHour_) {  // a new hour: every domain starts again
      rateHour_ = hour;
      rateCounts_.clear();
    }
    unsigned& n = rateCounts_[domain];
    if (job.ratePerHour != 0 && n >= job.ratePerHour) {
      ++stats_.rateLimited;
      return Offer::RateLimited;
    }
    if (stop_ || queue_.size() >= opts_.queueLimit) {
      ++stats_.droppedQueueFull;
      return Offer::QueueFull;
    }
    ++n;
    ++stats_.queued;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return Offer::Queued;
}

FailureReporter::Stats FailureReporter::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

bool FailureReporter::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return idle_.wait_for(lk, timeout, [this] { return queue_.empty() && !busy_; });
}

void FailureReporter::run() {
  SteadyTime stopDeadline{};
  std::unique_lock lk(mu_);
  for (;;) {
    if (queue_.empty()) {
      idle_.notify_all();
      if (stop_) break;
      wake_.wait_for(lk, std::chrono::seconds(1), [this] { return stop_ || !queue_.empty(); });
      lk.unlock();
      logDrops(false);
      lk.lock();
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (stop_ && stopDeadline == SteadyTime{}) stopDeadline = now + opts_.stopTimeout;
    if (stop_ && now >= stopDeadline) {  // no time left: drop the rest
      size_t n = queue_.size();
      stats_.droppedAtStop += n;
      queue_.clear();
      lk.unlock();
      log(Level::Warning, "failure reports: " + std::to_string(n) + " not sent: the stop timeout ran out");
      lk.lock();
      continue;
    }
    FailureJob job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lk.unlock();
    handle(job, stop_ ? stopDeadline : SteadyTime::max());
    logDrops(false);
    lk.lock();
    busy_ = false;
  }
  lk.unlock();
  logDrops(true);
}

void FailureReporter::handle(const FailureJob& job, SteadyTime deadline) {
  int64_t now = clock_.unixSeconds();
  std::set<std::string> seen;  // one report per address, even when two URIs name it
  for (const auto& uri : job.input.record.published.ruf) {
    auto d = parseRua(uri);
    if (d && !seen.insert(lower(d->address)).second) continue;
    deliver(job, uri, now, deadline);
  }
  for (const auto& to : job.bcc) {
    std::string message = to.empty() ? "" : failureMessage(job.input, job.settings, to, now);
    if (!message.empty()) transmit(job, to, message, "bcc", deadline);
  }
}

void FailureReporter::deliver(const FailureJob& job, const std::string& uri, int64_t now, SteadyTime deadline) {
  auto refuse = [&](const std::string& why) {
    {
      std::lock_guard lk(mu_);
      ++stats_.refused;
    }
    log(Level::Warning, prefix(job) + " uri=" + uri + " refused: " + why);
  };
  auto dest = parseRua(uri);
  if (!dest) return refuse("not a mailto URI");
  const std::string& domain = job.input.record.reportDomain;
  if (!sameReportDomain(domain, dest->domain())) {
    switch (authorized(domain, dest->domain())) {
      case Authorization::Yes:
        break;
      case Authorization::No:
        return refuse("not authorized by " + domain + "._report._dmarc." + dest->domain());
      case Authorization::TryLater: {
        {
          std::lock_guard lk(mu_);
          ++stats_.failed;
        }
        log(Level::Warning, prefix(job) + " to=" + dest->address + " failed: temporary DNS failure looking up " + domain +
                                "._report._dmarc." + dest->domain() + " (not sent)");
        return;
      }
    }
  }
  std::string message = failureMessage(job.input, job.settings, dest->address, now);
  if (message.empty())
    return refuse("no report fits in " + std::to_string(job.settings.maxBytes) + " bytes");
  if (dest->maxBytes != 0 && message.size() > dest->maxBytes)
    return refuse("report of " + std::to_string(message.size()) + " bytes over the !size limit of " +
                  std::to_string(dest->maxBytes));
  transmit(job, dest->address, message, "", deadline);
}

bool FailureReporter::transmit(const FailureJob& job, const std::string& to, const std::string& message,
                               const std::string& what, SteadyTime deadline) {
  Transport t = job.transport;
  t.from = job.settings.sentBy;
  auto limit = std::min(t.timeout, opts_.sendTimeout);
  if (deadline != SteadyTime::max()) {  // stopping: never past the stop deadline
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    limit = std::clamp(left, std::chrono::milliseconds(1), limit);
  }
  t.timeout = limit;
  SmtpResult r = send_(t, to, message);
  {
    std::lock_guard lk(mu_);
    ++(r.accepted ? stats_.sent : stats_.failed);
  }
  std::string line = prefix(job) + " to=" + to + (what.empty() ? "" : " (" + what + ")");
  if (r.accepted) log(Level::Info, line + " sent");
  else log(Level::Warning, line + " failed: " + (r.detail.empty() ? std::string("not accepted") : r.detail));
  return r.accepted;
}

Authorization FailureReporter::authorized(const std::string& reportDomain, const std::string& destDomain) {
  std::string key = lower(reportDomain) + " " + lower(destDomain);
  auto now = clock_.now();
  if (auto it = authCache_.find(key); it != authCache_.end()) {
    if (now < it->second.expires) return it->second.answer;
    authCache_.erase(it);
  }
  Authorization a = destinationAuthorized(dns_, reportDomain, destDomain);
  if (a != Authorization::TryLater) {
    if (authCache_.size() >= 10000) authCache_.clear();  // bounded: a flood of domains starts it over
    authCache_[key] = {a, now + opts_.authCacheTtl};
  }
  return a;
}

void FailureReporter::logDrops(bool force) {
  std::string line;
  {
    std::lock_guard lk(mu_);
    auto now = std::chrono::steady_clock::now();
    uint64_t rl = stats_.rateLimited - loggedRateLimited_, qf = stats_.droppedQueueFull - loggedQueueFull_;
    if (rl == 0 && qf == 0) return;
    if (!force && lastDropLog_ != std::chrono::steady_clock::time_point{} && now - lastDropLog_ < opts_.logInterval)
      return;
    lastDropLog_ = now;
    loggedRateLimited_ = stats_.rateLimited;
    loggedQueueFull_ = stats_.droppedQueueFull;
    line = "failure reports not sent: " + std::to_string(rl) + " over the hourly rate limit of their domain, " +
           std::to_string(qf) + " with the queue full (totals: " + std::to_string(stats_.rateLimited) + " and " +
           std::to_string(stats_.droppedQueueFull) + ")";
  }
  log(Level::Warning, line);
}

}  // namespace am::reports
