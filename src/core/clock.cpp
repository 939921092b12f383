#include "core/clock.hpp"

namespace nsl {
namespace {
class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point system_now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
};
}  // namespace

const Clock& Clock::real() {
  static const RealClock clock;
  return clock;
}

FakeClock::FakeClock()
    // A fixed, recognisable epoch: 2026-01-01T00:00:00Z.
    : sys0_(std::chrono::system_clock::time_point(std::chrono::seconds(1767225600))),
      steady0_(std::chrono::steady_clock::time_point(std::chrono::hours(1))) {}

std::chrono::system_clock::time_point FakeClock::system_now() const {
  return sys0_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                     std::chrono::nanoseconds(offset_ns_.load()));
}
std::chrono::steady_clock::time_point FakeClock::steady_now() const {
  return steady0_ + std::chrono::nanoseconds(offset_ns_.load());
}

}  // namespace nsl
