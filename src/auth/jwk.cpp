#include "auth/jwk.hpp"

#include <array>
#include <set>

#include "core/base64.hpp"
#include "core/json_strict.hpp"

namespace nsl::auth {

using crypto::Bytes;
using nlohmann::json;

namespace {

constexpr std::size_t kJwksMaxDepth = 8;
constexpr const char* kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

// Why a JWK was not turned into a key: `skip` = not for us (another algorithm family or use).
enum class Verdict : std::uint8_t { ok, skip, bad };

struct Parsed {
  Verdict verdict;
  std::optional<VerificationKey> key;
  std::string problem;
};

Parsed skip() { return {Verdict::skip, std::nullopt, {}}; }
Parsed bad(std::string problem) { return {Verdict::bad, std::nullopt, std::move(problem)}; }

const std::string* string_member(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

std::optional<Bytes> b64_member(const json& j, const char* name) {
  const std::string* s = string_member(j, name);
  if (s == nullptr) return std::nullopt;
  return base64url_decode(*s);
}

// alg member: absent, or exactly the one alg this key type supports; another alg => skip.
Verdict check_alg(const json& jwk, JwsAlg expected) {
  auto it = jwk.find("alg");
  if (it == jwk.end()) return Verdict::ok;
  if (!it->is_string()) return Verdict::bad;
  return it->get<std::string>() == jws_alg_name(expected) ? Verdict::ok : Verdict::skip;
}

Parsed parse_one(const json& jwk) {
  if (!jwk.is_object()) return bad("JWK is not an object");
  const std::string* kty = string_member(jwk, "kty");
  if (kty == nullptr) return bad("JWK has no kty");
  const bool supported_kty = *kty == "RSA" || *kty == "EC" || *kty == "OKP";
  if (!supported_kty) return skip();  // e.g. "oct": never a JWS verification key for us
  for (const char* m : kPrivateMembers) {
    if (jwk.contains(m)) return bad("JWK contains private key material");
  }
  if (auto it = jwk.find("use"); it != jwk.end()) {
    if (!it->is_string()) return bad("JWK use is not a string");
    if (*it != "sig") return skip();
  }
  if (auto it = jwk.find("key_ops"); it != jwk.end()) {
    if (!it->is_array()) return bad("JWK key_ops is not an array");
    bool verify = false;
    for (const auto& op : *it) verify = verify || (op.is_string() && op == "verify");
    if (!verify) return skip();
  }
  const std::string* kid = string_member(jwk, "kid");
  if (kid == nullptr || !is_valid_kid(*kid)) return skip();  // unusable: tokens name keys by kid

  JwsAlg alg;
  JwsPublicKey key = crypto::Ed25519PublicKey{};
  if (*kty == "RSA") {
    alg = JwsAlg::RS256;
    if (Verdict v = check_alg(jwk, alg); v != Verdict::ok)
      return v == Verdict::skip ? skip() : bad("bad JWK alg");
    auto n = b64_member(jwk, "n");
    auto e = b64_member(jwk, "e");
    if (!n || !e) return bad("RSA JWK needs base64url n and e");
    auto pub = crypto::RsaPublicKey::from_components(*n, *e);
    if (!pub) return bad(pub.error().message());
    key = std::move(pub).value();
  } else if (*kty == "EC") {
    const std::string* crv = string_member(jwk, "crv");
    if (crv == nullptr) return bad("EC JWK has no crv");
    if (*crv != "P-256") return skip();
    alg = JwsAlg::ES256;
    if (Verdict v = check_alg(jwk, alg); v != Verdict::ok)
      return v == Verdict::skip ? skip() : bad("bad JWK alg");
    auto x = b64_member(jwk, "x");
    auto y = b64_member(jwk, "y");
    if (!x || !y || x->size() != 32 || y->size() != 32) {
      return bad("P-256 JWK needs 32-byte base64url x and y");
    }
    P256PublicKey point{};
    point[0] = 0x04;
    std::copy(x->begin(), x->end(), point.begin() + 1);
    std::copy(y->begin(), y->end(), point.begin() + 33);
    if (!crypto::ec_check_public_key(crypto::Curve::secp256r1, point).ok()) {
      return bad("P-256 JWK point is not on the curve");
    }
    key = point;
  } else {
    const std::string* crv = string_member(jwk, "crv");
    if (crv == nullptr) return bad("OKP JWK has no crv");
    if (*crv != "Ed25519") return skip();
    alg = JwsAlg::EdDSA;
    if (Verdict v = check_alg(jwk, alg); v != Verdict::ok)
      return v == Verdict::skip ? skip() : bad("bad JWK alg");
    auto x = b64_member(jwk, "x");
    if (!x || x->size() != 32) return bad("Ed25519 JWK needs a 32-byte base64url x");
    crypto::Ed25519PublicKey pk{};
    std::copy(x->begin(), x->end(), pk.begin());
    key = pk;
  }
  return {Verdict::ok, VerificationKey{*kid, alg, std::move(key)}, {}};
}

}  // namespace

std::string_view jws_alg_name(JwsAlg alg) noexcept {
  switch (alg) {
    case JwsAlg::RS256:
      return "RS256";
    case JwsAlg::ES256:
      return "ES256";
    case JwsAlg::EdDSA:
      return "EdDSA";
  }
  return "?";
}

std::optional<JwsAlg> jws_alg_from_name(std::string_view name) noexcept {
  for (JwsAlg a : {JwsAlg::RS256, JwsAlg::ES256, JwsAlg::EdDSA}) {
    if (jws_alg_name(a) == name) return a;
  }
  return std::nullopt;
}

bool is_valid_kid(std::string_view kid) noexcept {
  if (kid.empty() || kid.size() > 128) return false;
  for (char c : kid) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<VerificationKey> make_verification_key(std::string kid, JwsAlg alg, JwsPublicKey key) {
  if (!is_valid_kid(kid))
    return err::invalid_argument("kid must be 1..128 chars of [A-Za-z0-9._-]");
  const std::size_t expected = alg == JwsAlg::RS256 ? 0 : alg == JwsAlg::ES256 ? 1 : 2;
  if (key.index() != expected) return err::invalid_argument("key type does not match alg");
  if (alg == JwsAlg::ES256 &&
      !crypto::ec_check_public_key(crypto::Curve::secp256r1, std::get<1>(key)).ok()) {
    return err::invalid_argument("P-256 point is not on the curve");
  }
  return VerificationKey{std::move(kid), alg, std::move(key)};
}

Result<VerificationKey> parse_jwk(const json& jwk) {
  Parsed p = parse_one(jwk);
  if (p.verdict == Verdict::ok) return std::move(*p.key);
  if (p.verdict == Verdict::skip)
    return err::invalid_argument("JWK type, algorithm or use not supported");
  return err::invalid_argument(p.problem);
}

Result<std::vector<VerificationKey>> parse_jwks(std::string_view text) {
  auto doc = parse_json_strict(text, kJwksMaxDepth, /*require_object=*/true);
  if (!doc) return err::invalid_argument("JWKS is not valid JSON: " + doc.error().message());
  auto it = doc->find("keys");
  if (it == doc->end() || !it->is_array()) return err::invalid_argument("JWKS has no keys array");
  std::vector<VerificationKey> out;
  std::set<std::string, std::less<>> kids;
  for (const auto& jwk : *it) {
    Parsed p = parse_one(jwk);
    if (p.verdict == Verdict::skip) continue;
    if (p.verdict == Verdict::bad) return err::invalid_argument("JWKS key rejected: " + p.problem);
    if (!kids.insert(p.key->kid).second) return err::invalid_argument("JWKS has a duplicate kid");
    out.push_back(std::move(*p.key));
  }
  return out;
}

json to_public_jwk(const VerificationKey& key) {
  json j = {{"kid", key.kid}, {"alg", jws_alg_name(key.alg)}, {"use", "sig"}};
  if (const auto* rsa = std::get_if<crypto::RsaPublicKey>(&key.key)) {
    j["kty"] = "RSA";
    j["n"] = base64url_encode(rsa->n());
    j["e"] = base64url_encode(rsa->e());
  } else if (const auto* p = std::get_if<P256PublicKey>(&key.key)) {
    j["kty"] = "EC";
    j["crv"] = "P-256";
    j["x"] = base64url_encode(std::span<const std::uint8_t>(p->data() + 1, 32));
    j["y"] = base64url_encode(std::span<const std::uint8_t>(p->data() + 33, 32));
  } else {
    j["kty"] = "OKP";
    j["crv"] = "Ed25519";
    j["x"] = base64url_encode(std::get<crypto::Ed25519PublicKey>(key.key));
  }
  return j;
}

json jwks_json(std::span<const VerificationKey> keys) {
  json arr = json::array();
  for (const auto& k : keys) arr.push_back(to_public_jwk(k));
  return json{{"keys", std::move(arr)}};
}

}  // namespace nsl::auth
