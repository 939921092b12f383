// nsl/app/tenant_limits.hpp — per-tenant rate limits, stored as tenant settings
// (`rate_limit.<class>` = requests per minute) and set with `nsl tenants limits`.
//
// Looked up on the request path, so each tenant's settings are cached in-process for `ttl`
// (default 60 s): a change reaches every replica within that time. A tenant without a setting for
// a class uses the configured class limit.
//
// Thread-safety: limit() may be called concurrently (it blocks on the database on a cache miss:
// call it from the worker pool); in_memory() never blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::app {

inline constexpr std::string_view kRateLimitSettingPrefix = "rate_limit.";

class TenantLimits {
 public:
  TenantLimits(store::Database& db, const Clock& clock,
               std::chrono::seconds ttl = std::chrono::seconds(60))
      : db_(db), clock_(clock), ttl_(ttl) {}

  // The tenant's own limit for the class, if set. A database failure is returned (the caller
  // decides; the access middleware falls back to the class limit).
  Result<std::optional<std::int64_t>> limit(const store::TenantId& tenant,
                                            std::string_view rate_class);
  // What limit() would answer, when the tenant's settings are in memory now; nullopt (outer) when
  // they would have to be read.
  std::optional<std::optional<std::int64_t>> in_memory(const store::TenantId& tenant,
                                                       std::string_view rate_class);

  // Sets (per_minute > 0) or clears (nullopt) one class's limit for the tenant.
  static Status set(store::Database& db, const store::TenantId& tenant, std::string_view rate_class,
                    std::optional<std::int64_t> per_minute);
  // Every class limit the tenant has.
  static Result<std::map<std::string, std::int64_t>> load(store::Database& db,
                                                          const store::TenantId& tenant);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point until;
    std::map<std::string, std::int64_t, std::less<>> limits;
  };
  store::Database& db_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace nsl::app
