#include "app/access.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <variant>

#include "app/blocking.hpp"
#include "auth/api_key.hpp"
#include "core/strings.hpp"
#include "crypto/hash.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "obs/metrics.hpp"

namespace nsl::app {
namespace asio = boost::asio;

namespace {

std::array<std::uint8_t, 32> credential_hash(std::string_view credential) {
  return crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(credential.data()),
                                         credential.size()));
}

std::string seconds_ceil(std::chrono::milliseconds ms) {
  return std::to_string((std::max<std::int64_t>(ms.count(), 0) + 999) / 1000);
}

void rate_headers(http::Response& res, const auth::RateVerdict& v) {
  res.headers.set("ratelimit-limit", std::to_string(v.limit));
  res.headers.set("ratelimit-remaining", std::to_string(std::max<std::int64_t>(v.remaining, 0)));
  res.headers.set("ratelimit-reset", seconds_ceil(v.reset_after));
}

http::Response too_many(const http::Request& req, const auth::RateVerdict& v) {
  http::Response res =
      http::problem(err::rate_limited("rate limit of " + std::to_string(v.limit) +
                                      " requests per minute exceeded; retry after " +
                                      seconds_ceil(v.retry_after) + " s"),
                    req);
  rate_headers(res, v);
  res.headers.set("retry-after",
                  seconds_ceil(std::max(v.retry_after, std::chrono::milliseconds(1))));
  return res;
}

// RFC 6750 §3: no error code when no credential was sent, invalid_token for a bad one.
http::Response unauthorized(const http::Request& req, const Error& e, bool credential_sent) {
  http::Response res = http::problem(e, req);
  res.headers.set("www-authenticate", credential_sent
                                          ? "Bearer realm=\"nsl\", error=\"invalid_token\""
                                          : "Bearer realm=\"nsl\"");
  return res;
}

}  // namespace

// The validation counters by result, resolved on first use (no series before a validation
// produced it) and then kept, so a request takes no registry lock for them.
struct Authenticator::Metrics {
  static constexpr std::string_view kResults[] = {"ok",      "cached",  "invalid",
                                                  "expired", "revoked", "error"};
  obs::CounterFamily* validations = nullptr;
  obs::Gauge* entries = nullptr;
  std::atomic<obs::Counter*> by_result[std::size(kResults)] = {};
};

Authenticator::Authenticator(VerifyFn api_key, VerifyFn access_token, RevokedFn revoked,
                             const Clock& clock, obs::Registry* registry, AccessOptions opts)
    : api_key_(std::move(api_key)),
      access_token_(std::move(access_token)),
      revoked_(std::move(revoked)),
      clock_(clock),
      opts_(opts),
      metrics_(std::make_unique<Metrics>()) {
  if (registry != nullptr) {
    metrics_->validations =
        &registry->counter_family("nsl_auth_token_validations_total",
                                  "Credential (access token or API key) validations by result: ok, "
                                  "cached, invalid, expired, revoked, error",
                                  {"result"});
    metrics_->entries = &registry->gauge("nsl_auth_credential_cache_entries",
                                         "Verified credentials cached in this process");
  }
}

Authenticator::~Authenticator() = default;

void Authenticator::count(std::string_view result) {
  if (metrics_->validations == nullptr) return;
  for (std::size_t i = 0; i < std::size(Metrics::kResults); ++i) {
    if (Metrics::kResults[i] != result) continue;
    obs::Counter* c = metrics_->by_result[i].load(std::memory_order_acquire);
    if (c == nullptr) {
      c = &metrics_->validations->with({result});
      metrics_->by_result[i].store(c, std::memory_order_release);
    }
    c->inc();
    return;
  }
  metrics_->validations->with({result}).inc();
}

Result<std::shared_ptr<const auth::Principal>> Authenticator::authenticate(
    std::string_view credential) {
  if (credential.empty() || credential.size() > 16 * 1024) {
    count("invalid");
    return err::unauthenticated("invalid credential");
  }
  const Digest key = credential_hash(credential);
  const auto now = clock_.system_now();
  std::shared_ptr<const auth::Principal> hit;
  {
    std::lock_guard lk(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (it->second.until > now) {
        hit = it->second.principal;
      } else {
        cache_.erase(it);
      }
    }
  }
  if (hit) {
    if (hit->method == auth::AuthMethod::access_token && revoked_) {
      auto r = revoked_(*hit);
      if (!r.ok()) {
        count("error");
        return std::move(r).error();
      }
      if (*r) {
        forget(credential);
        count("revoked");
        return err::unauthenticated("the access token has been revoked");
      }
    }
    count("cached");
    return hit;
  }
  std::string why = "invalid";
  const bool is_key = auth::looks_like_api_key(credential);
  auto v = is_key ? api_key_(credential, &why) : access_token_(credential, &why);
  if (!v.ok()) {
    count(v.error().code() == ErrorCode::unauthenticated ? why : "error");
    return std::move(v).error();
  }
  auto principal = std::make_shared<const auth::Principal>(std::move(v->principal));
  if (!is_key && revoked_) {
    auto r = revoked_(*principal);
    if (!r.ok()) {
      count("error");
      return std::move(r).error();
    }
    if (*r) {
      count("revoked");
      return err::unauthenticated("the access token has been revoked");
    }
  }
  auto until = std::min(v->reuse_until, is_key ? now + opts_.api_key_cache_ttl : v->reuse_until);
  {
    std::lock_guard lk(mu_);
    if (cache_.size() >= opts_.max_cached) {
      // Drop the expired entries; if that is not enough, start over (a burst of distinct
      // credentials must not grow memory without bound).
      std::erase_if(cache_, [&](const auto& kv) { return kv.second.until <= now; });
      if (cache_.size() >= opts_.max_cached) cache_.clear();
    }
    cache_[key] = Entry{principal, until};
    if (metrics_->entries != nullptr) metrics_->entries->set(static_cast<double>(cache_.size()));
  }
  count("ok");
  return principal;
}

