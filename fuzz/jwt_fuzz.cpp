// Fuzz target `jwt`: untrusted bearer-token / JWKS text -> nsl::auth::jwt_verify against a fixed
// KeySet (one RS256, one ES256, one EdDSA key: the RFC 7515 A.2 / A.3 and RFC 8037 keys), then
// parse_jwks on the same text, then the same bytes as the claims of a token we sign ourselves, so
// the claim checks behind the signature are reached too.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - every jwt_verify failure is unauthenticated with one of the fixed messages, and the reason is
//     consistent with the size limit (too_large iff the input is over max_token_bytes);
//   - jwt_verify ok => at most max_token_bytes, exactly two dots, header alg equal to the key's
//   alg,
//     iss/aud from the policy, exp an integer not in the past (leeway included);
//   - the same verification with a stricter policy (no leeway) is ok only if the lenient one is;
//   - parse_jwks ok => every key has a valid, unique kid and a key type matching its alg, and
//     jwks_json of the result parses back to the same JWKs;
//   - self-signed tokens over the input bytes verify iff the bytes are a strict JSON object whose
//     claims pass the policy (checked one way: ok => the claims are what the policy demands);
//   - no exception escapes.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "auth/jwk.hpp"
#include "auth/jwt.hpp"
#include "core/base64.hpp"
#include "crypto/rsa.hpp"
#include "fuzz_check.hpp"

namespace {

using nlohmann::json;
using nsl::fuzz::check;
namespace auth = nsl::auth;
constexpr const char* kName = "jwt";
const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'800'000'000)};

nsl::SecretBytes secret_b64u(std::string_view s) {
  return nsl::SecretBytes::copy_of(nsl::base64url_decode(s).value());
}

struct Fixture {
  auth::KeySet keys;
  std::optional<auth::LocalJwsSigner> ed;
  auth::JwtPolicy policy;

