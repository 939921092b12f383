// nsl/auth/jwt.hpp — compact JWS / JWT (RFC 7515, 7519) signing and strict verification.
//
//   // verify (per request)
//   auto keys = key_set_snapshot();                       // std::shared_ptr<const KeySet>
//   JwtFailure why{};
//   auto jwt = jwt_verify(bearer, *keys, policy, clock.now(), &why);
//   if (!jwt) { metrics.inc(jwt_failure_name(why)); return jwt.error(); }   // unauthenticated
//   std::string_view sub = jwt->subject();
//
//   // sign
//   NSL_TRY_ASSIGN(auto signer, LocalJwsSigner::generate(JwsAlg::ES256, "k-2026-01"));
//   NSL_TRY_ASSIGN(std::string token, jwt_sign(signer, {{"iss", "nsl"}, {"exp", exp}, ...}));
//
// Algorithms: RS256, ES256, EdDSA only (auth/jwk.hpp); the token's "alg" must equal the alg the
// key with its "kid" is bound to. Verification order, each step rejecting with a JwtFailure:
//   1. size <= policy.max_token_bytes before any decoding                     (too_large)
//   2. exactly three '.'-separated segments, each strict base64url             (malformed)
//   3. header: strict JSON object (no duplicate names, depth <= 8), string "alg" in the
//      allow-list (unsupported_alg), string "kid" (malformed; outside [A-Za-z0-9._-]{1,128} ->
//      unknown_kid), no "crit", "jku", "x5u", "x5c", "jwk", "b64" (malformed: we never follow
//      or honour them)
//   4. kid looked up as an opaque key in the KeyLookup (unknown_kid); key alg == header alg
//      (unsupported_alg)
//   5. signature over the ASCII "header.payload" (bad_signature); ES256 wants 64-byte r||s
//      (high-S accepted, as JWS does not forbid it), RS256 a modulus-length signature
//   6. claims: strict JSON object (malformed); exp/nbf/iat integers in [0, 2^53] (bad_claims);
//      exp required when policy.require_exp; now > exp + leeway (expired); nbf > now + leeway
//      (not_yet_valid); iat > now + leeway, or exp - iat > max_lifetime (bad_claims);
//      iss a string in policy.issuers (bad_issuer); aud a string or array of strings containing
//      one of policy.audiences (bad_audience). Empty issuers/audiences reject every token.
// Every failure is Error{unauthenticated, short client-safe message}: never the token, never key
// material. Times are whole seconds (now is floored).
//
// Thread-safety: jwt_verify and jwt_sign are reentrant. KeySet is immutable once shared (build
// it, then publish a std::shared_ptr<const KeySet>; rotate by publishing a new one), so find() is
// safe from any thread. LocalJwsSigner is immutable after construction; sign() may run
// concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::auth {

using crypto::Bytes;
using crypto::ByteSpan;

// ---- keys for verification ----------------------------------------------------------------------

class KeyLookup {
 public:
  virtual ~KeyLookup() = default;
  // The key with this kid, or nullptr. The pointer lives as long as the lookup object.
  virtual const VerificationKey* find(std::string_view kid) const = 0;
};

class KeySet final : public KeyLookup {
 public:
  KeySet() = default;
  // invalid_argument on a duplicate kid or a key whose type does not match its alg.
  static Result<KeySet> create(std::vector<VerificationKey> keys);
  Status add(VerificationKey key);  // building phase only (before the set is shared)
  const VerificationKey* find(std::string_view kid) const override;
  std::size_t size() const noexcept { return keys_.size(); }

 private:
  std::map<std::string, VerificationKey, std::less<>> keys_;
};

// ---- signing ------------------------------------------------------------------------------------

class JwsSigner {
 public:
  virtual ~JwsSigner() = default;
  virtual const std::string& kid() const = 0;
  virtual JwsAlg alg() const = 0;
  // The JWS signature of `signing_input` (ASCII "b64(header).b64(payload)").
  virtual Result<Bytes> sign(ByteSpan signing_input) = 0;
};

// A signer holding its private key in this process (keys sealed at rest by the caller).
// Private material formats (export_private / from_private):
//   RS256  PKCS#8 PrivateKeyInfo DER;  ES256  32-byte scalar;  EdDSA  32-byte seed (RFC 8032).
class LocalJwsSigner final : public JwsSigner {
 public:
  static Result<LocalJwsSigner> generate(JwsAlg alg, std::string kid);
  static Result<LocalJwsSigner> from_private(JwsAlg alg, std::string kid,
                                             const SecretBytes& private_material);

  LocalJwsSigner(LocalJwsSigner&&) noexcept;
  LocalJwsSigner& operator=(LocalJwsSigner&&) noexcept;
  ~LocalJwsSigner() override;

  const std::string& kid() const override { return verification_key_.kid; }
  JwsAlg alg() const override { return verification_key_.alg; }
  Result<Bytes> sign(ByteSpan signing_input) override;

  SecretBytes export_private() const;
  const VerificationKey& verification_key() const noexcept { return verification_key_; }

  struct Secret;  // defined in jwt_signer.cpp

 private:
  LocalJwsSigner(std::unique_ptr<Secret> secret, VerificationKey vk) noexcept;
  std::unique_ptr<Secret> secret_;
  VerificationKey verification_key_;
};

// Compact JWS with header {"alg","kid","typ":"JWT"}; claims must be an object.
Result<std::string> jwt_sign(JwsSigner& signer, const nlohmann::json& claims);

// ---- verification -------------------------------------------------------------------------------

struct JwtPolicy {
  std::vector<std::string> issuers;    // allowed "iss"; required
  std::vector<std::string> audiences;  // "aud" must contain one; required
  std::chrono::seconds leeway{60};
  std::size_t max_token_bytes = 8192;
  bool require_exp = true;
  std::optional<std::chrono::seconds> max_lifetime;  // exp - iat bound (then iat is required)
};

enum class JwtFailure : std::uint8_t {
  malformed,
  too_large,
  unsupported_alg,
  unknown_kid,
  bad_signature,
  expired,
  not_yet_valid,
  bad_issuer,
  bad_audience,
  bad_claims,
};
// Stable snake_case name ("bad_signature") for metrics labels and logs.
std::string_view jwt_failure_name(JwtFailure f) noexcept;

struct VerifiedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string kid;
  JwsAlg alg;
  std::optional<std::int64_t> exp;  // seconds since the epoch

  // "" when absent (verification guarantees a string when present).
  std::string_view subject() const;
  std::string_view issuer() const;  // always present after verification
};

// `failure`, when given, receives the reason on error (untouched on success).
Result<VerifiedJwt> jwt_verify(std::string_view token, const KeyLookup& keys,
                               const JwtPolicy& policy, std::chrono::system_clock::time_point now,
                               JwtFailure* failure = nullptr);

// The signature check alone (step 5): `key.alg` decides the algorithm. For known-answer tests
// and JWS uses without JWT claims.
bool jws_verify_signature(const VerificationKey& key, std::string_view signing_input,
                          ByteSpan signature);

}  // namespace nsl::auth
