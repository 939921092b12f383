// Access-path throughput: issuing access tokens, verifying them (uncached and cached), and
// rate-limit decisions on Redis. Ratios in bench/README.md are against baselines run in the same
// invocation:
//   BM_TokenIssueEnclave/<alg>   TokenService::issue: claims + JWS with the key inside the sim
//                                enclave (in-process TrustedCore; the socket adds one round trip)
//   BM_TokenIssueLocalES256      baseline: the same JWS signed by an in-process key
//   BM_TokenVerifyUncached       TokenService::verify (strict parse + ES256 verify + claims)
//   BM_TokenVerifyCached         Authenticator::authenticate after the first call: SHA-256 of the
//                                token, one map lookup, the revocation-list lookup (local cache)
//   BM_RateLimitRedis/threads    one GCRA decision = one EVALSHA round trip to the harness Redis
//   BM_RateLimitLocal/threads    baseline: the same decision in the in-process cache
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "app/access.hpp"
#include "app/access_routes.hpp"
#include "auth/token_service.hpp"
#include "bench/bench_env.hpp"
#include "cache/local_cache.hpp"
#include "cache/redis_cache.hpp"
#include "core/random.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "obs/log.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::app {
namespace {

struct TokenRig {
  std::string dir;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<enclave::Enclave> enclave;
  std::unique_ptr<auth::TokenService> tokens;
  auth::Principal principal{.tenant = store::TenantId::generate()};
  std::string error;

  explicit TokenRig(auth::JwsAlg alg) {
    obs::set_level(obs::Level::warn);
    char tmpl[] = "/tmp/nsl-access-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    auto d = store::SqliteDatabase::open({.path = dir + "/nsl.db"});
    if (!d.ok() || !(*d)->migrate().ok()) {
      error = "cannot open SQLite";
      return;
    }
    db = std::move(*d);
    auto e = enclave::testing::open_sim_enclave(dir);
    if (!e.ok()) {
      error = "cannot open the sim enclave";
      return;
    }
    enclave = std::move(*e);
    tokens = std::make_unique<auth::TokenService>(*db, *enclave, auth::TokenOptions{.alg = alg}, Clock::real());
    if (!tokens->maintain().ok()) error = "no signing key";
    principal.subject = "apikey:ak_bench";
    principal.bindings = {{auth::Role::signer, std::string("key_1")}};
  }
  ~TokenRig() {
    tokens.reset();
    enclave.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

void BM_TokenIssueEnclave(benchmark::State& state) {
  const auto alg = static_cast<auth::JwsAlg>(state.range(0));
  TokenRig rig(alg);
  if (!rig.error.empty()) {
    state.SkipWithError(rig.error.c_str());
    return;
  }
  for (auto _ : state) {
    auto t = rig.tokens->issue(rig.principal);
    if (!t.ok()) {
      state.SkipWithError("issue failed");
      return;
    }
    benchmark::DoNotOptimize(t->token);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(auth::jws_alg_name(alg)));
}
BENCHMARK(BM_TokenIssueEnclave)
    ->Arg(static_cast<int>(auth::JwsAlg::ES256))
    ->Arg(static_cast<int>(auth::JwsAlg::EdDSA))
    ->Arg(static_cast<int>(auth::JwsAlg::RS256));

void BM_TokenIssueLocalES256(benchmark::State& state) {
  auto signer = auth::LocalJwsSigner::generate(auth::JwsAlg::ES256, "bench");
  if (!signer.ok()) {
    state.SkipWithError("keygen failed");
    return;
  }
  const nlohmann::json claims{{"iss", "nsl"}, {"aud", "nsl"}, {"sub", "apikey:ak_bench"},
                              {"tid", store::TenantId::generate().str()},
                              {"iat", 1}, {"nbf", 1}, {"exp", 4102444800}, {"jti", random_hex(16)},
                              {"roles", {"signer@key_1"}}};
  for (auto _ : state) {
    auto t = auth::jwt_sign(*signer, claims);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenIssueLocalES256);

void BM_TokenVerifyUncached(benchmark::State& state) {
  TokenRig rig(auth::JwsAlg::ES256);
  auto t = rig.error.empty() ? rig.tokens->issue(rig.principal) : Result<auth::IssuedToken>(err::internal("x"));
  if (!t.ok()) {
    state.SkipWithError(rig.error.empty() ? "issue failed" : rig.error.c_str());
    return;
  }
  for (auto _ : state) {
    auto p = rig.tokens->verify(t->token);
    if (!p.ok()) {
      state.SkipWithError("verify failed");
      return;
    }
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenVerifyUncached)->Threads(1)->Threads(2);

// Shared by the threads of every run (static initialisation is thread-safe; leaked at exit).
struct CachedRig {
  TokenRig rig{auth::JwsAlg::ES256};
  cache::LocalCache revocations;
  std::unique_ptr<Authenticator> authn;
  std::string token;
  CachedRig() {
    auto* tokens = rig.tokens.get();
    authn = std::make_unique<Authenticator>(
        [](std::string_view, std::string*) -> Result<Verified> { return err::unauthenticated("no"); },
        [tokens](std::string_view c, std::string* why) -> Result<Verified> {
          auto p = tokens->verify(c, why);
          if (!p.ok()) return std::move(p).error();
          return Verified{.principal = std::move(*p),
                          .reuse_until = std::chrono::system_clock::now() + std::chrono::hours(1)};
        },
        revocation_check(revocations, revocations), Clock::real(), nullptr);
    if (tokens != nullptr) {
      auto t = tokens->issue(rig.principal);
      if (t.ok()) token = t->token;
    }
  }
};

void BM_TokenVerifyCached(benchmark::State& state) {
  static CachedRig* shared = new CachedRig();
  if (shared->token.empty()) {
    state.SkipWithError("no token");
    return;
  }
  for (auto _ : state) {
    auto p = shared->authn->authenticate(shared->token);
    if (!p.ok()) {
      state.SkipWithError("authenticate failed");
      break;
    }
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenVerifyCached)->Threads(1)->Threads(2);

void rate_limit_loop(benchmark::State& state, cache::Cache& c) {
  auth::RatePolicy policy;
  policy.classes["bench"] = {1'000'000'000, auth::RateFallback::deny};
  auth::RateLimiter limiter(c, c, policy, nullptr);
  const std::string key = "bench:" + std::to_string(state.thread_index()) + ":" + random_hex(4);
  for (auto _ : state) {
    auto v = limiter.check("bench", "t", key);
    if (!v.ok()) {
      state.SkipWithError("rate-limit decision failed");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RateLimitRedis(benchmark::State& state) {
  static cache::RedisCache* redis = []() -> cache::RedisCache* {
    const auto url = bench::service_env("NSL_TEST_REDIS_URL");
    if (!url) return nullptr;
    auto r = cache::RedisCache::create({.url = *url, .prefix = "bench:", .pool_size = 16});
    return r.ok() ? r->release() : nullptr;
  }();
  if (redis == nullptr) {
    state.SkipWithError("Redis not configured (NSL_TEST_SERVICES_ENV) or unreachable");
    return;
  }
  rate_limit_loop(state, *redis);
}
BENCHMARK(BM_RateLimitRedis)->Threads(1)->Threads(8)->UseRealTime();

void BM_RateLimitLocal(benchmark::State& state) {
  static cache::LocalCache local;
  rate_limit_loop(state, local);
}
BENCHMARK(BM_RateLimitLocal)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace nsl::app
