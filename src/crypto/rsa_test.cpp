#include "crypto/rsa.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/base64.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::crypto {
namespace {

Bytes b64u(std::string_view s) {
  auto v = base64url_decode(s);
  if (!v) {
    ADD_FAILURE() << "bad base64url in test data";
    return {};
  }
  return *v;
}
SecretBytes secret_b64u(std::string_view s) { return SecretBytes::copy_of(b64u(s)); }

// RFC 7515 Appendix A.2 (RS256 example): key, signing input and signature.
constexpr const char* kA2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-D"
    "WNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr const char* kA2D =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoA"
    "Je46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpR"
    "LI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZF"
    "D9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
constexpr const char* kA2P =
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJd"
    "TJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
constexpr const char* kA2Q =
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_"
    "YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
constexpr const char* kA2Dp =
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6H"
    "sJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0";
constexpr const char* kA2Dq =
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF"
    "-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU";
constexpr const char* kA2Qi =
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIB"
    "i87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U";
constexpr const char* kA2Input =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ";
constexpr const char* kA2Sig =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5ju"
    "jGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07"
    "Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipU"
    "TI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

RsaPrivateComponents a2_components() {
  return {b64u(kA2N),        b64u("AQAB"),       secret_b64u(kA2D),  secret_b64u(kA2P),
          secret_b64u(kA2Q), secret_b64u(kA2Dp), secret_b64u(kA2Dq), secret_b64u(kA2Qi)};
}

TEST(Rsa, Rfc7515A2KnownAnswerSignAndVerify) {
  auto key = rsa_private_from_components(a2_components());
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->modulus_bits(), 2048u);
  auto sig = rs256_sign(*key, as_bytes(kA2Input));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, b64u(kA2Sig));  // PKCS#1 v1.5 is deterministic
  auto pub = RsaPublicKey::from_components(b64u(kA2N), b64u("AQAB"));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(*pub == key->public_key());
  EXPECT_TRUE(rs256_verify(*pub, as_bytes(kA2Input), b64u(kA2Sig)));
  EXPECT_FALSE(rs256_verify(*pub, as_bytes(std::string(kA2Input) + "x"), b64u(kA2Sig)));
}

TEST(Rsa, Pkcs8RoundTripKeepsTheKey) {
  auto key = rsa_private_from_components(a2_components());
  ASSERT_TRUE(key.ok());
  SecretBytes der = key->to_pkcs8_der();
  auto back = rsa_private_from_pkcs8_der(der);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->public_key() == key->public_key());
  EXPECT_EQ(*rs256_sign(*back, as_bytes(kA2Input)), b64u(kA2Sig));
}

TEST(Rsa, Pkcs8RejectsGarbageAndTrailingBytes) {
  auto key = rsa_private_from_components(a2_components());
  ASSERT_TRUE(key.ok());
  SecretBytes der = key->to_pkcs8_der();
  SecretBytes longer(der.size() + 1);  // a zero byte after the DER
  EXPECT_FALSE(rsa_private_from_pkcs8_der(longer).ok());
  EXPECT_FALSE(rsa_private_from_pkcs8_der(SecretBytes::random(64)).ok());
  EXPECT_FALSE(rsa_private_from_pkcs8_der(SecretBytes()).ok());
}

TEST(Rsa, InconsistentComponentsRejected) {
  auto c = a2_components();
  c.d = SecretBytes::copy_of(b64u(kA2Dq));  // wrong d for this n
  EXPECT_FALSE(rsa_private_from_components(c).ok());
}

