// JWT verification and compact serialization. Order of checks and failure reasons: jwt.hpp.
#include "auth/jwt.hpp"

#include <algorithm>

#include "core/base64.hpp"
#include "core/json_strict.hpp"
#include "crypto/hash.hpp"

namespace nsl::auth {

using nlohmann::json;

namespace {

// JOSE headers and JWT claim sets are flat in practice; a small cap bounds parser work.
constexpr std::size_t kJwtMaxDepth = 8;
constexpr std::int64_t kMaxJsonInteger = std::int64_t{1} << 53;  // exact in every JSON parser
// Header members that would make us fetch keys or change processing; we never honour them, so a
// token carrying one is not meant for a verifier like us.
constexpr const char* kForbiddenHeaderMembers[] = {"crit", "jku", "x5u", "x5c", "jwk", "b64"};

std::string_view failure_message(JwtFailure f) noexcept {
  switch (f) {
    case JwtFailure::malformed:
      return "malformed token";
    case JwtFailure::too_large:
      return "token too large";
    case JwtFailure::unsupported_alg:
      return "token algorithm not accepted";
    case JwtFailure::unknown_kid:
      return "unknown token signing key";
    case JwtFailure::bad_signature:
      return "invalid token signature";
    case JwtFailure::expired:
      return "token expired";
    case JwtFailure::not_yet_valid:
      return "token not yet valid";
    case JwtFailure::bad_issuer:
      return "token issuer not accepted";
    case JwtFailure::bad_audience:
      return "token audience not accepted";
    case JwtFailure::bad_claims:
      return "invalid token claims";
  }
  return "invalid token";
}

std::size_t alternative_for(JwsAlg alg) noexcept {
  return alg == JwsAlg::RS256 ? 0 : alg == JwsAlg::ES256 ? 1 : 2;
}

enum class IntClaim : std::uint8_t { absent, ok, bad };

// NumericDate as a JSON integer in [0, 2^53]: no strings, no floats, no negatives.
IntClaim int_claim(const json& claims, const char* name, std::int64_t& out) {
  auto it = claims.find(name);
  if (it == claims.end()) return IntClaim::absent;
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(kMaxJsonInteger)) return IntClaim::bad;
    out = static_cast<std::int64_t>(v);
    return IntClaim::ok;
  }
  if (it->is_number_integer()) {
    const auto v = it->get<std::int64_t>();
    if (v < 0 || v > kMaxJsonInteger) return IntClaim::bad;
    out = v;
    return IntClaim::ok;
  }
  return IntClaim::bad;
}

bool contains(const std::vector<std::string>& allowed, std::string_view v) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

class Verifier {
 public:
  Verifier(JwtFailure* out) : out_(out) {}

  Error reject(JwtFailure f) const {
    if (out_ != nullptr) *out_ = f;
    return err::unauthenticated(std::string(failure_message(f)));
  }

  Result<std::optional<std::int64_t>> check_claims(const json& claims, const JwtPolicy& policy,
                                                   std::chrono::system_clock::time_point now) const;

 private:
  JwtFailure* out_;
};

