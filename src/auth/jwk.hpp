// nsl/auth/jwk.hpp — JWS verification keys and their JWK/JWKS form (RFC 7517, 7518, 8037).
//
//   NSL_TRY_ASSIGN(auto keys, nsl::auth::parse_jwks(body_of_issuer_jwks_uri));
//   nlohmann::json published = nsl::auth::jwks_json(my_keys);   // {"keys":[...]}
//
// The allow-list is closed: RS256, ES256 (P-256) and EdDSA (Ed25519). Every VerificationKey is
// bound to exactly one algorithm, and the verifier accepts a token only when its header "alg"
// equals the key's alg; that binding is what makes alg confusion (HS256 keyed with an RSA public
// key, "none", RS256 <-> ES256 switches) impossible.
//
// JWK rules (public keys only):
//   kty RSA  n, e           alg absent or "RS256"   modulus 2048..8192 bits (crypto/rsa.hpp)
//   kty EC   crv P-256, x,y alg absent or "ES256"   32-byte coordinates, point on the curve
//   kty OKP  crv Ed25519, x alg absent or "EdDSA"   32 bytes
//   "kid" 1..128 chars of [A-Za-z0-9._-]; "use" absent or "sig"; "key_ops", when present, must
//   contain "verify"; members are strict base64url; private members (d, p, q, dp, dq, qi, oth)
//   are an error: a published private key is an incident, not a key to skip.
// parse_jwks skips, without failing, keys that are not for us (other kty/crv/alg, "use":"enc",
// no or unusable kid) so an issuer may publish others, and fails on malformed JSON, a malformed
// supported key (fail closed: the caller keeps its previous set) or duplicate kids.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/rsa.hpp"

namespace nsl::auth {

enum class JwsAlg : std::uint8_t { RS256, ES256, EdDSA };

std::string_view jws_alg_name(JwsAlg alg) noexcept;  // "RS256" | "ES256" | "EdDSA"
// Exact, case-sensitive match against the allow-list; nullopt for everything else.
std::optional<JwsAlg> jws_alg_from_name(std::string_view name) noexcept;

// True for 1..128 chars of [A-Za-z0-9._-]. A kid is only ever an opaque map key.
bool is_valid_kid(std::string_view kid) noexcept;

using P256PublicKey = crypto::UncompressedPublicKey;  // 04 || X || Y
using JwsPublicKey = std::variant<crypto::RsaPublicKey, P256PublicKey, crypto::Ed25519PublicKey>;

struct VerificationKey {
  std::string kid;
  JwsAlg alg;
  JwsPublicKey key;  // alternative must match alg (checked by make_verification_key and KeySet)
};

// invalid_argument when the kid is invalid or the key type does not match alg.
Result<VerificationKey> make_verification_key(std::string kid, JwsAlg alg, JwsPublicKey key);

// One public JWK object. invalid_argument for anything not usable (including unsupported types).
Result<VerificationKey> parse_jwk(const nlohmann::json& jwk);
// A JWK Set document {"keys":[...]}; see the file comment for skip vs fail.
Result<std::vector<VerificationKey>> parse_jwks(std::string_view text);

nlohmann::json to_public_jwk(const VerificationKey& key);  // with kid, alg, "use":"sig"
nlohmann::json jwks_json(std::span<const VerificationKey> keys);

}  // namespace nsl::auth
