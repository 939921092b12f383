// nsl/cache/ttl_cache.hpp — read-through caching with the deployment's named TTL classes.
//
// Four classes, with the reference architecture's defaults (configurable: cache.ttl_*_s):
//   api_responses  5 min    responses of idempotent API reads
//   db_queries     15 min   results of expensive database queries
//   chain_data     1 min    Neo N3 / NeoX RPC results (blocks move on)
//   ai_models      24 h     model artefacts and scores' reference data
// On a miss (or when the back end is unreachable) `load` runs and its value is stored for the
// class's TTL; a back-end failure never fails the read — caching is an optimisation, the loader
// is the truth. Keys are namespaced "ttl:<class>:<key>" inside the back end's own prefix, so the
// same key in two classes never collides. Only load values that are safe to share between the
// replicas and (when the key says so) tenants: put the tenant id into the key of tenant data.
//
//   TtlCache ttl(shared_cache, {});                    // defaults
//   NSL_TRY_ASSIGN(std::string v, ttl.get_or_load(TtlClass::chain_data, "n3:block:42", fetch));
//
// Thread-safety: all members may be called concurrently; `load` may run concurrently for the same
// key on a miss (no stampede lock: loaders must be idempotent reads).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "cache/cache.hpp"
#include "core/result.hpp"

namespace nsl::cache {

enum class TtlClass : std::uint8_t { api_responses, db_queries, chain_data, ai_models };
std::string_view ttl_class_name(TtlClass c) noexcept;

struct TtlClasses {
  std::chrono::milliseconds api_responses = std::chrono::minutes(5);
  std::chrono::milliseconds db_queries = std::chrono::minutes(15);
  std::chrono::milliseconds chain_data = std::chrono::minutes(1);
  std::chrono::milliseconds ai_models = std::chrono::hours(24);
};

class TtlCache {
 public:
  TtlCache(Cache& backend, TtlClasses classes) : backend_(backend), classes_(classes) {}

  // The cached value, or load()'s (then stored for the class's TTL). load()'s error is returned as
  // is and nothing is stored.
  Result<std::string> get_or_load(TtlClass cls, std::string_view key,
                                  const std::function<Result<std::string>()>& load);
  // Drops a cached value (after a write that makes it stale).
  Status invalidate(TtlClass cls, std::string_view key);
  std::chrono::milliseconds ttl(TtlClass cls) const noexcept;

 private:
  static std::string full_key(TtlClass cls, std::string_view key);
  Cache& backend_;
  TtlClasses classes_;
};

}  // namespace nsl::cache