Result<std::optional<std::int64_t>> Verifier::check_claims(
    const json& c, const JwtPolicy& policy, std::chrono::system_clock::time_point now) const {
  const std::int64_t now_s =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  // Clamped so a misconfigured policy cannot overflow the sums below.
  const std::int64_t leeway = std::clamp<std::int64_t>(policy.leeway.count(), 0, kMaxJsonInteger);
  std::int64_t exp = 0, nbf = 0, iat = 0;
  const IntClaim has_exp = int_claim(c, "exp", exp);
  const IntClaim has_nbf = int_claim(c, "nbf", nbf);
  const IntClaim has_iat = int_claim(c, "iat", iat);
  if (has_exp == IntClaim::bad || has_nbf == IntClaim::bad || has_iat == IntClaim::bad) {
    return reject(JwtFailure::bad_claims);
  }
  if (has_exp == IntClaim::absent && policy.require_exp) return reject(JwtFailure::bad_claims);
  if (has_exp == IntClaim::ok && now_s > exp + leeway) return reject(JwtFailure::expired);
  if (has_nbf == IntClaim::ok && nbf > now_s + leeway) return reject(JwtFailure::not_yet_valid);
  if (has_iat == IntClaim::ok && iat > now_s + leeway) return reject(JwtFailure::bad_claims);
  if (policy.max_lifetime) {
    if (has_iat != IntClaim::ok || has_exp != IntClaim::ok || exp < iat ||
        exp - iat > policy.max_lifetime->count()) {
      return reject(JwtFailure::bad_claims);
    }
  }
  if (auto it = c.find("sub"); it != c.end() && !it->is_string()) {
    return reject(JwtFailure::bad_claims);
  }
  auto iss = c.find("iss");
  if (iss == c.end() || !iss->is_string() || !contains(policy.issuers, iss->get<std::string>())) {
    return reject(JwtFailure::bad_issuer);
  }
  auto aud = c.find("aud");
  if (aud == c.end()) return reject(JwtFailure::bad_audience);
  bool aud_ok = false;
  if (aud->is_string()) {
    aud_ok = contains(policy.audiences, aud->get<std::string>());
  } else if (aud->is_array()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return reject(JwtFailure::bad_claims);
      aud_ok = aud_ok || contains(policy.audiences, a.get<std::string>());
    }
  } else {
    return reject(JwtFailure::bad_claims);
  }
  if (!aud_ok) return reject(JwtFailure::bad_audience);
  return has_exp == IntClaim::ok ? std::optional<std::int64_t>(exp) : std::nullopt;
}

}  // namespace

std::string_view jwt_failure_name(JwtFailure f) noexcept {
  switch (f) {
    case JwtFailure::malformed:
      return "malformed";
    case JwtFailure::too_large:
      return "too_large";
    case JwtFailure::unsupported_alg:
      return "unsupported_alg";
    case JwtFailure::unknown_kid:
      return "unknown_kid";
    case JwtFailure::bad_signature:
      return "bad_signature";
    case JwtFailure::expired:
      return "expired";
    case JwtFailure::not_yet_valid:
      return "not_yet_valid";
    case JwtFailure::bad_issuer:
      return "bad_issuer";
    case JwtFailure::bad_audience:
      return "bad_audience";
    case JwtFailure::bad_claims:
      return "bad_claims";
  }
  return "unknown";
}

// ---- KeySet -------------------------------------------------------------------------------------

Result<KeySet> KeySet::create(std::vector<VerificationKey> keys) {
  KeySet set;
  for (auto& k : keys) NSL_TRY(set.add(std::move(k)));
  return set;
}

Status KeySet::add(VerificationKey key) {
  if (!is_valid_kid(key.kid)) return err::invalid_argument("invalid kid");
  if (key.key.index() != alternative_for(key.alg)) {
    return err::invalid_argument("key type does not match alg");
  }
  std::string kid = key.kid;
  if (!keys_.emplace(std::move(kid), std::move(key)).second) {
    return err::invalid_argument("duplicate kid");
  }
  return ok_status();
}

const VerificationKey* KeySet::find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

// ---- signatures ---------------------------------------------------------------------------------

bool jws_verify_signature(const VerificationKey& key, std::string_view signing_input,
                          ByteSpan sig) {
  const ByteSpan input = crypto::as_bytes(signing_input);
  // The key's own alg picks the primitive; the variant must agree (a hand-built key that does
  // not is refused rather than verified some other way).
  if (key.key.index() != alternative_for(key.alg)) return false;
  switch (key.alg) {
    case JwsAlg::RS256:
      return crypto::rs256_verify(std::get<crypto::RsaPublicKey>(key.key), input, sig);
    case JwsAlg::ES256:
      return sig.size() == 64 &&
             crypto::ecdsa_verify(crypto::Curve::secp256r1, std::get<P256PublicKey>(key.key),
                                  crypto::sha256(input), sig);
    case JwsAlg::EdDSA:
      return crypto::ed25519_verify(std::get<crypto::Ed25519PublicKey>(key.key), input, sig);
  }
  return false;
}

