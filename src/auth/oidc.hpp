// nsl/auth/oidc.hpp — access tokens of an external OpenID Connect issuer trusted by configuration.
//
// The issuer's JWKS is fetched over HTTPS (libcurl; plain http only to a loopback address, for
// tests and sidecars), cached, and fetched again when a token names a kid the cache does not know
// — at most once per `min_refresh` (default one minute), so a flood of tokens with made-up kids
// cannot turn this service into a traffic amplifier — and every `max_age` (default 10 minutes).
// Tokens are verified with the same strict JWT rules as our own (auth/jwt.hpp: RS256 / ES256 /
// EdDSA only, one alg per key, iss and aud required, bounded skew).
//
// Mapping: every principal of this issuer belongs to the configured tenant; subject "oidc:<sub>";
// role bindings from the claim `roles_claim` (an array of "role" or "role@resource" strings;
// unknown roles grant nothing); scopes from "scope" when present. Authorization then works as for
// any other principal.
//
//   OidcVerifier v(cfg, make_curl_jwks_source(), Clock::real());
//   if (unverified_issuer(bearer) == cfg.issuer) principal = v.verify(bearer, &why);
//
// Thread-safety: verify() and refresh() may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "auth/principal.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace nsl::auth {

struct OidcIssuerConfig {
  std::string issuer;    // exact "iss"
  std::string jwks_url;  // https://…/jwks.json (http:// only to 127.0.0.1 / ::1 / localhost)
  std::string audience;  // required "aud"
  store::TenantId tenant;
  std::string roles_claim = "nsl_roles";
  std::chrono::seconds leeway{60};
  std::chrono::seconds min_refresh{60};
  std::chrono::seconds max_age{600};
};

// Where JWKS documents come from (libcurl in production; tests may substitute).
class JwksSource {
 public:
  virtual ~JwksSource() = default;
  // The body of a 200 response; unavailable on any transport failure or other status.
  virtual Result<std::string> fetch(const std::string& url) = 0;
};

// libcurl: 5 s timeout, at most 256 KiB, no redirects, TLS verified against the system store.
std::unique_ptr<JwksSource> make_curl_jwks_source();

// The "iss" of a compact JWT WITHOUT verifying anything — only to pick which verifier to run.
std::optional<std::string> unverified_issuer(std::string_view token);

// invalid_argument when the URL is neither https:// nor http:// to a loopback host.
Status check_jwks_url(std::string_view url);

class OidcVerifier {
 public:
  OidcVerifier(OidcIssuerConfig config, std::unique_ptr<JwksSource> source, const Clock& clock);

  Result<Principal> verify(std::string_view token, std::string* why = nullptr);
  // Fetches the JWKS now (start-up); keeps the previous set when the fetch or parse fails.
  Status refresh();
  const OidcIssuerConfig& config() const noexcept { return cfg_; }

 private:
  std::shared_ptr<const KeySet> keys() const;
  // Refreshes when allowed by min_refresh (force) or due by max_age.
  void maybe_refresh(bool unknown_kid);

  OidcIssuerConfig cfg_;
  std::unique_ptr<JwksSource> source_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> keys_ = std::make_shared<KeySet>();
  std::optional<std::chrono::steady_clock::time_point> fetched_at_;   // last successful fetch
  std::optional<std::chrono::steady_clock::time_point> attempted_at_;  // last attempt
  std::mutex fetch_mu_;
};

}  // namespace nsl::auth
