#include "cache/cache.hpp"

#include <string>

namespace nsl::cache {

Status validate_key(std::string_view key) {
  if (key.empty()) return err::invalid_argument("cache key is empty");
  if (key.size() > kMaxKeySize) return err::invalid_argument("cache key is too long");
  return ok_status();
}

Status validate_ttl(std::chrono::milliseconds ttl, std::string_view what) {
  if (ttl.count() <= 0) return err::invalid_argument(std::string(what) + " must be positive");
  return ok_status();
}

Status validate_rate(std::int64_t limit_per_period, std::chrono::milliseconds period,
                     std::int64_t cost) {
  if (limit_per_period <= 0) return err::invalid_argument("rate limit must be positive");
  if (period.count() <= 0) return err::invalid_argument("rate limit period must be positive");
  if (cost < 1 || cost > limit_per_period)
    return err::invalid_argument("rate limit cost must be in [1, limit]");
  return ok_status();
}

}  // namespace nsl::cache
