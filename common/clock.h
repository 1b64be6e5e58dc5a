// common/clock.h — injected time (DKIM t=/x=, cache TTLs, SPF deadlines). Tests pass FixedClock.
#pragma once
#include <chrono>
#include <cstdint>

namespace am {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t unixSeconds() const = 0;                         // wall clock
  virtual std::chrono::steady_clock::time_point now() const = 0;  // for deadlines
};

class SystemClock final : public Clock {
 public:
  int64_t unixSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  static const SystemClock& instance() { static SystemClock c; return c; }
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t unix) : unix_(unix) {}
  int64_t unixSeconds() const override { return unix_; }
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::seconds(unix_));
  }
  void set(int64_t unix) { unix_ = unix; }
 private:
  int64_t unix_;
};

}  // namespace am
