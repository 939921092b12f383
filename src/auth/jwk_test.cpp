#include "auth/jwk.hpp"

#include <gtest/gtest.h>

#include <string>

#include "auth/jwt.hpp"
#include "core/base64.hpp"

namespace nsl::auth {
namespace {

using nlohmann::json;

// RFC 7515 A.2 (RSA 2048), A.3 (P-256) and RFC 8037 A.2 (Ed25519) public keys.
const char* const kRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-D"
    "WNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const json kRsa = {{"kty", "RSA"}, {"kid", "rsa"}, {"use", "sig"}, {"n", kRsaN}, {"e", "AQAB"}};
const json kEc = {{"kty", "EC"},
                  {"crv", "P-256"},
                  {"kid", "ec"},
                  {"alg", "ES256"},
                  {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                  {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};
const json kOkp = {{"kty", "OKP"},
                   {"crv", "Ed25519"},
                   {"kid", "okp"},
                   {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};

json with(json j, const char* k, json v) {
  j[k] = std::move(v);
  return j;
}

TEST(Jwks, MixedSetKeepsSupportedKeysAndSkipsOthers) {
  const json doc = {
      {"keys",
       {kRsa,
        kEc,
        kOkp,
        {{"kty", "oct"}, {"kid", "hmac"}, {"k", "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"}},
        with(with(kRsa, "kid", "oaep"), "alg", "RSA-OAEP"),
        with(with(kRsa, "kid", "ps"), "alg", "PS256"),
        with(with(kRsa, "kid", "enc"), "use", "enc"),
        with(with(kEc, "kid", "p384"), "crv", "P-384"),
        with(with(kOkp, "kid", "x25519"), "crv", "X25519"),
        with(kOkp, "kid", "has/slash"),
        {{"kty", "RSA"}, {"n", kRsaN}, {"e", "AQAB"}}}}};  // no kid
  auto keys = parse_jwks(doc.dump());
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].kid, "rsa");
  EXPECT_EQ((*keys)[0].alg, JwsAlg::RS256);
  EXPECT_EQ((*keys)[1].alg, JwsAlg::ES256);
  EXPECT_EQ((*keys)[2].alg, JwsAlg::EdDSA);
}

TEST(Jwks, MalformedJsonFails) {
  EXPECT_FALSE(parse_jwks("").ok());
  EXPECT_FALSE(parse_jwks("{\"keys\":[").ok());
  EXPECT_FALSE(parse_jwks("[]").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":[],"keys":[]})").ok());
  EXPECT_TRUE(parse_jwks(R"({"keys":[]})").ok());
}

TEST(Jwks, PrivateJwkRejected) {
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    EXPECT_FALSE(parse_jwk(with(kRsa, m, "AQAB")).ok()) << m;
    EXPECT_FALSE(parse_jwks(json{{"keys", {kEc, with(kRsa, m, "AQAB")}}}.dump()).ok()) << m;
  }
  EXPECT_FALSE(parse_jwk(with(kEc, "d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")).ok());
  EXPECT_FALSE(parse_jwk(with(kOkp, "d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")).ok());
}

TEST(Jwks, EcPointNotOnCurveRejected) {
  json bad = with(kEc, "y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1");  // y + 1
  EXPECT_FALSE(parse_jwk(bad).ok());
  EXPECT_FALSE(parse_jwks(json{{"keys", {bad}}}.dump()).ok());
  EXPECT_FALSE(parse_jwk(with(kEc, "x", "AAAA")).ok());  // short
  EXPECT_FALSE(parse_jwk(with(kEc, "y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0=")).ok());
}

TEST(Jwks, RsaModulus1024Rejected) {
  const std::string n1024 = base64url_encode(Bytes(128, 0xc5));  // 1024-bit odd modulus
  EXPECT_FALSE(parse_jwk(with(kRsa, "n", n1024)).ok());
  EXPECT_FALSE(parse_jwks(json{{"keys", {with(kRsa, "n", n1024)}}}.dump()).ok());
  EXPECT_FALSE(parse_jwk(with(kRsa, "e", "AQ")).ok());  // e = 1
}

TEST(Jwks, AlgMustMatchKeyType) {
  EXPECT_FALSE(parse_jwk(with(kEc, "alg", "RS256")).ok());
  EXPECT_FALSE(parse_jwk(with(kRsa, "alg", "ES256")).ok());
  EXPECT_FALSE(parse_jwk(with(kRsa, "alg", "none")).ok());
  EXPECT_FALSE(parse_jwk(with(kRsa, "alg", "HS256")).ok());
  EXPECT_TRUE(parse_jwk(with(kRsa, "alg", "RS256")).ok());
  EXPECT_TRUE(parse_jwk(with(kOkp, "alg", "EdDSA")).ok());
  EXPECT_FALSE(parse_jwk(with(kRsa, "use", "enc")).ok());
  EXPECT_FALSE(parse_jwk(with(kRsa, "key_ops", json::array({"encrypt"}))).ok());
  EXPECT_TRUE(parse_jwk(with(kRsa, "key_ops", json::array({"verify"}))).ok());
}

TEST(Jwks, DuplicateKidFails) {
  EXPECT_FALSE(parse_jwks(json{{"keys", {kEc, with(kOkp, "kid", "ec")}}}.dump()).ok());
}

TEST(Jwks, PublicJwkRoundTrip) {
  for (const json& jwk : {kRsa, kEc, kOkp}) {
    auto key = parse_jwk(jwk);
    ASSERT_TRUE(key.ok()) << key.error();
    const json out = to_public_jwk(*key);
    EXPECT_FALSE(out.contains("d"));
    for (const char* m : {"kty", "crv", "x", "y", "n", "e", "kid"}) {
      if (jwk.contains(m)) {
        EXPECT_EQ(out[m], jwk[m]) << m;
      }
    }
    EXPECT_EQ(out["use"], "sig");
    auto back = parse_jwk(out);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(to_public_jwk(*back), out);
  }
  std::vector<VerificationKey> keys;
  for (const json& jwk : {kRsa, kEc, kOkp}) keys.push_back(parse_jwk(jwk).value());
  auto again = parse_jwks(jwks_json(keys).dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 3u);
}

TEST(Jwks, AlgNames) {
  EXPECT_EQ(jws_alg_from_name("RS256"), JwsAlg::RS256);
  EXPECT_EQ(jws_alg_from_name("EdDSA"), JwsAlg::EdDSA);
  EXPECT_EQ(jws_alg_from_name("eddsa"), std::nullopt);
  EXPECT_EQ(jws_alg_from_name("none"), std::nullopt);
  EXPECT_TRUE(is_valid_kid("a-B_9.z"));
  EXPECT_FALSE(is_valid_kid(""));
  EXPECT_FALSE(is_valid_kid(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_kid("a b"));
}

}  // namespace
}  // namespace nsl::auth
