// nsl/auth/token_service.hpp — access tokens this service issues: signing keys (held or sealed by
// the enclave, rotated on a fixed schedule, shared by every replica through the store), issuing,
// verifying, JWKS.
//
//   TokenService tokens(db, enclave, {.issuer = "nsl", .audience = "nsl"}, Clock::real());
//   NSL_TRY(tokens.maintain());                          // at start, then every minute
//   NSL_TRY_ASSIGN(IssuedToken t, tokens.issue(principal));
//   NSL_TRY_ASSIGN(Principal p, tokens.verify(t.token, &why));
//   std::string jwks = tokens.jwks().dump();            // GET /.well-known/jwks.json
//
// Keys. Time is cut into rotation periods of `rotation` (default 7 days) counted from the Unix
// epoch; period i has its own key, kid "<alg>-<i>" (e.g. "es256-2915"), active for signing during
// [i·R, (i+1)·R) and valid for verification until (i+1)·R + access_ttl + leeway. maintain() makes
// sure the keys of the current AND the next period exist, so every key is published in the JWKS
// one whole period before it signs anything (verifiers that cache the JWKS see it in time). The
// kid is a pure function of the schedule, so replicas racing to create a key insert the same row
// (`ON CONFLICT DO NOTHING`) and the loser adopts the winner's key. Rows live in `system_keys`
// (purpose "jwt"): public JWK in clear, private half as the enclave's sealed blob.
//   ES256 / EdDSA: generated inside the enclave; every signature is an enclave call; the private
//                  key never exists outside the enclave.
//   RS256:         an RSA-3072 key generated here, sealed by the enclave at rest and unsealed into
//                  locked memory of this process for signing (the enclave has no RSA).
//
// Token claims: iss, aud, sub ("apikey:<id>" | "user:<id>"), tid (tenant id), iat, nbf, exp, jti
// (128-bit random), scope (space-separated, optional), roles (["owner", "signer@key_1", …]).
// Authorization is decided from the token alone until it expires (a role change applies to the
// next token); revocation is by jti (the caller checks its revocation list).
//
// Thread-safety: all members may be called concurrently; the key set is swapped atomically.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/principal.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::enclave {
class Enclave;
}

namespace nsl::auth {

struct TokenOptions {
  std::string issuer = "nsl";
  std::string audience = "nsl";
  JwsAlg alg = JwsAlg::ES256;
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds rotation{7 * 24 * 3600};
  std::chrono::seconds leeway{60};
  // A read-only secondary: verify tokens with the public keys in the store (replicated from the
  // primary) but create no key, load no signing key (no enclave call) and issue nothing
  // (unavailable).
  bool verify_only = false;
};

struct IssuedToken {
  std::string token;
  std::string jti;
  std::int64_t expires_in = 0;  // seconds
  std::int64_t exp = 0;         // Unix seconds
};

class TokenService {
 public:
  TokenService(store::Database& db, enclave::Enclave& enclave, TokenOptions opts,
               const Clock& clock);
  ~TokenService();

  // Creates due keys and reloads the published set from the store. Call at start and periodically.
  // With verify_only it only reloads the published set.
  Status maintain();

  // An access token for `p` (its tenant, subject, bindings and scopes); `ttl` none = access_ttl.
  Result<IssuedToken> issue(const Principal& p, std::optional<std::chrono::seconds> ttl = {});

  // A token issued by this service → its principal. unauthenticated on any failure; `why` gets a
  // metric label (the JwtFailure name, or "invalid").
  Result<Principal> verify(std::string_view token, std::string* why = nullptr);

  // {"keys": [...]} — every key not yet expired, the next period's included.
  nlohmann::json jwks() const;
  const TokenOptions& options() const noexcept { return opts_; }

 private:
  struct Loaded;
  Status ensure_key(std::int64_t period);
  Result<std::shared_ptr<const Loaded>> reload();
  std::shared_ptr<const Loaded> snapshot() const;
  std::int64_t period_of(std::chrono::system_clock::time_point t) const;

  store::Database& db_;
  enclave::Enclave& enclave_;
  TokenOptions opts_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const Loaded> loaded_;
  std::mutex reload_mu_;  // one reload at a time
  std::chrono::steady_clock::time_point last_unknown_kid_reload_{};
};

}  // namespace nsl::auth
