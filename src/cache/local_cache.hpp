// nsl/cache/local_cache.hpp — the in-process Cache back end.
//
// Keys are spread over `shards` maps, each with its own mutex. Expiry uses Clock::steady_now()
// (inject a FakeClock in tests); expired entries vanish on access and are swept when a shard is
// full, after which the oldest-written entry of the shard is evicted. Lock fencing counters live
// outside the bounded maps (they must never go backwards) and are never evicted. Exact only within
// one process: replicas each have their own LocalCache.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/cache.hpp"
#include "core/clock.hpp"

namespace nsl::cache {

struct LocalCacheOptions {
  std::string prefix = "nsl:";
  std::size_t max_entries =
      100000;  // across all shards (each shard holds max_entries / shards, at least 1)
  std::size_t shards = 16;
  const Clock* clock = nullptr;  // nullptr: Clock::real(); must outlive the cache
};

struct LocalCacheStats {
  std::uint64_t evictions = 0;  // live entries dropped because a shard was full
  std::uint64_t expired = 0;    // entries removed because their ttl had passed
};

class LocalCache final : public Cache {
 public:
  explicit LocalCache(LocalCacheOptions options = {});
  ~LocalCache() override;
  LocalCache(const LocalCache&) = delete;
  LocalCache& operator=(const LocalCache&) = delete;

  Result<std::optional<std::string>> get(std::string_view key) override;
  Status set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  Result<bool> set_if_absent(std::string_view key, std::string_view value,
                             std::chrono::milliseconds ttl) override;
  Result<bool> del(std::string_view key) override;
  Result<std::int64_t> incr_window(std::string_view key, std::chrono::milliseconds window) override;
  Result<RateDecision> rate_limit(std::string_view key, std::int64_t limit_per_period,
                                  std::chrono::milliseconds period, std::int64_t cost = 1) override;
  Result<std::optional<Lock>> acquire_lock(std::string_view name,
                                           std::chrono::milliseconds ttl) override;
  Result<bool> release_lock(const Lock& lock) override;
  Status ping() override;
  const std::string& prefix() const override { return prefix_; }

  LocalCacheStats stats() const;
  // Live (unexpired or not yet swept) entries across all shards.
  std::size_t size() const;

 private:
  struct Shard;
  Shard& shard_for(const std::string& full_key);
  std::chrono::steady_clock::time_point now() const { return clock_->steady_now(); }

  std::string prefix_;
  const Clock* clock_;
  std::size_t per_shard_max_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::mutex fence_mu_;
  std::unordered_map<std::string, std::int64_t> fences_;
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::uint64_t> expired_{0};
};

}  // namespace nsl::cache
