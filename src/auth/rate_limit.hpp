// nsl/auth/rate_limit.hpp — per-route-class rate limits shared by every replica, with a declared
// behaviour when the shared back end is down.
//
// Each decision is one GCRA call on the shared cache (one Redis round trip, one Lua script, the
// Redis clock: exact across replicas). Limits are per minute per route class ("general" 1000,
// "keys" 100 by default), overridable per tenant. Keys are built by the caller (tenant+principal,
// client IP). When the shared back end fails, the class's fallback applies:
//   local  decide with an in-process limiter of the same limit (each replica enforces it alone:
//          up to N× the limit across N replicas while degraded) — default for "general";
//   deny   refuse (fail closed) with unavailable — default for "keys" (key management);
//   allow  let the request through unlimited.
// degraded() reports the last shared call's outcome (readiness detail and a metric).
//
//   RateLimiter rl(shared_cache, local_cache, policy, &registry);
//   NSL_TRY_ASSIGN(RateVerdict v, rl.check("keys", tenant, "t:" + tenant + ":apikey:ak_1"));
//   if (!v.allowed) -> 429 with v.retry_after
//
// Thread-safety: check() may be called concurrently; set_policy() swaps the policy atomically.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache.hpp"
#include "core/result.hpp"

namespace nsl::obs {
class Registry;
class Counter;
class Gauge;
}  // namespace nsl::obs

namespace nsl::auth {

enum class RateFallback : std::uint8_t { local, deny, allow };
std::string_view rate_fallback_name(RateFallback f) noexcept;
std::optional<RateFallback> parse_rate_fallback(std::string_view s) noexcept;

struct RateClassPolicy {
  std::int64_t per_minute = 1000;
  RateFallback fallback = RateFallback::local;
};

struct RatePolicy {
  std::map<std::string, RateClassPolicy, std::less<>> classes{
      {"general", {1000, RateFallback::local}},
      {"keys", {100, RateFallback::deny}},
  };
  // tenant id → class → per-minute limit (overrides the class limit for that tenant).
  std::map<std::string, std::map<std::string, std::int64_t, std::less<>>, std::less<>>
      tenant_limits;
};

struct RateVerdict {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::chrono::milliseconds retry_after{0};
  std::chrono::milliseconds reset_after{0};
  bool degraded = false;  // decided by the fallback, not the shared back end
};

// One limit of admit(): as the arguments of check().
struct RateCheck {
  std::string_view rate_class;
  std::string_view tenant;
  std::string_view key;
  std::optional<std::int64_t> tenant_limit;
};

// What admit() decided; steps after a refusal are not taken.
struct Admitted {
  RateVerdict first;
  bool flagged = false;              // the flag was set (looked at only when `first` allowed)
  std::optional<RateVerdict> second;  // only when `first` allowed and not flagged
};

class RateLimiter {
 public:
  // `local` may be the same object as `shared` (embedded profile: no shared back end).
  RateLimiter(cache::Cache& shared, cache::Cache& local, RatePolicy policy,
              obs::Registry* registry);
  ~RateLimiter();

  // The decision for one request of `rate_class` (unknown classes use "general") counted under
  // `key`. unavailable only under the "deny" fallback while the shared back end is down.
  // `tenant_limit`, when given, is that tenant's own per-minute limit for the class (it replaces
  // the policy's).
  Result<RateVerdict> check(std::string_view rate_class, std::string_view tenant,
                            std::string_view key, std::optional<std::int64_t> tenant_limit = {});

  // A request's checks in ONE round trip to the shared back end (cache::Cache::admit): check(first);
  // when allowed, whether `flag` (a shared-cache key; empty: none) is set; when not, check(second).
  // While the shared back end is down each limit takes its class fallback as in check(), and the
  // flag is looked up in the local cache instead. unavailable as check() (a "deny" class, down).
  Result<Admitted> admit(const RateCheck& first, std::string_view flag, const RateCheck& second);

  bool degraded() const noexcept { return degraded_.load(std::memory_order_relaxed); }
  void set_policy(RatePolicy policy);

 private:
  struct Metrics;
  struct Resolved;  // a RateCheck against the current policy: limit, class, fallback
  Resolved resolve(const RatePolicy& p, const RateCheck& c) const;
  std::shared_ptr<const RatePolicy> policy() const;
  void count(const Resolved& r, std::string_view result);
  // The shared back end answered (true) or was unreachable (false): logs and sets the gauge once
  // per change.
  void note_shared(bool reachable, const Error* why);
  // The decision of `r`'s class fallback while the shared back end is down.
  Result<RateVerdict> fallback(const Resolved& r);
  std::int64_t limit_for(const RatePolicy& p, std::string_view rate_class, std::string_view tenant,
                         RateFallback* fallback) const;

  cache::Cache& shared_;
  cache::Cache& local_;
  mutable std::mutex mu_;
  std::shared_ptr<const RatePolicy> policy_;
  std::atomic<bool> degraded_{false};
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace nsl::auth