std::shared_ptr<const auth::Principal> Authenticator::peek(std::string_view credential) {
  if (credential.empty() || credential.size() > 16 * 1024) return nullptr;
  const Digest key = credential_hash(credential);
  const auto now = clock_.system_now();
  std::lock_guard lk(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || it->second.until <= now) return nullptr;  // authenticate() cleans up
  return it->second.principal;
}

bool Authenticator::revocable(const auth::Principal& p) const {
  return revoked_ && p.method == auth::AuthMethod::access_token && !p.token_id.empty();
}

void Authenticator::settle(std::string_view credential, bool revoked) {
  if (revoked) forget(credential);
  count(revoked ? "revoked" : "cached");
}

std::string revocation_key(const auth::Principal& p) {
  return p.token_id.empty() ? std::string() : "revoked:" + p.token_id;
}

void Authenticator::forget(std::string_view credential) {
  const Digest key = credential_hash(credential);
  std::lock_guard lk(mu_);
  cache_.erase(key);
}

void Authenticator::forget_subject(const store::TenantId& tenant, std::string_view subject) {
  std::lock_guard lk(mu_);
  std::erase_if(cache_, [&](const auto& kv) {
    return kv.second.principal->tenant == tenant && kv.second.principal->subject == subject;
  });
}

std::optional<std::string_view> bearer_credential(const http::Request& req) {
  auto h = req.headers.get("authorization");
  if (!h) return std::nullopt;
  std::string_view v = trim(*h);
  if (v.size() < 7 || !iequals(v.substr(0, 7), "bearer ")) return std::nullopt;
  v = trim(v.substr(7));
  if (v.empty()) return std::nullopt;
  return v;
}

