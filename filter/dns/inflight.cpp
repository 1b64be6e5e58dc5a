// filter/dns/inflight.cpp — see inflight.h.
#include "filter/dns/inflight.h"

namespace am::dns {

InFlight::Lead::~Lead() {
  if (!finished_) finish(std::move(fallback_));
}

void InFlight::Lead::finish(CachedAnswer answer) {
  if (finished_) return;
  finished_ = true;
  {
    std::lock_guard lk(table_.mu_);  // new lookups now miss the table (and hit the cache)
    table_.flights_.erase(key_);
  }
  {
    std::lock_guard lk(flight_->mu);
    flight_->answer = std::move(answer);
    flight_->done = true;
  }
  flight_->cv.notify_all();
}

std::shared_ptr<InFlight::Flight> InFlight::join(const std::string& key, CachedAnswer fallback,
                                                 std::unique_ptr<Lead>& lead) {
  std::lock_guard lk(mu_);
  auto [it, fresh] = flights_.try_emplace(key);
  if (!fresh) return it->second;
  it->second = std::make_shared<Flight>();
  lead = std::make_unique<Lead>(*this, key, it->second, std::move(fallback));
  return nullptr;
}

bool InFlight::wait(Flight& f, Deadline deadline, CachedAnswer& out) {
  std::unique_lock lk(f.mu);
  if (!f.cv.wait_until(lk, deadline, [&] { return f.done; })) return false;
  out = f.answer;
  return true;
}

size_t InFlight::size() const {
  std::lock_guard lk(mu_);
  return flights_.size();
}

}  // namespace am::dns
