// nsl/cache/metered_cache.hpp — a Cache decorator that counts hits, misses and errors.
//
// Wraps any Cache (LocalCache, RedisCache) under a name label and counts, in an obs::Registry:
//   nsl_cache_requests_total{cache, result="hit|miss|error"}  every get()
//   nsl_cache_errors_total{cache, op}                          every failed call, by operation
//                                                              (get, set, set_if_absent, del,
//                                                              incr_window, rate_limit,
//                                                              acquire_lock, release_lock, ping)
// Errors include invalid_argument (a caller bug is worth seeing too); results pass through
// unchanged. The counter children are resolved once here, so a call costs one relaxed atomic add.
//
//   cache::MeteredCache shared(*redis, "shared", registry);  // *redis and registry outlive it
//   auto v = shared.get("k");  // counted as hit or miss
//
// Thread-safety: as the wrapped cache (every implementation is fully thread-safe).
#pragma once

#include <array>
#include <string>

#include "cache/cache.hpp"

namespace nsl::obs {
class Registry;
class Counter;
}  // namespace nsl::obs

namespace nsl::cache {

class MeteredCache final : public Cache {
 public:
  MeteredCache(Cache& inner, std::string_view name, obs::Registry& registry);
  MeteredCache(const MeteredCache&) = delete;
  MeteredCache& operator=(const MeteredCache&) = delete;

  Result<std::optional<std::string>> get(std::string_view key) override;
  Status set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  Result<bool> set_if_absent(std::string_view key, std::string_view value,
                             std::chrono::milliseconds ttl) override;
  Result<bool> del(std::string_view key) override;
  Result<std::int64_t> incr_window(std::string_view key, std::chrono::milliseconds window) override;
  Result<RateDecision> rate_limit(std::string_view key, std::int64_t limit_per_period,
                                  std::chrono::milliseconds period, std::int64_t cost = 1) override;
  Result<Admission> admit(const RateStep& first, std::string_view flag,
                          const RateStep& second) override;
  Result<std::optional<Lock>> acquire_lock(std::string_view name,
                                           std::chrono::milliseconds ttl) override;
  Result<bool> release_lock(const Lock& lock) override;
  Status ping() override;
  const std::string& prefix() const override { return inner_.prefix(); }

  Cache& inner() noexcept { return inner_; }

 private:
  enum Op {
    kGet,
    kSet,
    kSetIfAbsent,
    kDel,
    kIncrWindow,
    kRateLimit,
    kAdmit,
    kAcquire,
    kRelease,
    kPing,
    kOps
  };
  template <class R>
  R count(Op op, R r) {
    if (!r.ok()) on_error(op);
    return r;
  }
  void on_error(Op op);

  Cache& inner_;
  obs::Counter* hit_;
  obs::Counter* miss_;
  obs::Counter* error_;
  std::array<obs::Counter*, kOps> errors_{};
};

}  // namespace nsl::cache