namespace {

// What the checks of a non-public route decided: a refusal to send, or the principal and its rate verdict.
struct Admission {
  std::shared_ptr<const auth::Principal> principal;
  auth::RateVerdict rate;
};
using Checked = std::variant<http::Response, Admission>;

std::string principal_key(const http::Route& route, const auth::Principal& p) {
  std::string key;
  key.reserve(4 + route.rate_class.size() + p.tenant.str().size() + p.subject.size());
  key.append("p:").append(route.rate_class).append(":").append(p.tenant.str()).append(":").append(p.subject);
  return key;
}

std::string ip_key_of(const http::Request& req) {
  std::string ip_key;
  ip_key.reserve(3 + req.remote_addr.size());
  ip_key.append("ip:").append(req.remote_addr);
  return ip_key;
}

// The checks for a credential verified before (Authenticator::peek): both limits and the revocation check
// in one shared-cache call. `own_limit`: the tenant's own limit for the route's class, if it has one.
Checked check_known(Authenticator& authn, auth::RateLimiter& limiter, http::Request& req,
                    std::string_view credential, std::shared_ptr<const auth::Principal> principal,
                    std::optional<std::int64_t> own_limit) {
  const http::Route& route = *req.ctx.route_info;
  const auth::Principal& p = *principal;
  const std::string flag = authn.revocable(p) ? revocation_key(p) : std::string();
  auto admitted = limiter.admit(auth::RateCheck{"ip", "", ip_key_of(req)}, flag,
                                auth::RateCheck{route.rate_class, p.tenant.str(), principal_key(route, p), own_limit});
  if (!admitted.ok()) return http::problem(admitted.error(), req);
  if (!admitted->first.allowed) return too_many(req, admitted->first);
  authn.settle(credential, admitted->flagged);
  if (admitted->flagged) {
    return unauthorized(req, Error(ErrorCode::unauthenticated, "the access token has been revoked"), true);
  }
  if (!admitted->second->allowed) return too_many(req, *admitted->second);
  return Admission{std::move(principal), *admitted->second};
}

// All the checks of a non-public route; they may block (store, cache, a credential's verification).
Checked check(Authenticator& authn, auth::RateLimiter& limiter, TenantLimits* limits, http::Request& req) {
  const http::Route& route = *req.ctx.route_info;
  auto own_limit = [&](const store::TenantId& tenant) -> std::optional<std::int64_t> {
    if (limits == nullptr) return std::nullopt;
    // A database hiccup here falls back to the class limit rather than failing the request.
    auto l = limits->limit(tenant, route.rate_class);
    return l.ok() ? *l : std::nullopt;
  };
  auto credential = bearer_credential(req);
  if (credential) {
    if (auto principal = authn.peek(*credential)) {
      const auto own = own_limit(principal->tenant);
      return check_known(authn, limiter, req, *credential, std::move(principal), own);
    }
  }
  // Per client address first: it also slows down guessing of credentials.
  auto ip = limiter.check("ip", "", ip_key_of(req));
  if (!ip.ok()) return http::problem(ip.error(), req);
  if (!ip->allowed) return too_many(req, *ip);
  if (!credential) {
    return unauthorized(
        req,
        Error(ErrorCode::unauthenticated,
              "authentication required: send Authorization: Bearer <API key or access token>"),
        false);
  }
  auto verified = authn.authenticate(*credential);
  if (!verified.ok()) {
    if (verified.error().code() == ErrorCode::unauthenticated) return unauthorized(req, verified.error(), true);
    return http::problem(verified.error(), req);
  }
  std::shared_ptr<const auth::Principal> principal = std::move(*verified);
  auto rate = limiter.check(route.rate_class, principal->tenant.str(), principal_key(route, *principal),
                            own_limit(principal->tenant));
  if (!rate.ok()) return http::problem(rate.error(), req);
  if (!rate->allowed) return too_many(req, *rate);
  return Admission{std::move(principal), *rate};
}

// The checks when every answer they need is in memory now — a credential verified before, the tenant's
// limits, an in-process rate limiter — else nullopt: nothing was counted, and check() runs them in full.
std::optional<Checked> check_in_memory(Authenticator& authn, auth::RateLimiter& limiter, TenantLimits* limits,
                                       http::Request& req) {
  auto credential = bearer_credential(req);
  if (!credential) return std::nullopt;
  auto principal = authn.peek(*credential);
  if (!principal) return std::nullopt;
  std::optional<std::int64_t> own;
  if (limits != nullptr) {
    auto l = limits->in_memory(principal->tenant, req.ctx.route_info->rate_class);
    if (!l) return std::nullopt;
    own = *l;
  }
  return check_known(authn, limiter, req, *credential, std::move(principal), own);
}

// After the checks: the permission, then the rest of the chain where this runs.
asio::awaitable<http::Response> admitted(Checked checked, http::Request& req, http::Next next) {
  if (auto* refusal = std::get_if<http::Response>(&checked)) co_return std::move(*refusal);
  Admission& a = std::get<Admission>(checked);
  const http::Route& route = *req.ctx.route_info;
  std::optional<std::string_view> resource = req.param("id");
  if (!a.principal->allows(route.permission, resource)) {
    http::Response res = http::problem(
        err::permission_denied("this credential lacks the permission \"" + route.permission + "\""), req);
    rate_headers(res, a.rate);
    co_return res;
  }
  req.ctx.tenant = a.principal->tenant.str();
  req.ctx.principal = std::move(a.principal);
  http::Response res = co_await next(req);
  rate_headers(res, a.rate);
  co_return res;
}

// The checks of a non-public route and then the rest of the chain, all on one pool thread: the
// limiter, the authenticator and the tenant limits block (store, cache), and so may the
// handler's own work (its offload calls run in place there).
asio::awaitable<http::Response> checked(Authenticator& authn, auth::RateLimiter& limiter,
                                        TenantLimits* limits, http::Request& req,
                                        http::Next next) {
  co_return co_await admitted(check(authn, limiter, limits, req), req, std::move(next));
}

// Credential-taking public routes (token, revoke): limited per client address, then the handler,
// on one pool thread as above.
asio::awaitable<http::Response> ip_limited(auth::RateLimiter& limiter, http::Request& req,
                                           http::Next next) {
  auto ip = limiter.check("ip", "", "ip:" + req.remote_addr);
  if (!ip.ok()) co_return http::problem(ip.error(), req);
  if (!ip->allowed) co_return too_many(req, *ip);
  co_return co_await next(req);
}

}  // namespace

http::Middleware access_middleware(Authenticator& authn, auth::RateLimiter& limiter,
                                   asio::thread_pool& pool, TenantLimits* limits, bool checks_in_memory) {
  return [&authn, &limiter, &pool, limits, checks_in_memory](
             http::Request& req, http::Next next) -> asio::awaitable<http::Response> {
    const http::Route* route = req.ctx.route_info;
    if (route == nullptr) co_return co_await next(req);
    if (route->is_public) {
      if (route->pattern.rfind("/v1/auth/", 0) == 0)
        co_return co_await on_pool(pool, ip_limited(limiter, req, next));
      co_return co_await next(req);  // health, discovery: stay on the I/O thread
    }
    if (checks_in_memory && route->starts_on_io_thread) {
      if (auto c = check_in_memory(authn, limiter, limits, req)) {
        co_return co_await admitted(std::move(*c), req, std::move(next));
      }
    }
    co_return co_await on_pool(pool, checked(authn, limiter, limits, req, next));
  };
}

}  // namespace nsl::app
