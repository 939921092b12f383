// Published JWS examples: RFC 7515 A.2 (RS256), A.3 (ES256) and RFC 8037 A.4 (EdDSA), through
// parse_jwk and jws_verify_signature (the RFC payloads have no kid/aud, so not through jwt_verify).
#include <gtest/gtest.h>

#include <string>

#include "auth/jwk.hpp"
#include "auth/jwt.hpp"
#include "core/base64.hpp"

namespace nsl::auth {
namespace {

using nlohmann::json;

Bytes b64u(std::string_view s) {
  auto v = base64url_decode(s);
  if (!v) ADD_FAILURE() << "bad base64url in test data: " << s;
  return v.value_or(Bytes{});
}

// ---- --------------------------------------------------------------------------

constexpr const char* kRfcPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";

TEST(JwsVectors, Rfc7515A2Rs256) {
  const json jwk = {{"kty", "RSA"},
                    {"kid", "a2"},
                    {"e", "AQAB"},
                    {"n",
                     "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
                     "4qPCJrcS2mJPMEzP1Pt0Bm4"
                     "d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
                     "bSf63kpaSHSXndS5z5re"
                     "xMdbBYUsLA9e-KXBdQOS-"
                     "UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxX"
                     "FvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}};
  auto key = parse_jwk(jwk);
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->alg, JwsAlg::RS256);
  const std::string input = std::string("eyJhbGciOiJSUzI1NiJ9.") + kRfcPayload;
  const Bytes sig = b64u(
      "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
      "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
      "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
      "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
  EXPECT_TRUE(jws_verify_signature(*key, input, sig));
  EXPECT_FALSE(jws_verify_signature(*key, input + "A", sig));
}

TEST(JwsVectors, Rfc7515A3Es256) {
  auto key = parse_jwk({{"kty", "EC"},
                        {"crv", "P-256"},
                        {"kid", "a3"},
                        {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                        {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}});
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->alg, JwsAlg::ES256);
  const std::string input = std::string("eyJhbGciOiJFUzI1NiJ9.") + kRfcPayload;
  Bytes sig = b64u(
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  EXPECT_TRUE(jws_verify_signature(*key, input, sig));
  sig[10] ^= 1;
  EXPECT_FALSE(jws_verify_signature(*key, input, sig));
}

TEST(JwsVectors, Rfc8037A4EdDsaSignAndVerify) {
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const Bytes sig = b64u(
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  auto key = parse_jwk({{"kty", "OKP"},
                        {"crv", "Ed25519"},
                        {"kid", "a4"},
                        {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_TRUE(jws_verify_signature(*key, input, sig));
  EXPECT_FALSE(jws_verify_signature(*key, input + "x", sig));
  // Ed25519 is deterministic: the RFC's private key reproduces the signature.
  auto signer = LocalJwsSigner::from_private(
      JwsAlg::EdDSA, "a4",
      SecretBytes::copy_of(b64u("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")));
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(*signer->sign(crypto::as_bytes(input)), sig);
  EXPECT_EQ(to_public_jwk(signer->verification_key())["x"],
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
}

}  // namespace
}  // namespace nsl::auth
