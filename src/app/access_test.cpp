// The access middleware's placement: where the checks and the handler run (an I/O thread or the pool), and
// that the checks answer the same on both paths.
#include "app/access.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <atomic>
#include <string>
#include <thread>

#include "auth/rate_limit.hpp"
#include "cache/local_cache.hpp"
#include "http/dispatcher.hpp"
#include "obs/metrics.hpp"

namespace nsl::app {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;

constexpr std::string_view kCredential = "token-of-the-test";

struct Fixture {
  explicit Fixture(bool checks_in_memory, std::int64_t sign_per_minute = 1000) {
    auth::RatePolicy policy;
    policy.classes["sign"] = {sign_per_minute, auth::RateFallback::local};
    limiter = std::make_unique<auth::RateLimiter>(cache, cache, policy, &registry);
    authn = std::make_unique<Authenticator>(
        [this](std::string_view c, std::string* why) { return verify(c, why); },
        [this](std::string_view c, std::string* why) { return verify(c, why); },
        [this](const auth::Principal&) -> Result<bool> { return revoked.load(); }, clock, &registry);
    http::Router router;
    for (bool io : {true, false}) {
      EXPECT_TRUE(router
                      .add({.method = Method::post,
                            .pattern = io ? "/v1/keys/{id}/sign" : "/v1/keys/{id}/other",
                            .handler = [this](Request&) -> asio::awaitable<Response> {
                              on_pool = pool.get_executor().running_in_this_thread();
                              handler_thread = std::this_thread::get_id();
                              ++handled;
                              co_return Response::json(200, "{}");
                            },
                            .permission = "keys:sign",
                            .rate_class = "sign",
                            .starts_on_io_thread = io})
                      .ok());
    }
    dispatcher = std::make_unique<http::Dispatcher>(std::move(router), registry);
    dispatcher->use(access_middleware(*authn, *limiter, pool, nullptr, checks_in_memory));
  }

  Result<Verified> verify(std::string_view c, std::string* why) {
    ++verifications;
    if (c != kCredential) {
      *why = "invalid";
      return err::unauthenticated("invalid credential");
    }
    auth::Principal p{.tenant = tenant,
                      .subject = "user:alice",
                      .method = auth::AuthMethod::access_token,
                      .bindings = {{auth::Role::signer, std::string(key_id)}},
                      .scopes = {},
                      .expires_at_ms = 0,
                      .token_id = "tok_1"};
    return Verified{.principal = std::move(p), .reuse_until = clock.system_now() + std::chrono::hours(1)};
  }

  Response post(std::string_view path, std::string_view credential = kCredential) {
    Request q;
    q.method = Method::post;
    q.method_text = "POST";
    q.path = q.target = std::string(path);
    q.remote_addr = "192.0.2.7";
    q.headers.set("authorization", "Bearer " + std::string(credential));
    asio::io_context ioc;
    auto fut = asio::co_spawn(ioc, dispatcher->handle(q), asio::use_future);
    caller_thread = std::this_thread::get_id();
    ioc.run();
    return fut.get();
  }
  Response sign(std::string_view credential = kCredential) {
    return post("/v1/keys/" + std::string(key_id) + "/sign", credential);
  }

  static constexpr std::string_view key_id = "key_0123456789abcdef0123";
  store::TenantId tenant = store::TenantId::generate();
  FakeClock clock;
  obs::Registry registry;
  cache::LocalCache cache;
  asio::thread_pool pool{2};
  std::unique_ptr<auth::RateLimiter> limiter;
  std::unique_ptr<Authenticator> authn;
  std::unique_ptr<http::Dispatcher> dispatcher;
  std::atomic<bool> revoked{false};
  std::atomic<int> verifications{0};
  std::atomic<int> handled{0};
  std::atomic<bool> on_pool{false};
  std::thread::id handler_thread;
  std::thread::id caller_thread;
};

TEST(AccessPlacement, AFirstSightIsCheckedOnThePoolAndThenTheSigningRouteStaysOnItsThread) {
  Fixture f(/*checks_in_memory=*/true);
  ASSERT_EQ(f.sign().status, 200);
  EXPECT_TRUE(f.on_pool) << "a credential not verified before is verified on the pool";
  EXPECT_EQ(f.verifications, 1);

  ASSERT_EQ(f.sign().status, 200);
  EXPECT_FALSE(f.on_pool) << "checks answered from memory: the handler starts where the request arrived";
  EXPECT_EQ(f.handler_thread, f.caller_thread);
  EXPECT_EQ(f.verifications, 1);

  // A route that does not start on the I/O thread still goes to the pool, cached credential or not.
  ASSERT_EQ(f.post("/v1/keys/" + std::string(Fixture::key_id) + "/other").status, 200);
  EXPECT_TRUE(f.on_pool);
}

TEST(AccessPlacement, WithoutInMemoryChecksEverySigningRunsOnThePool) {
  Fixture f(/*checks_in_memory=*/false);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(f.sign().status, 200);
    EXPECT_TRUE(f.on_pool) << "request " << i;
  }
}

TEST(AccessPlacement, TheInMemoryPathRefusesAsThePoolPathDoes) {
  Fixture f(/*checks_in_memory=*/true, /*sign_per_minute=*/3);
  ASSERT_EQ(f.sign().status, 200);  // on the pool: verifies the credential
  ASSERT_EQ(f.sign().status, 200);  // in memory
  Response third = f.sign();
  ASSERT_EQ(third.status, 200);
  EXPECT_EQ(third.headers.get("ratelimit-remaining").value_or(""), "0");
  Response over = f.sign();
  EXPECT_EQ(over.status, 429) << "the limit counts the requests checked in memory";
  EXPECT_TRUE(over.headers.get("retry-after").has_value());
  EXPECT_EQ(f.handled, 3);

  // Another key: the signer binding names one key only (403, and the handler never runs).
  Fixture g(/*checks_in_memory=*/true);
  ASSERT_EQ(g.sign().status, 200);
  Response other = g.post("/v1/keys/key_ffffffffffffffffffff/sign");
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(g.handled, 1);

  // A revoked token (its flag in the shared cache, as POST /v1/auth/revoke sets it) is refused on the
  // in-memory path, and forgotten: the next request verifies it anew, and is refused there too.
  const auth::Principal revoked_token{.tenant = g.tenant,
                                     .subject = "user:alice",
                                     .method = auth::AuthMethod::access_token,
                                     .bindings = {},
                                     .scopes = {},
                                     .expires_at_ms = 0,
                                     .token_id = "tok_1"};
  ASSERT_TRUE(g.cache.set(revocation_key(revoked_token), "1", std::chrono::minutes(5)).ok());
  g.revoked = true;
  const int before = g.verifications;
  EXPECT_EQ(g.sign().status, 401);
  EXPECT_EQ(g.sign().status, 401);
  EXPECT_EQ(g.verifications, before + 1) << "the revoked credential was dropped from the cache";
  EXPECT_EQ(g.handled, 1);

  // No credential, and a wrong one: 401 on the pool path as always.
  EXPECT_EQ(g.sign("").status, 401);
  EXPECT_EQ(g.sign("not-the-token").status, 401);
}

}  // namespace
}  // namespace nsl::app
