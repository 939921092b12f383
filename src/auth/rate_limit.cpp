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

struct RateLimiter::Resolved {
  std::string_view key;
  std::string_view cls;  // the policy class counted (unknown classes count as "general")
  std::int64_t limit = 0;
  RateFallback fallback = RateFallback::local;
};

std::shared_ptr<const RatePolicy> RateLimiter::policy() const {
  std::lock_guard lk(mu_);
  return policy_;
}

RateLimiter::Resolved RateLimiter::resolve(const RatePolicy& p, const RateCheck& c) const {
  Resolved r;
  r.key = c.key;
  const std::int64_t policy_limit = limit_for(p, c.rate_class, c.tenant, &r.fallback);
  r.limit = c.tenant_limit && *c.tenant_limit > 0 ? *c.tenant_limit : policy_limit;
  r.cls = p.classes.count(c.rate_class) != 0 ? c.rate_class : std::string_view("general");
  return r;
}

void RateLimiter::count(const Resolved& r, std::string_view result) {
  if (metrics_->decisions != nullptr) metrics_->decisions->with({r.cls, result}).inc();
}

void RateLimiter::note_shared(bool reachable, const Error* why) {
  if (reachable) {
    if (degraded_.exchange(false, std::memory_order_relaxed)) {
      obs::log_info("rate limits: shared back end reachable again");
      if (metrics_->degraded != nullptr) metrics_->degraded->set(0);
    }
    return;
  }
  if (!degraded_.exchange(true, std::memory_order_relaxed)) {
    obs::log_warn("rate limits: shared back end unreachable; class fallbacks apply",
                  {{"error", why != nullptr ? why->message() : std::string()}});
    if (metrics_->degraded != nullptr) metrics_->degraded->set(1);
  }
}

namespace {

RateVerdict verdict_from(const cache::RateDecision& d, std::int64_t limit, bool degraded) {
  return RateVerdict{.allowed = d.allowed,
                     .limit = limit,
                     .remaining = d.remaining,
                     .retry_after = d.retry_after,
                     .reset_after = d.reset_after,
                     .degraded = degraded};
}

}  // namespace

Result<RateVerdict> RateLimiter::fallback(const Resolved& r) {
  switch (r.fallback) {
    case RateFallback::deny:
      count(r, "error");
      return err::unavailable(
          "rate limiting is unavailable; this route fails closed until it returns");
    case RateFallback::allow:
      count(r, "fallback_allowed");
      return RateVerdict{.allowed = true, .limit = r.limit, .remaining = r.limit, .degraded = true};
    case RateFallback::local:
      break;
  }
  NSL_TRY_ASSIGN(cache::RateDecision d, local_.rate_limit(r.key, r.limit, std::chrono::minutes(1)));
  count(r, d.allowed ? "fallback_allowed" : "fallback_denied");
  return verdict_from(d, r.limit, true);
}

Result<RateVerdict> RateLimiter::check(std::string_view rate_class, std::string_view tenant,
                                       std::string_view key,
                                       std::optional<std::int64_t> tenant_limit) {
  const Resolved r = resolve(*policy(), RateCheck{rate_class, tenant, key, tenant_limit});
  auto shared = shared_.rate_limit(key, r.limit, std::chrono::minutes(1));
  if (shared.ok()) {
    note_shared(true, nullptr);
    count(r, shared->allowed ? "allowed" : "denied");
    return verdict_from(*shared, r.limit, false);
  }
  if (shared.error().code() != ErrorCode::unavailable) return std::move(shared).error();
  note_shared(false, &shared.error());
  return fallback(r);
}

Result<Admitted> RateLimiter::admit(const RateCheck& first, std::string_view flag,
                                    const RateCheck& second) {
  const auto p = policy();
  const Resolved r1 = resolve(*p, first);
  const Resolved r2 = resolve(*p, second);
  const auto minute = std::chrono::minutes(1);
  auto shared = shared_.admit(cache::RateStep{r1.key, r1.limit, minute}, flag,
                              cache::RateStep{r2.key, r2.limit, minute});
  Admitted out;
  if (shared.ok()) {
    note_shared(true, nullptr);
    count(r1, shared->first.allowed ? "allowed" : "denied");
    out.first = verdict_from(shared->first, r1.limit, false);
    out.flagged = shared->flagged;
    if (shared->second) {
      count(r2, shared->second->allowed ? "allowed" : "denied");
      out.second = verdict_from(*shared->second, r2.limit, false);
    }
    return out;
  }
  if (shared.error().code() != ErrorCode::unavailable) return std::move(shared).error();
  note_shared(false, &shared.error());
  NSL_TRY_ASSIGN(out.first, fallback(r1));
  if (!out.first.allowed) return out;
  if (!flag.empty()) {
    NSL_TRY_ASSIGN(std::optional<std::string> v, local_.get(flag));
    out.flagged = v.has_value();
    if (out.flagged) return out;
  }
  NSL_TRY_ASSIGN(out.second, fallback(r2));
  return out;
}

}  // namespace nsl::auth
