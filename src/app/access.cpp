#include "app/access.hpp"

#include <algorithm>
#include <cmath>

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

std::string credential_hash(std::string_view credential) {
  auto d = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(credential.data()),
                                           credential.size()));
  return to_hex(d);
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

struct Authenticator::Metrics {
  obs::CounterFamily* validations = nullptr;
  obs::Gauge* entries = nullptr;
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
  if (metrics_->validations != nullptr) metrics_->validations->with({result}).inc();
}

Result<std::shared_ptr<const auth::Principal>> Authenticator::authenticate(
    std::string_view credential) {
  if (credential.empty() || credential.size() > 16 * 1024) {
    count("invalid");
    return err::unauthenticated("invalid credential");
  }
  const std::string key = credential_hash(credential);
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

void Authenticator::forget(std::string_view credential) {
  const std::string key = credential_hash(credential);
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

http::Middleware access_middleware(Authenticator& authn, auth::RateLimiter& limiter,
                                   asio::thread_pool& pool, TenantLimits* limits) {
  return [&authn, &limiter, &pool, limits](http::Request& req,
                                           http::Next next) -> asio::awaitable<http::Response> {
    const http::Route* route = req.ctx.route_info;
    if (route == nullptr) co_return co_await next(req);
    if (route->is_public) {
      // Credential-taking public routes (token, revoke) are limited per client address.
      if (route->pattern.rfind("/v1/auth/", 0) == 0) {
        auto ip = co_await offload(
            pool, [&] { return limiter.check("ip", "", "ip:" + req.remote_addr); });
        if (!ip.ok()) co_return http::problem(ip.error(), req);
        if (!ip->allowed) co_return too_many(req, *ip);
      }
      co_return co_await next(req);
    }

    // Per client address first: it also slows down guessing of credentials.
    auto ip =
        co_await offload(pool, [&] { return limiter.check("ip", "", "ip:" + req.remote_addr); });
    if (!ip.ok()) co_return http::problem(ip.error(), req);
    if (!ip->allowed) co_return too_many(req, *ip);

    auto credential = bearer_credential(req);
    if (!credential) {
      co_return unauthorized(
          req,
          Error(ErrorCode::unauthenticated,
                "authentication required: send Authorization: Bearer <API key or access "
                "token>"),
          false);
    }
    auto principal = co_await offload(pool, [&] { return authn.authenticate(*credential); });
    if (!principal.ok()) {
      if (principal.error().code() == ErrorCode::unauthenticated)
        co_return unauthorized(req, principal.error(), true);
      co_return http::problem(principal.error(), req);
    }
    const auth::Principal& p = **principal;

    const std::string key = "p:" + route->rate_class + ":" + p.tenant.str() + ":" + p.subject;
    auto rate = co_await offload(pool, [&] {
      std::optional<std::int64_t> own;
      if (limits != nullptr) {
        // A database hiccup here falls back to the class limit rather than failing the request.
        auto l = limits->limit(p.tenant, route->rate_class);
        if (l.ok()) own = *l;
      }
      return limiter.check(route->rate_class, p.tenant.str(), key, own);
    });
    if (!rate.ok()) co_return http::problem(rate.error(), req);
    if (!rate->allowed) co_return too_many(req, *rate);

    std::optional<std::string_view> resource = req.param("id");
    if (!p.allows(route->permission, resource)) {
      http::Response res =
          http::problem(err::permission_denied("this credential lacks the permission \"" +
                                               route->permission + "\""),
                        req);
      rate_headers(res, *rate);
      co_return res;
    }
    req.ctx.tenant = p.tenant.str();
    req.ctx.principal = *principal;
    http::Response res = co_await next(req);
    rate_headers(res, *rate);
    co_return res;
  };
}

}  // namespace nsl::app