// ---- sign ---------------------------------------------------------------------------------------

Result<std::string> jwt_sign(JwsSigner& signer, const json& claims) {
  if (!claims.is_object()) return err::invalid_argument("JWT claims must be a JSON object");
  std::string payload;
  try {
    payload = claims.dump();
  } catch (const json::exception&) {
    return err::invalid_argument("JWT claims are not valid UTF-8");
  }
  const json header = {{"alg", jws_alg_name(signer.alg())}, {"typ", "JWT"}, {"kid", signer.kid()}};
  std::string token = base64url_encode(header.dump());
  token.push_back('.');
  token += base64url_encode(payload);
  NSL_TRY_ASSIGN(Bytes sig, signer.sign(crypto::as_bytes(token)));
  token.push_back('.');
  token += base64url_encode(sig);
  return token;
}

// ---- verify -------------------------------------------------------------------------------------

Result<VerifiedJwt> jwt_verify(std::string_view token, const KeyLookup& keys,
                               const JwtPolicy& policy, std::chrono::system_clock::time_point now,
                               JwtFailure* failure) {
  const Verifier v(failure);
  if (token.size() > policy.max_token_bytes) return v.reject(JwtFailure::too_large);

  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return v.reject(JwtFailure::malformed);
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signing_input = token.substr(0, dot2);
  auto header_raw = base64url_decode(header_b64);
  auto payload_raw = base64url_decode(payload_b64);
  auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!header_raw || !payload_raw || !sig) return v.reject(JwtFailure::malformed);

  auto header = parse_json_strict(
      std::string_view(reinterpret_cast<const char*>(header_raw->data()), header_raw->size()),
      kJwtMaxDepth, /*require_object=*/true);
  if (!header) return v.reject(JwtFailure::malformed);
  for (const char* m : kForbiddenHeaderMembers) {
    if (header->contains(m)) return v.reject(JwtFailure::malformed);
  }
  auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->is_string()) return v.reject(JwtFailure::malformed);
  const auto alg = jws_alg_from_name(alg_it->get<std::string>());
  if (!alg) return v.reject(JwtFailure::unsupported_alg);
  auto kid_it = header->find("kid");
  if (kid_it == header->end() || !kid_it->is_string()) return v.reject(JwtFailure::malformed);
  const std::string& kid = kid_it->get_ref<const std::string&>();
  // A kid outside the charset cannot name any key; it is never used as a path or URL either way.
  if (!is_valid_kid(kid)) return v.reject(JwtFailure::unknown_kid);
  const VerificationKey* key = keys.find(kid);
  if (key == nullptr) return v.reject(JwtFailure::unknown_kid);
  if (key->alg != *alg) return v.reject(JwtFailure::unsupported_alg);

  if (!jws_verify_signature(*key, signing_input, *sig)) {
    return v.reject(JwtFailure::bad_signature);
  }

  auto claims = parse_json_strict(
      std::string_view(reinterpret_cast<const char*>(payload_raw->data()), payload_raw->size()),
      kJwtMaxDepth, /*require_object=*/true);
  if (!claims) return v.reject(JwtFailure::malformed);
  NSL_TRY_ASSIGN(std::optional<std::int64_t> exp, v.check_claims(*claims, policy, now));

  std::string kid_copy = kid;  // `kid` refers into `header`, which is moved next
  return VerifiedJwt{std::move(header).value(), std::move(claims).value(), std::move(kid_copy),
                     *alg, exp};
}

std::string_view VerifiedJwt::subject() const {
  auto it = claims.find("sub");
  return it != claims.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                               : std::string_view();
}

std::string_view VerifiedJwt::issuer() const {
  auto it = claims.find("iss");
  return it != claims.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                               : std::string_view();
}

}  // namespace nsl::auth
