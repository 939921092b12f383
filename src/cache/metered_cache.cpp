#include "cache/metered_cache.hpp"

#include "obs/metrics.hpp"

namespace nsl::cache {

MeteredCache::MeteredCache(Cache& inner, std::string_view name, obs::Registry& registry)
    : inner_(inner) {
  auto& requests = registry.counter_family("nsl_cache_requests_total",
                                           "Cache reads (get) by result: hit, miss or error.",
                                           {"cache", "result"});
  hit_ = &requests.with({name, "hit"});
  miss_ = &requests.with({name, "miss"});
  error_ = &requests.with({name, "error"});
  auto& errors = registry.counter_family("nsl_cache_errors_total",
                                         "Failed cache calls by operation.", {"cache", "op"});
  static constexpr std::array<std::string_view, kOps> kNames = {
      "get",        "set",          "set_if_absent", "del", "incr_window",
      "rate_limit", "admit",        "acquire_lock",  "release_lock", "ping"};
  for (std::size_t i = 0; i < kOps; ++i) errors_[i] = &errors.with({name, kNames[i]});
}

void MeteredCache::on_error(Op op) { errors_[op]->inc(); }

Result<std::optional<std::string>> MeteredCache::get(std::string_view key) {
  auto r = inner_.get(key);
  if (!r.ok()) {
    error_->inc();
    errors_[kGet]->inc();
  } else if (r->has_value()) {
    hit_->inc();
  } else {
    miss_->inc();
  }
  return r;
}

Status MeteredCache::set(std::string_view key, std::string_view value,
                         std::chrono::milliseconds ttl) {
  return count(kSet, inner_.set(key, value, ttl));
}

Result<bool> MeteredCache::set_if_absent(std::string_view key, std::string_view value,
                                         std::chrono::milliseconds ttl) {
  return count(kSetIfAbsent, inner_.set_if_absent(key, value, ttl));
}

Result<bool> MeteredCache::del(std::string_view key) { return count(kDel, inner_.del(key)); }

Result<std::int64_t> MeteredCache::incr_window(std::string_view key,
                                               std::chrono::milliseconds window) {
  return count(kIncrWindow, inner_.incr_window(key, window));
}

Result<RateDecision> MeteredCache::rate_limit(std::string_view key, std::int64_t limit_per_period,
                                              std::chrono::milliseconds period, std::int64_t cost) {
  return count(kRateLimit, inner_.rate_limit(key, limit_per_period, period, cost));
}

Result<Admission> MeteredCache::admit(const RateStep& first, std::string_view flag,
                                      const RateStep& second) {
  return count(kAdmit, inner_.admit(first, flag, second));
}

Result<std::optional<Lock>> MeteredCache::acquire_lock(std::string_view name,
                                                       std::chrono::milliseconds ttl) {
  return count(kAcquire, inner_.acquire_lock(name, ttl));
}

Result<bool> MeteredCache::release_lock(const Lock& lock) {
  return count(kRelease, inner_.release_lock(lock));
}

Status MeteredCache::ping() { return count(kPing, inner_.ping()); }

}  // namespace nsl::cache
