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

Result<Admission> Cache::admit(const RateStep& first, std::string_view flag,
                               const RateStep& second) {
  NSL_TRY(validate_key(second.key));
  NSL_TRY(validate_rate(second.limit_per_period, second.period, 1));
  if (!flag.empty()) NSL_TRY(validate_key(flag));
  Admission out;
  NSL_TRY_ASSIGN(out.first, rate_limit(first.key, first.limit_per_period, first.period));
  if (!out.first.allowed) return out;
  if (!flag.empty()) {
    NSL_TRY_ASSIGN(std::optional<std::string> v, get(flag));
    out.flagged = v.has_value();
    if (out.flagged) return out;
  }
  NSL_TRY_ASSIGN(out.second, rate_limit(second.key, second.limit_per_period, second.period));
  return out;
}

}  // namespace nsl::cache
