// nsl/app/access.hpp — the access middleware: authenticate, rate limit, authorize, for every route
// that is not public.
//
// Order per request (after routing): client-IP rate limit (class "ip") → `Authorization: Bearer`
// → credential (API key or access token; verified results cached by SHA-256 of the credential:
// access tokens until they expire, API keys for api_key_cache_ttl so that a revocation reaches
// every replica within that time) → tenant+principal rate limit (the route's class) → RBAC: the
// route's permission, for the resource named by its `{id}` parameter → handler. For a credential
// already in the cache the two limits and the token's revocation check are one shared-cache call
// (RateLimiter::admit: one Redis round trip per request); a first sight of a credential takes
// them one by one, the credential verified between the two limits. Responses carry
// RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset; a refusal is problem+json: 401 with
// `WWW-Authenticate: Bearer`, 403, 429 with Retry-After, or 503 when a fail-closed limiter is down.
//
// Metrics: nsl_auth_token_validations_total{result} (ok, cached, invalid, expired, revoked, error)
// and nsl_auth_credential_cache_entries.
//
// Thread-safety: Authenticator::authenticate and the middleware run concurrently.
#pragma once

#include <array>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "app/tenant_limits.hpp"
#include "auth/principal.hpp"
#include "auth/rate_limit.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "http/dispatcher.hpp"

namespace nsl::obs {
class Registry;
}

namespace nsl::app {

// A verified credential: the principal and how long the verification may be reused.
struct Verified {
  auth::Principal principal;
  std::chrono::system_clock::time_point reuse_until;  // cache the result until then
  std::string result = "ok";  // metric label on failure paths: invalid, expired, revoked
};

struct AccessOptions {
  std::chrono::seconds api_key_cache_ttl{10};
  std::size_t max_cached = 100000;
};

class Authenticator {
 public:
  // Both functions block (database, cache); `why` receives the metric label on failure.
  using VerifyFn = std::function<Result<Verified>(std::string_view credential, std::string* why)>;
  // Checked on every cache hit of an access token (revocation list); null: not checked.
  using RevokedFn = std::function<Result<bool>(const auth::Principal&)>;

  Authenticator(VerifyFn api_key, VerifyFn access_token, RevokedFn revoked, const Clock& clock,
                obs::Registry* registry, AccessOptions opts = {});
  ~Authenticator();

  // The principal a bearer credential stands for; unauthenticated when it is not valid.
  Result<std::shared_ptr<const auth::Principal>> authenticate(std::string_view credential);
  // The access middleware's fast path: the principal of a credential verified before and still
  // cached, WITHOUT its revocation check (null on a miss). The caller checks the revocation list
  // itself (revocation_key(), together with its rate limits: one round trip) when revocable()
  // says so, and reports the outcome with settle(). Anything else goes through authenticate().
  std::shared_ptr<const auth::Principal> peek(std::string_view credential);
  // Whether `p` is subject to the revocation list: an access token with an id, when this
  // authenticator checks revocations at all.
  bool revocable(const auth::Principal& p) const;
  // The outcome of a peek() hit: counted as "cached", or as "revoked" and forgotten.
  void settle(std::string_view credential, bool revoked);
  // Drops a cached verification (after a revocation through this replica).
  void forget(std::string_view credential);
  // Drops every cached verification of one principal (an API key revoked through this replica;
  // other replicas let it expire within api_key_cache_ttl).
  void forget_subject(const store::TenantId& tenant, std::string_view subject);

 private:
  struct Entry {
    std::shared_ptr<const auth::Principal> principal;
    std::chrono::system_clock::time_point until;
  };
  struct Metrics;
  void count(std::string_view result);

  VerifyFn api_key_;
  VerifyFn access_token_;
  RevokedFn revoked_;
  const Clock& clock_;
  AccessOptions opts_;
  std::mutex mu_;
  using Digest = std::array<std::uint8_t, 32>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h;  // a SHA-256 prefix is already uniformly distributed
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  std::unordered_map<Digest, Entry, DigestHash> cache_;  // key: SHA-256 of the credential
  std::unique_ptr<Metrics> metrics_;
};

// The shared-cache key that marks an access token revoked ("revoked:<token id>"); empty for a
// principal without a token id. The revocation check (access_routes.hpp revocation_check) and the
// access middleware's combined call look at the same key.
std::string revocation_key(const auth::Principal& p);

// The middleware; the pool runs the blocking parts (store, cache). For a non-public route (and a
// credential-taking /v1/auth/ route) the checks AND the rest of the chain run as one coroutine on
// the pool (app/blocking.hpp on_pool): one hop there and one back per request, the handler's own
// offload calls running in place; other public routes (health, discovery) stay on the I/O thread.
// `checks_in_memory` (an in-process rate limiter: the embedded profile): a request to a route marked
// starts_on_io_thread whose checks are all answered from memory — its credential verified before, its
// tenant's limits loaded — is checked and handed to its handler on the I/O thread, without the two hops;
// any other request goes to the pool as above. Such a handler hops to the pool itself for what waits.
// All references must outlive the dispatcher.
// `limits` (optional) supplies per-tenant limits that replace the class limit.
http::Middleware access_middleware(Authenticator& authn, auth::RateLimiter& limiter,
                                   boost::asio::thread_pool& pool, TenantLimits* limits = nullptr,
                                   bool checks_in_memory = false);

// "Bearer <credential>" → credential; nullopt when absent or another scheme.
std::optional<std::string_view> bearer_credential(const http::Request& req);

}  // namespace nsl::app
