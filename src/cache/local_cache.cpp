#include "cache/local_cache.hpp"

#include <algorithm>
#include <functional>

#include "core/random.hpp"
#include "core/strings.hpp"

namespace nsl::cache {

using std::chrono::steady_clock;

struct LocalCache::Shard {
  struct Entry {
    std::string value;
    steady_clock::time_point expires;
    std::list<std::string>::iterator order;  // position in `order` (oldest write first)
  };
  std::mutex mu;
  std::unordered_map<std::string, Entry> map;
  std::list<std::string> order;
  steady_clock::time_point last_sweep{};

  // The live entry for `key`, or nullptr (an expired one is removed).
  Entry* find(const std::string& key, steady_clock::time_point now,
              std::atomic<std::uint64_t>& expired) {
    auto it = map.find(key);
    if (it == map.end()) return nullptr;
    if (it->second.expires <= now) {
      order.erase(it->second.order);
      map.erase(it);
      ++expired;
      return nullptr;
    }
    return &it->second;
  }

  void erase(std::unordered_map<std::string, Entry>::iterator it) {
    order.erase(it->second.order);
    map.erase(it);
  }

  // Inserts or replaces; makes room first when the shard is full.
  void put(const std::string& key, std::string value, steady_clock::time_point expires,
           steady_clock::time_point now, std::size_t max, std::atomic<std::uint64_t>& evictions,
           std::atomic<std::uint64_t>& expired) {
    auto it = map.find(key);
    if (it != map.end()) {
      it->second.value = std::move(value);
      it->second.expires = expires;
      order.splice(order.end(), order, it->second.order);  // newest write goes last
      return;
    }
    if (map.size() >= max) {
      // Sweep expired entries at most once a second (a full scan); then drop the oldest write.
      if (now - last_sweep >= std::chrono::seconds(1)) {
        last_sweep = now;
        for (auto e = map.begin(); e != map.end();) {
          if (e->second.expires <= now) {
            order.erase(e->second.order);
            e = map.erase(e);
            ++expired;
          } else {
            ++e;
          }
        }
      }
      while (map.size() >= max && !order.empty()) {
        map.erase(order.front());
        order.pop_front();
        ++evictions;
      }
    }
    order.push_back(key);
    map.emplace(key, Entry{std::move(value), expires, std::prev(order.end())});
  }
};

LocalCache::LocalCache(LocalCacheOptions options)
    : prefix_(std::move(options.prefix)), clock_(options.clock ? options.clock : &Clock::real()) {
  const std::size_t n = std::max<std::size_t>(1, options.shards);
  per_shard_max_ = std::max<std::size_t>(1, options.max_entries / n);
  shards_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

LocalCache::~LocalCache() = default;

LocalCache::Shard& LocalCache::shard_for(const std::string& full_key) {
  return *shards_[std::hash<std::string>{}(full_key) % shards_.size()];
}

Result<std::optional<std::string>> LocalCache::get(std::string_view key) {
  NSL_TRY(validate_key(key));
  const std::string k = prefix_ + std::string(key);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  if (auto* e = s.find(k, now(), expired_)) return std::optional<std::string>(e->value);
  return std::optional<std::string>();
}

Status LocalCache::set(std::string_view key, std::string_view value,
                       std::chrono::milliseconds ttl) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_ttl(ttl, "ttl"));
  const std::string k = prefix_ + std::string(key);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  const auto t = now();
  s.put(k, std::string(value), t + ttl, t, per_shard_max_, evictions_, expired_);
  return ok_status();
}

Result<bool> LocalCache::set_if_absent(std::string_view key, std::string_view value,
                                       std::chrono::milliseconds ttl) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_ttl(ttl, "ttl"));
  const std::string k = prefix_ + std::string(key);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  const auto t = now();
  if (s.find(k, t, expired_)) return false;
  s.put(k, std::string(value), t + ttl, t, per_shard_max_, evictions_, expired_);
  return true;
}