TEST(Rsa, GenerateSignVerifyRoundTrip) {
  EXPECT_FALSE(rsa_generate(1024).ok());
  EXPECT_FALSE(rsa_generate(8192).ok());
  auto key = rsa_generate(2048);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->modulus_bits(), 2048u);
  EXPECT_EQ(key->public_key().e(), (Bytes{0x01, 0x00, 0x01}));
  auto sig = rs256_sign(*key, as_bytes("hello"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_TRUE(rs256_verify(key->public_key(), as_bytes("hello"), *sig));
  Bytes flipped = *sig;
  flipped[100] ^= 1;
  EXPECT_FALSE(rs256_verify(key->public_key(), as_bytes("hello"), flipped));
  // Wrong lengths are rejected before any RSA: a leading zero byte added or removed.
  Bytes longer = *sig;
  longer.insert(longer.begin(), 0);
  EXPECT_FALSE(rs256_verify(key->public_key(), as_bytes("hello"), longer));
  EXPECT_FALSE(rs256_verify(key->public_key(), as_bytes("hello"), ByteSpan(*sig).subspan(1)));
  EXPECT_FALSE(rs256_verify(key->public_key(), as_bytes("hello"), {}));
}

TEST(Rsa, PublicKeyComponentRules) {
  const Bytes n = b64u(kA2N);
  EXPECT_TRUE(RsaPublicKey::from_components(n, Bytes{0x03}).ok());
  Bytes padded = n;
  padded.insert(padded.begin(), 0);  // leading zero ignored; n() is minimal
  auto p = RsaPublicKey::from_components(padded, Bytes{0x01, 0x00, 0x01});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->n(), n);
  EXPECT_FALSE(RsaPublicKey::from_components(n, Bytes{0x01}).ok());               // e = 1
  EXPECT_FALSE(RsaPublicKey::from_components(n, Bytes{0x01, 0x00, 0x00}).ok());   // even
  EXPECT_FALSE(RsaPublicKey::from_components(n, Bytes{}).ok());                   // e = 0
  EXPECT_FALSE(RsaPublicKey::from_components(n, Bytes(9, 0xff)).ok());            // > 64 bits
  EXPECT_FALSE(RsaPublicKey::from_components(Bytes(128, 0xff), Bytes{3}).ok());   // 1024 bits
  EXPECT_FALSE(RsaPublicKey::from_components(Bytes(1025, 0xff), Bytes{3}).ok());  // 8200 bits
  Bytes even = n;
  even.back() &= 0xfe;
  EXPECT_FALSE(RsaPublicKey::from_components(even, Bytes{3}).ok());
}

// Wycheproof RSASSA-PKCS1-v1_5 2048/SHA-256 (tests/vectors/wycheproof_rsa/).
TEST(Rsa, WycheproofPkcs1Sha256) {
  auto doc = testing::load_vectors("wycheproof_rsa/rsa_signature_2048_sha256_test.json");
  ASSERT_FALSE(doc.is_null());
  int valid = 0, invalid = 0, acceptable_accepted = 0, acceptable = 0, total = 0;
  for (const auto& g : doc["testGroups"]) {
    ASSERT_EQ(g["sha"], "SHA-256");
    auto key = RsaPublicKey::from_components(
        testing::hex(g["publicKey"]["modulus"].get<std::string>()),
        testing::hex(g["publicKey"]["publicExponent"].get<std::string>()));
    ASSERT_TRUE(key.ok()) << key.error();
    for (const auto& t : g["tests"]) {
      ++total;
      const Bytes msg = testing::hex(t["msg"].get<std::string>());
      const Bytes sig = testing::hex(t["sig"].get<std::string>());
      const bool ok = rs256_verify(*key, msg, sig);
      const std::string result = t["result"];
      if (result == "valid") {
        EXPECT_TRUE(ok) << "tcId " << t["tcId"];
        valid += ok;
      } else if (result == "invalid") {
        EXPECT_FALSE(ok) << "tcId " << t["tcId"] << " " << t["comment"];
        invalid += !ok;
      } else {
        ++acceptable;
        acceptable_accepted += ok;
      }
    }
  }
  EXPECT_EQ(total, 259);
  EXPECT_EQ(acceptable_accepted, 0) << "README documents MissingNull as rejected";
  std::printf(
      "[wycheproof] rsa_signature_2048_sha256: %d tests, valid accepted %d, invalid "
      "rejected %d, acceptable accepted %d/%d (MissingNull: nsl rejects)\n",
      total, valid, invalid, acceptable_accepted, acceptable);
}

}  // namespace
}  // namespace nsl::crypto
