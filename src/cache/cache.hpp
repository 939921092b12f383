// nsl/cache/cache.hpp — key/value cache, counters, GCRA rate limits and distributed locks.
//
// Two back ends implement the one `Cache` interface and pass one contract suite
// (cache_contract.hpp):
//   LocalCache  in-process, sharded maps; time from an injectable Clock; bounded size (expired,
//   then oldest
//               entries are evicted). Exact within one process only.
//   RedisCache  hiredis synchronous contexts in a small pool; exact across processes: every
//   read-modify-write
//               (counter window, GCRA decision, lock acquire/release) is ONE Lua script (EVALSHA,
//               EVAL on NOSCRIPT), and GCRA uses the Redis server clock (TIME), so replicas share
//               one clock.
//
// Every key is namespaced by the configured prefix ("nsl:" + key). Errors:
//   invalid_argument  empty/oversized key, non-positive ttl/window/period/limit, cost outside [1,
//   limit] unavailable       the back end is unreachable, timed out, or the pool had no free
//   connection in time internal          the back end answered something this code does not
//   understand
//
// Thread-safety: every member of every implementation may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace nsl::cache {

// Largest key accepted (before the prefix is added).
inline constexpr std::size_t kMaxKeySize = 1024;

struct RateDecision {
  bool allowed = false;
  // Further requests of cost 1 that would be allowed right now (after this one, when it was
  // allowed).
  std::int64_t remaining = 0;
  // When denied: wait this long before the same request would be allowed. Zero when allowed.
  std::chrono::milliseconds retry_after{0};
  // Until the limiter is back to its full burst (the RateLimit-Reset value).
  std::chrono::milliseconds reset_after{0};
};

// One rate-limit step of admit(): a GCRA decision of cost 1 under `key`.
struct RateStep {
  std::string_view key;
  std::int64_t limit_per_period = 0;
  std::chrono::milliseconds period{0};
};

// What admit() decided. Steps after a denial or a present flag are not taken (nothing counted).
struct Admission {
  RateDecision first;
  bool flagged = false;                // `flag` is present (looked at only when `first` allowed)
  std::optional<RateDecision> second;  // taken only when `first` allowed and not flagged
};

struct Lock {
  std::string name;
  std::string token;               // random; only its holder can release the lock
  std::int64_t fencing_token = 0;  // strictly increasing per lock name across all holders
};

class Cache {
 public:
  virtual ~Cache() = default;

  // The value, or nullopt when absent or expired.
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  // Stores `value` for `ttl` (> 0), replacing any previous value.
  virtual Status set(std::string_view key, std::string_view value,
                     std::chrono::milliseconds ttl) = 0;
  // Stores only when the key is absent; true when stored.
  virtual Result<bool> set_if_absent(std::string_view key, std::string_view value,
                                     std::chrono::milliseconds ttl) = 0;
  // True when a key was removed.
  virtual Result<bool> del(std::string_view key) = 0;
  // Fixed-window counter: increments and returns the count; the first increment of a window starts
  // its expiry `window` (> 0), after which the count restarts at 1.
  virtual Result<std::int64_t> incr_window(std::string_view key,
                                           std::chrono::milliseconds window) = 0;
  // GCRA: at most `limit_per_period` units per `period`, bursts up to the full limit. `cost` in [1,
  // limit].
  virtual Result<RateDecision> rate_limit(std::string_view key, std::int64_t limit_per_period,
                                          std::chrono::milliseconds period,
                                          std::int64_t cost = 1) = 0;
  // A request's access checks in one step: the GCRA decision of `first`; when allowed, whether the
  // key `flag` is present (not looked at when empty); when absent, the decision of `second`.
  // RedisCache makes it one round trip (one script: the access path of every request); the
  // default runs the three calls above one after the other. Redis Cluster is not supported by
  // this call (its keys are in unrelated slots), as by the rest of RedisCache.
  virtual Result<Admission> admit(const RateStep& first, std::string_view flag,
                                  const RateStep& second);
  // Takes the lock `name` for `ttl` (> 0); nullopt when someone else holds it.
  virtual Result<std::optional<Lock>> acquire_lock(std::string_view name,
                                                   std::chrono::milliseconds ttl) = 0;
  // Releases `lock` if it is still held with lock.token; true when released, false when not held by
  // it.
  virtual Result<bool> release_lock(const Lock& lock) = 0;
  // Checks the back end is reachable.
  virtual Status ping() = 0;

  virtual const std::string& prefix() const = 0;
};

// Shared argument checks (same rules and messages for every back end).
Status validate_key(std::string_view key);
Status validate_ttl(std::chrono::milliseconds ttl, std::string_view what);
Status validate_rate(std::int64_t limit_per_period, std::chrono::milliseconds period,
                     std::int64_t cost);

}  // namespace nsl::cache
