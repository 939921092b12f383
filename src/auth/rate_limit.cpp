#include "auth/rate_limit.hpp"

#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace nsl::auth {

std::string_view rate_fallback_name(RateFallback f) noexcept {
  switch (f) {
    case RateFallback::local:
      return "local";
    case RateFallback::deny:
      return "deny";
    case RateFallback::allow:
      return "allow";
  }
  return "local";
}

std::optional<RateFallback> parse_rate_fallback(std::string_view s) noexcept {
  if (s == "local") return RateFallback::local;
  if (s == "deny") return RateFallback::deny;
  if (s == "allow") return RateFallback::allow;
  return std::nullopt;
}

struct RateLimiter::Metrics {
  obs::CounterFamily* decisions = nullptr;
  obs::Gauge* degraded = nullptr;
};

RateLimiter::RateLimiter(cache::Cache& shared, cache::Cache& local, RatePolicy policy,
                         obs::Registry* registry)
    : shared_(shared),
      local_(local),
      policy_(std::make_shared<const RatePolicy>(std::move(policy))),
      metrics_(std::make_unique<Metrics>()) {
  if (registry != nullptr) {
    metrics_->decisions =
        &registry->counter_family("nsl_ratelimit_decisions_total",
                                  "Rate-limit decisions by route class and outcome (allowed, "
                                  "denied; fallback_* while the shared back end "
                                  "is down; error when the fallback refused)",
                                  {"class", "result"});
    metrics_->degraded = &registry->gauge(
        "nsl_ratelimit_degraded",
        "1 while the shared rate-limit back end is unreachable and fallbacks decide");
  }
}

RateLimiter::~RateLimiter() = default;

void RateLimiter::set_policy(RatePolicy policy) {
  auto p = std::make_shared<const RatePolicy>(std::move(policy));
  std::lock_guard lk(mu_);
  policy_ = std::move(p);
}

std::int64_t RateLimiter::limit_for(const RatePolicy& p, std::string_view rate_class,
                                    std::string_view tenant, RateFallback* fallback) const {
  auto c = p.classes.find(rate_class);
  if (c == p.classes.end()) c = p.classes.find("general");
  RateClassPolicy cp = c != p.classes.end() ? c->second : RateClassPolicy{};
  *fallback = cp.fallback;
  if (auto t = p.tenant_limits.find(tenant); t != p.tenant_limits.end()) {
    if (auto l = t->second.find(rate_class); l != t->second.end()) return l->second;
  }
  return cp.per_minute;
}

Result<RateVerdict> RateLimiter::check(std::string_view rate_class, std::string_view tenant,
                                       std::string_view key,
                                       std::optional<std::int64_t> tenant_limit) {
  std::shared_ptr<const RatePolicy> p;
  {
    std::lock_guard lk(mu_);
    p = policy_;
  }
  RateFallback fallback = RateFallback::local;
  const std::int64_t policy_limit = limit_for(*p, rate_class, tenant, &fallback);
  const std::int64_t limit = tenant_limit && *tenant_limit > 0 ? *tenant_limit : policy_limit;
  const std::string_view cls =
      p->classes.count(rate_class) != 0 ? rate_class : std::string_view("general");
  auto count = [&](std::string_view result) {
    if (metrics_->decisions != nullptr) metrics_->decisions->with({cls, result}).inc();
  };
  auto verdict_from = [&](const cache::RateDecision& d, bool degraded) {
    return RateVerdict{.allowed = d.allowed,
                       .limit = limit,
                       .remaining = d.remaining,
                       .retry_after = d.retry_after,
                       .reset_after = d.reset_after,
                       .degraded = degraded};
  };
  auto shared = shared_.rate_limit(key, limit, std::chrono::minutes(1));
  if (shared.ok()) {
    if (degraded_.exchange(false, std::memory_order_relaxed)) {
      obs::log_info("rate limits: shared back end reachable again");
      if (metrics_->degraded != nullptr) metrics_->degraded->set(0);
    }
    count(shared->allowed ? "allowed" : "denied");
    return verdict_from(*shared, false);
  }
  if (shared.error().code() != ErrorCode::unavailable) return std::move(shared).error();
  if (!degraded_.exchange(true, std::memory_order_relaxed)) {
    obs::log_warn("rate limits: shared back end unreachable; class fallbacks apply",
                  {{"error", shared.error().message()}});
    if (metrics_->degraded != nullptr) metrics_->degraded->set(1);
  }
  switch (fallback) {
    case RateFallback::deny:
      count("error");
      return err::unavailable(
          "rate limiting is unavailable; this route fails closed until it returns");
    case RateFallback::allow:
      count("fallback_allowed");
      return RateVerdict{.allowed = true, .limit = limit, .remaining = limit, .degraded = true};
    case RateFallback::local:
      break;
  }
  NSL_TRY_ASSIGN(cache::RateDecision d, local_.rate_limit(key, limit, std::chrono::minutes(1)));
  count(d.allowed ? "fallback_allowed" : "fallback_denied");
  return verdict_from(d, true);
}

}  // namespace nsl::auth
