// nsl/core/clock.hpp — time as an injectable dependency.
//
// `system_now()` is wall time (token expiry, audit timestamps); `steady_now()` is monotonic (timeouts, rate
// windows). No timeout is ever computed from wall time. Tests use FakeClock and move time with advance().
// Thread-safety: all members are safe to call concurrently.
#pragma once

#include <atomic>
#include <chrono>

namespace nsl {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point system_now() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;

  // The process-wide real clock.
  static const Clock& real();
};

class FakeClock final : public Clock {
 public:
  FakeClock();
  std::chrono::system_clock::time_point system_now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
  void advance(std::chrono::nanoseconds d) { offset_ns_ += d.count(); }

 private:
  std::chrono::system_clock::time_point sys0_;
  std::chrono::steady_clock::time_point steady0_;
  std::atomic<long long> offset_ns_{0};
};

}  // namespace nsl