Result<bool> LocalCache::del(std::string_view key) {
  NSL_TRY(validate_key(key));
  const std::string k = prefix_ + std::string(key);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  if (!s.find(k, now(), expired_)) return false;
  s.erase(s.map.find(k));
  return true;
}

Result<std::int64_t> LocalCache::incr_window(std::string_view key,
                                             std::chrono::milliseconds window) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_ttl(window, "window"));
  const std::string k = prefix_ + std::string(key);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  const auto t = now();
  if (auto* e = s.find(k, t, expired_)) {
    auto n = parse_u64(e->value);
    if (!n) return err::invalid_argument("cache value is not a counter");
    const auto v = static_cast<std::int64_t>(*n) + 1;
    e->value = std::to_string(v);
    return v;
  }
  s.put(k, "1", t + window, t, per_shard_max_, evictions_, expired_);
  return std::int64_t{1};
}

Result<RateDecision> LocalCache::rate_limit(std::string_view key, std::int64_t limit_per_period,
                                            std::chrono::milliseconds period, std::int64_t cost) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_rate(limit_per_period, period, cost));
  using std::chrono::microseconds;
  // Same arithmetic as the Redis script: microseconds, emission interval rounded up.
  const std::int64_t period_us = std::chrono::duration_cast<microseconds>(period).count();
  const std::int64_t emission = (period_us + limit_per_period - 1) / limit_per_period;
  const std::int64_t tolerance = emission * limit_per_period;
  const std::string k = prefix_ + std::string(key);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  const auto tp = now();
  const std::int64_t now_us =
      std::chrono::duration_cast<microseconds>(tp.time_since_epoch()).count();
  std::int64_t tat = now_us;
  if (auto* e = s.find(k, tp, expired_)) {
    if (auto v = parse_u64(e->value)) tat = std::max(tat, static_cast<std::int64_t>(*v));
  }
  const std::int64_t new_tat = tat + emission * cost;
  const std::int64_t allow_at = new_tat - tolerance;
  const std::int64_t diff = now_us - allow_at;
  auto ceil_ms = [](std::int64_t us) { return std::chrono::milliseconds((us + 999) / 1000); };
  RateDecision d;
  if (diff < 0) {
    d.allowed = false;
    d.remaining = 0;
    d.retry_after = ceil_ms(-diff);
    d.reset_after = ceil_ms(tat - now_us);
    return d;
  }
  d.allowed = true;
  d.remaining = diff / emission;
  d.reset_after = ceil_ms(new_tat - now_us);
  s.put(k, std::to_string(new_tat), tp + microseconds(new_tat - now_us), tp, per_shard_max_,
        evictions_, expired_);
  return d;
}

Result<std::optional<Lock>> LocalCache::acquire_lock(std::string_view name,
                                                     std::chrono::milliseconds ttl) {
  NSL_TRY(validate_key(name));
  NSL_TRY(validate_ttl(ttl, "lock ttl"));
  const std::string k = prefix_ + "lock:" + std::string(name);
  Lock out{std::string(name), random_hex(16), 0};
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  const auto t = now();
  if (s.find(k, t, expired_)) return std::optional<Lock>();
  {
    std::lock_guard fence_lock(fence_mu_);
    out.fencing_token = ++fences_[k];
  }
  s.put(k, out.token, t + ttl, t, per_shard_max_, evictions_, expired_);
  return std::optional<Lock>(std::move(out));
}

Result<bool> LocalCache::release_lock(const Lock& l) {
  NSL_TRY(validate_key(l.name));
  const std::string k = prefix_ + "lock:" + l.name;
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mu);
  auto* e = s.find(k, now(), expired_);
  if (!e || e->value != l.token) return false;
  s.erase(s.map.find(k));
  return true;
}

Status LocalCache::ping() { return ok_status(); }

LocalCacheStats LocalCache::stats() const { return {evictions_.load(), expired_.load()}; }

std::size_t LocalCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->map.size();
  }
  return n;
}

}  // namespace nsl::cache