  Fixture() {
    nsl::crypto::RsaPrivateComponents c{
        *nsl::base64url_decode(
            "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
            "4qPCJrcS2mJPMEzP1P"
            "t0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
            "bSf63kpaSHSX"
            "ndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_"
            "I5"
            "IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"),
        *nsl::base64url_decode("AQAB"),
        secret_b64u(
            "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-"
            "7YwVo"
            "l2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-"
            "GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn43"
            "9X0M_V51gfpRLI9JYanrC4D4qAdGcopV_"
            "0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8"
            "bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"),
        secret_b64u(
            "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_"
            "5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw"
            "_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"),
        secret_b64u(
            "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-"
            "7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7Tj"
            "eLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"),
        secret_b64u(
            "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-"
            "FO"
            "Knu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0"),
        secret_b64u(
            "h_96-mK1R_"
            "7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9"
            "U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU"),
        secret_b64u(
            "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_"
            "QJQ3ydy"
            "5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"),
    };
    auto rsa = nsl::crypto::rsa_private_from_components(c).value();
    auto rs = auth::LocalJwsSigner::from_private(auth::JwsAlg::RS256, "rs", rsa.to_pkcs8_der());
    auto es = auth::LocalJwsSigner::from_private(
        auth::JwsAlg::ES256, "es", secret_b64u("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"));
    ed.emplace(
        auth::LocalJwsSigner::from_private(
            auth::JwsAlg::EdDSA, "ed", secret_b64u("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))
            .value());
    check(keys.add(rs.value().verification_key()).ok() &&
              keys.add(es.value().verification_key()).ok() && keys.add(ed->verification_key()).ok(),
          kName, "fixture keys");
    policy.issuers = {"iss"};
    policy.audiences = {"aud"};
  }
};

const std::set<std::string> kMessages = {
    "malformed token",           "token too large",           "token algorithm not accepted",
    "unknown token signing key", "invalid token signature",   "token expired",
    "token not yet valid",       "token issuer not accepted", "token audience not accepted",
    "invalid token claims"};

void check_claims_ok(const auth::VerifiedJwt& v, const auth::JwtPolicy& p) {
  check(v.issuer() == p.issuers[0], kName, "accepted a token with a foreign iss");
  const json& aud = v.claims.at("aud");
  check(aud == p.audiences[0] || (aud.is_array() && std::find(aud.begin(), aud.end(),
                                                              json(p.audiences[0])) != aud.end()),
        kName, "accepted a token without our aud", aud.dump());
  check(v.exp.has_value() && *v.exp + p.leeway.count() >= 1'800'000'000, kName,
        "accepted a token that is expired or has no exp");
}

void fuzz_verify(const Fixture& f, std::string_view text) {
  auth::JwtFailure why{};
  auto r = auth::jwt_verify(text, f.keys, f.policy, kNow, &why);
  auth::JwtPolicy strict = f.policy;
  strict.leeway = std::chrono::seconds(0);
  auto s = auth::jwt_verify(text, f.keys, strict, kNow);
  check(!s.ok() || r.ok(), kName, "the no-leeway policy accepts what the default rejects");
  if (!r.ok()) {
    check(r.error().code() == nsl::ErrorCode::unauthenticated, kName,
          "error is not unauthenticated");
    check(kMessages.count(r.error().message()) == 1, kName, "unexpected error message",
          r.error().message());
    check((why == auth::JwtFailure::too_large) == (text.size() > f.policy.max_token_bytes), kName,
          "too_large disagrees with the size");
    return;
  }
  check(text.size() <= f.policy.max_token_bytes, kName, "accepted an oversized token");
  check(std::count(text.begin(), text.end(), '.') == 2, kName,
        "accepted a token without 3 segments");
  const auth::VerificationKey* key = f.keys.find(r->kid);
  check(key != nullptr && key->alg == r->alg, kName, "verified with a key of another alg");
  check(r->header.at("alg") == auth::jws_alg_name(r->alg), kName, "header alg differs");
  check_claims_ok(*r, f.policy);
}

void fuzz_jwks(std::string_view text) {
  auto keys = auth::parse_jwks(text);
  if (!keys.ok()) {
    check(keys.error().code() == nsl::ErrorCode::invalid_argument, kName, "JWKS error code");
    return;
  }
  std::set<std::string> kids;
  for (const auto& k : *keys) {
    check(auth::is_valid_kid(k.kid) && kids.insert(k.kid).second, kName,
          "JWKS kid invalid or duplicate");
    auth::KeySet one;
    check(one.add(k).ok(), kName, "parsed JWK does not fit a KeySet", k.kid);
  }
  const json out = auth::jwks_json(*keys);
  auto again = auth::parse_jwks(out.dump());
  check(again.ok() && again->size() == keys->size(), kName, "jwks_json does not parse back",
        out.dump());
  check(auth::jwks_json(*again) == out, kName, "JWKS round trip changed a key", out.dump());
}

// The input bytes as the claims of a token signed by the fixture's Ed25519 key.
void fuzz_claims(Fixture& f, std::string_view text) {
  const std::string header = R"({"alg":"EdDSA","kid":"ed","typ":"JWT"})";
  std::string token = nsl::base64url_encode(header) + "." + nsl::base64url_encode(text);
  auto sig = f.ed->sign(nsl::crypto::as_bytes(token));
  check(sig.ok(), kName, "Ed25519 signing failed");
  token += "." + nsl::base64url_encode(*sig);
  auth::JwtPolicy p = f.policy;
  p.max_token_bytes = token.size();
  auth::JwtFailure why{};
  auto r = auth::jwt_verify(token, f.keys, p, kNow, &why);
  if (r.ok()) {
    check(r->claims.is_object(), kName, "claims are not an object");
    check_claims_ok(*r, p);
  } else {
    check(why != auth::JwtFailure::bad_signature && why != auth::JwtFailure::unknown_kid &&
              why != auth::JwtFailure::unsupported_alg && why != auth::JwtFailure::too_large,
          kName, "a correctly signed token failed before the claims", auth::jwt_failure_name(why));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture* fixture = new Fixture();  // built once; never destroyed (libFuzzer exits hard)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    fuzz_verify(*fixture, text);
    fuzz_jwks(text);
    if (size <= 4096) fuzz_claims(*fixture, text);
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
