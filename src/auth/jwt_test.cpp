// JWT/JWS verification: every check in jwt.hpp has a test that fails if the check is removed.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/base64.hpp"
#include "crypto/mac.hpp"

namespace nsl::auth {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::int64_t kNow = 1'800'000'000;
const system_clock::time_point kNowTp{seconds(kNow)};
constexpr const char* kIss = "https://issuer.example";
constexpr const char* kAud = "nsl-api";

Bytes b64u(std::string_view s) {
  auto v = base64url_decode(s);
  if (!v) ADD_FAILURE() << "bad base64url in test data: " << s;
  return v.value_or(Bytes{});
}
std::string text(const Bytes& b) { return {b.begin(), b.end()}; }

JwtPolicy policy() {
  JwtPolicy p;
  p.issuers = {kIss};
  p.audiences = {kAud};
  return p;
}

json claims(std::int64_t exp = kNow + 300) {
  return {{"iss", kIss}, {"aud", kAud}, {"sub", "user-1"}, {"iat", kNow - 10}, {"exp", exp}};
}

// One signer per algorithm, generated once (RSA generation is slow) and a KeySet holding the
// three verification keys.
class Jwt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rs_ = new LocalJwsSigner(LocalJwsSigner::generate(JwsAlg::RS256, "rs-1").value());
    es_ = new LocalJwsSigner(LocalJwsSigner::generate(JwsAlg::ES256, "es-1").value());
    ed_ = new LocalJwsSigner(LocalJwsSigner::generate(JwsAlg::EdDSA, "ed-1").value());
    keys_ = new KeySet(
        KeySet::create({rs_->verification_key(), es_->verification_key(), ed_->verification_key()})
            .value());
  }
  static void TearDownTestSuite() {
    delete rs_;
    delete es_;
    delete ed_;
    delete keys_;
  }

  // Verifies and returns the failure reason (or nullopt on success).
  static std::optional<JwtFailure> why(std::string_view token, const JwtPolicy& p = policy(),
                                       system_clock::time_point now = kNowTp) {
    JwtFailure f{};
    auto r = jwt_verify(token, *keys_, p, now, &f);
    if (r.ok()) return std::nullopt;
    EXPECT_EQ(r.error().code(), ErrorCode::unauthenticated);
    if (token.size() >= 20) {
      EXPECT_EQ(r.error().message().find(std::string(token.substr(0, 20))), std::string::npos)
          << "the error message must not echo the token";
    }
    return f;
  }

  // A token with an arbitrary header/payload text, signed by `signer` (whatever the header says).
  static std::string forge(LocalJwsSigner& signer, std::string_view header,
                           std::string_view payload) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(signer.sign(crypto::as_bytes(input)).value());
  }
  static std::string header_for(const LocalJwsSigner& s) {
    return json{{"alg", jws_alg_name(s.alg())}, {"kid", s.kid()}, {"typ", "JWT"}}.dump();
  }
  static std::string sign(LocalJwsSigner& s, const json& c) { return jwt_sign(s, c).value(); }

  static LocalJwsSigner* rs_;
  static LocalJwsSigner* es_;
  static LocalJwsSigner* ed_;
  static KeySet* keys_;
};
LocalJwsSigner* Jwt::rs_ = nullptr;
LocalJwsSigner* Jwt::es_ = nullptr;
LocalJwsSigner* Jwt::ed_ = nullptr;
KeySet* Jwt::keys_ = nullptr;

void expect_round_trip(LocalJwsSigner& s, const KeySet& keys) {
  auto token = jwt_sign(s, claims());
  ASSERT_TRUE(token.ok()) << token.error();
  auto v = jwt_verify(*token, keys, policy(), kNowTp);
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_EQ(v->kid, s.kid());
  EXPECT_EQ(v->alg, s.alg());
  EXPECT_EQ(v->subject(), "user-1");
  EXPECT_EQ(v->issuer(), kIss);
  EXPECT_EQ(v->exp, kNow + 300);
  EXPECT_EQ(v->header["typ"], "JWT");
}

TEST_F(Jwt, RoundTripRs256) { expect_round_trip(*rs_, *keys_); }
TEST_F(Jwt, RoundTripEs256) { expect_round_trip(*es_, *keys_); }
TEST_F(Jwt, RoundTripEdDsa) { expect_round_trip(*ed_, *keys_); }

TEST_F(Jwt, ExportedPrivateKeysSignTheSameIdentity) {
  for (LocalJwsSigner* s : {rs_, es_, ed_}) {
    auto again = LocalJwsSigner::from_private(s->alg(), s->kid(), s->export_private());
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(to_public_jwk(again->verification_key()), to_public_jwk(s->verification_key()));
    EXPECT_TRUE(jwt_verify(sign(*again, claims()), *keys_, policy(), kNowTp).ok());
  }
  EXPECT_FALSE(LocalJwsSigner::from_private(JwsAlg::EdDSA, "k", SecretBytes(31)).ok());
  EXPECT_FALSE(LocalJwsSigner::from_private(JwsAlg::ES256, "k", SecretBytes(32)).ok());  // d = 0
  EXPECT_FALSE(LocalJwsSigner::from_private(JwsAlg::RS256, "k", SecretBytes::random(40)).ok());
  EXPECT_FALSE(LocalJwsSigner::generate(JwsAlg::ES256, "bad/kid").ok());
}

// ---- algorithm confusion ------------------------------------------------------------------------

TEST_F(Jwt, AlgNoneRejected) {
  const std::string payload = base64url_encode(claims().dump());
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string h = base64url_encode(json{{"alg", alg}, {"kid", "rs-1"}}.dump());
    EXPECT_EQ(why(h + "." + payload + "."), JwtFailure::unsupported_alg) << alg;
  }
}

// The public key bytes an attacker would use as the HMAC key: SPKI PEM, SPKI DER and raw n.
std::vector<Bytes> rsa_public_key_encodings(const crypto::RsaPublicKey& pub) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* n = BN_bin2bn(pub.n().data(), static_cast<int>(pub.n().size()), nullptr);
  BIGNUM* e = BN_bin2bn(pub.e().data(), static_cast<int>(pub.e().size()), nullptr);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(pkey, &der);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey);
  char* pem = nullptr;
  const long pem_len = BIO_get_mem_data(bio, &pem);
  std::vector<Bytes> out{Bytes(pem, pem + pem_len), Bytes(der, der + der_len), pub.n()};
  BIO_free(bio);
  OPENSSL_free(der);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  EXPECT_GT(der_len, 256);
  return out;
}

TEST_F(Jwt, Hs256KeyedWithTheRsaPublicKeyRejected) {
  const auto& pub = std::get<crypto::RsaPublicKey>(rs_->verification_key().key);
  for (const Bytes& hmac_key : rsa_public_key_encodings(pub)) {
    const std::string input =
        base64url_encode(json{{"alg", "HS256"}, {"kid", "rs-1"}, {"typ", "JWT"}}.dump()) + "." +
        base64url_encode(claims().dump());
    const auto tag = crypto::hmac_sha256(hmac_key, crypto::as_bytes(input));
    EXPECT_EQ(why(input + "." + base64url_encode(tag)), JwtFailure::unsupported_alg);
  }
}

TEST_F(Jwt, AlgSwitchOnABoundKeyRejected) {
  // ES256 header naming the RSA key, signed with a genuine ES256 key: the key is RS256-only.
  const std::string payload = claims().dump();
  EXPECT_EQ(why(forge(*es_, json{{"alg", "ES256"}, {"kid", "rs-1"}}.dump(), payload)),
            JwtFailure::unsupported_alg);
  EXPECT_EQ(why(forge(*rs_, json{{"alg", "RS256"}, {"kid", "es-1"}}.dump(), payload)),
            JwtFailure::unsupported_alg);
  EXPECT_EQ(why(forge(*ed_, json{{"alg", "EdDSA"}, {"kid", "rs-1"}}.dump(), payload)),
            JwtFailure::unsupported_alg);
  for (const char* alg : {"PS256", "ES256K", "HS512", "RS512", "ES384", "Ed25519", "rs256"}) {
    EXPECT_EQ(why(forge(*rs_, json{{"alg", alg}, {"kid", "rs-1"}}.dump(), payload)),
              JwtFailure::unsupported_alg)
        << alg;
  }
}

// Records every kid it is asked for; the verifier must never ask for an invalid one.
class RecordingLookup final : public KeyLookup {
 public:
  explicit RecordingLookup(const KeySet& inner) : inner_(inner) {}
  const VerificationKey* find(std::string_view kid) const override {
    asked.emplace_back(kid);
    return inner_.find(kid);
  }
  mutable std::vector<std::string> asked;

 private:
  const KeySet& inner_;
};

TEST_F(Jwt, KidInjectionIsAPlainUnknownKid) {
  const std::vector<std::string> kids = {"../../etc/passwd",
                                         "/dev/zero",
                                         "http://evil/jwks",
                                         "' OR '1'='1",
                                         "rs-1; DROP TABLE keys",
                                         std::string(1024, 'a'),
                                         std::string("rs-1\0", 5),
                                         "",
                                         "rs-1 "};
  RecordingLookup lookup(*keys_);
  for (const auto& kid : kids) {
    const std::string token =
        forge(*rs_, json{{"alg", "RS256"}, {"kid", kid}}.dump(), claims().dump());
    JwtFailure f{};
    EXPECT_FALSE(jwt_verify(token, lookup, policy(), kNowTp, &f).ok());
    EXPECT_TRUE(f == JwtFailure::unknown_kid || f == JwtFailure::malformed) << jwt_failure_name(f);
  }
  EXPECT_TRUE(lookup.asked.empty()) << "invalid kids must not reach the key lookup";
  // A well-formed kid that is not in the set reaches the lookup once and is unknown_kid.
  EXPECT_EQ(why(forge(*rs_, json{{"alg", "RS256"}, {"kid", "etc.passwd"}}.dump(), claims().dump())),
            JwtFailure::unknown_kid);
}

TEST_F(Jwt, MissingOrNonStringKidOrAlgIsMalformed) {
  const std::string payload = claims().dump();
  EXPECT_EQ(why(forge(*rs_, R"({"alg":"RS256"})", payload)), JwtFailure::malformed);
  EXPECT_EQ(why(forge(*rs_, R"({"alg":"RS256","kid":7})", payload)), JwtFailure::malformed);
  EXPECT_EQ(why(forge(*rs_, R"({"kid":"rs-1"})", payload)), JwtFailure::malformed);
  EXPECT_EQ(why(forge(*rs_, R"({"alg":["RS256"],"kid":"rs-1"})", payload)), JwtFailure::malformed);
  EXPECT_EQ(why(forge(*rs_, R"(["RS256"])", payload)), JwtFailure::malformed);
}

// ---- time claims --------------------------------------------------------------------------------

TEST_F(Jwt, Expired) { EXPECT_EQ(why(sign(*es_, claims(kNow - 3600))), JwtFailure::expired); }

TEST_F(Jwt, NotYetValid) {
  json c = claims();
  c["nbf"] = kNow + 3600;
  EXPECT_EQ(why(sign(*es_, c)), JwtFailure::not_yet_valid);
}

TEST_F(Jwt, IssuedInTheFuture) {
  json c = claims(kNow + 7200);
  c["iat"] = kNow + 3600;
  EXPECT_EQ(why(sign(*es_, c)), JwtFailure::bad_claims);
}

TEST_F(Jwt, LeewayBoundaries) {
  JwtPolicy p = policy();
  p.leeway = seconds(60);
  const std::string token = sign(*es_, claims(kNow));
  EXPECT_EQ(why(token, p, kNowTp + seconds(60)), std::nullopt);  // exactly exp + leeway: ok
  EXPECT_EQ(why(token, p, kNowTp + seconds(60) + std::chrono::milliseconds(999)), std::nullopt);
  EXPECT_EQ(why(token, p, kNowTp + seconds(61)), JwtFailure::expired);
  json c = claims();
  c["nbf"] = kNow + 60;
  c["iat"] = kNow + 60;
  const std::string early = sign(*es_, c);
  EXPECT_EQ(why(early, p), std::nullopt);  // nbf/iat exactly now + leeway: ok
  c["nbf"] = kNow + 61;
  EXPECT_EQ(why(sign(*es_, c), p), JwtFailure::not_yet_valid);
  c["nbf"] = kNow;
  c["iat"] = kNow + 61;
  EXPECT_EQ(why(sign(*es_, c), p), JwtFailure::bad_claims);
}

TEST_F(Jwt, MaxLifetime) {
  JwtPolicy p = policy();
  p.max_lifetime = seconds(3600);
  json c = claims(kNow + 3590);  // iat = now - 10: lifetime exactly 3600
  EXPECT_EQ(why(sign(*es_, c), p), std::nullopt);
  EXPECT_EQ(why(sign(*es_, claims(kNow + 3591)), p), JwtFailure::bad_claims);
  c.erase("iat");
  EXPECT_EQ(why(sign(*es_, c), p), JwtFailure::bad_claims);
}

TEST_F(Jwt, MissingExp) {
  json c = claims();
  c.erase("exp");
  EXPECT_EQ(why(sign(*es_, c)), JwtFailure::bad_claims);
  JwtPolicy p = policy();
  p.require_exp = false;
  EXPECT_EQ(why(sign(*es_, c), p), std::nullopt);
}

TEST_F(Jwt, NumericDatesMustBeIntegers) {
  for (const json& bad : {json("1800000300"), json(1800000300.5), json(1800000300.0), json(-1),
                          json(9007199254740993ull), json(nullptr), json(true)}) {
    json c = claims();
    c["exp"] = bad;
    EXPECT_EQ(why(sign(*es_, c)), JwtFailure::bad_claims) << bad.dump();
  }
  json c = claims();
  c["nbf"] = "0";
  EXPECT_EQ(why(sign(*es_, c)), JwtFailure::bad_claims);
}

// ---- iss / aud ----------------------------------------------------------------------------------

TEST_F(Jwt, WrongIssuer) {
  json c = claims();
  c["iss"] = "https://evil.example";
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_issuer);
  c.erase("iss");
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_issuer);
  c["iss"] = json::array({kIss});
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_issuer);
  JwtPolicy none = policy();
  none.issuers.clear();  // no allowed issuer: nothing verifies
  EXPECT_EQ(why(sign(*ed_, claims()), none), JwtFailure::bad_issuer);
}

TEST_F(Jwt, WrongAudience) {
  json c = claims();
  c["aud"] = "other-api";
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_audience);
  c.erase("aud");
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_audience);
  c["aud"] = 5;
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_claims);
  JwtPolicy none = policy();
  none.audiences.clear();
  EXPECT_EQ(why(sign(*ed_, claims()), none), JwtFailure::bad_audience);
}

TEST_F(Jwt, AudienceArray) {
  json c = claims();
  c["aud"] = json::array({"other", kAud});
  EXPECT_EQ(why(sign(*ed_, c)), std::nullopt);
  c["aud"] = json::array({"other", "third"});
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_audience);
  c["aud"] = json::array({kAud, 1});
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_claims);
  c["aud"] = json::array();
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_audience);
}

TEST_F(Jwt, SubMustBeAString) {
  json c = claims();
  c["sub"] = 42;
  EXPECT_EQ(why(sign(*ed_, c)), JwtFailure::bad_claims);
}

// ---- encoding strictness ------------------------------------------------------------------------

TEST_F(Jwt, OversizedTokenRejectedBeforeParsing) {
  JwtPolicy p = policy();
  const std::string good = sign(*es_, claims());
  p.max_token_bytes = good.size();
  EXPECT_EQ(why(good, p), std::nullopt);
  p.max_token_bytes = good.size() - 1;
  EXPECT_EQ(why(good, p), JwtFailure::too_large);
  // Garbage that would be malformed is too_large first: no decoding happened.
  EXPECT_EQ(why(std::string(8193, '!')), JwtFailure::too_large);
  EXPECT_EQ(why(std::string(8192, '!')), JwtFailure::malformed);
}

TEST_F(Jwt, BadBase64UrlInAnySegment) {
  const std::string good = sign(*ed_, claims());
  const std::size_t d1 = good.find('.');
  const std::size_t d2 = good.find('.', d1 + 1);
  ASSERT_EQ(why(good), std::nullopt);
  const std::string h = good.substr(0, d1), p = good.substr(d1 + 1, d2 - d1 - 1),
                    s = good.substr(d2 + 1);
  auto variants = [](const std::string& seg) {
    std::vector<std::string> v = {seg + "=",
                                  seg + "==",
                                  seg + " ",
                                  " " + seg,
                                  seg + "\n",
                                  seg.substr(0, 4) + "+" + seg.substr(5),
                                  seg.substr(0, 4) + "/" + seg.substr(5),
                                  seg.substr(0, 4) + "%" + seg.substr(5),
                                  seg + "A="};
    std::string mod1 = seg;  // length % 4 == 1 can never be base64url
    while (mod1.size() % 4 != 1) mod1.push_back('A');
    v.push_back(mod1);
    return v;
  };
  for (int which = 0; which < 3; ++which) {
    for (const auto& bad : variants(which == 0 ? h : which == 1 ? p : s)) {
      const std::string t = which == 0   ? bad + "." + p + "." + s
                            : which == 1 ? h + "." + bad + "." + s
                                         : h + "." + p + "." + bad;
      EXPECT_EQ(why(t), JwtFailure::malformed) << which << ": " << bad;
    }
  }
  // Non-canonical last character: the Ed25519 signature is 64 bytes = 86 chars with 4 unused
  // bits; flipping one of them aliases the same bytes and must be rejected.
  std::string s2 = s;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  s2.back() = alphabet[alphabet.find(s.back()) | 1];
  ASSERT_NE(s2, s);
  EXPECT_EQ(why(h + "." + p + "." + s2), JwtFailure::malformed);
}

TEST_F(Jwt, DuplicateHeaderMembers) {
  const std::string payload = claims().dump();
  EXPECT_EQ(why(forge(*rs_, R"({"alg":"RS256","kid":"rs-1","alg":"none"})", payload)),
            JwtFailure::malformed);
  EXPECT_EQ(why(forge(*rs_, R"({"alg":"RS256","kid":"rs-1","kid":"es-1"})", payload)),
            JwtFailure::malformed);
  // Control: the same header without the duplicate verifies.
  EXPECT_EQ(why(forge(*rs_, R"({"alg":"RS256","kid":"rs-1"})", payload)), std::nullopt);
}

TEST_F(Jwt, DuplicateClaims) {
  const std::string dup = std::string(R"({"iss":")") + kIss + R"(","aud":")" + kAud +
                          R"(","exp":1800000300,"sub":"user-1","sub":"admin"})";
  EXPECT_EQ(why(forge(*es_, header_for(*es_), dup)), JwtFailure::malformed);
  const std::string dup_exp =
      std::string(R"({"iss":")") + kIss + R"(","aud":")" + kAud + R"(","exp":1,"exp":1800000300})";
  EXPECT_EQ(why(forge(*es_, header_for(*es_), dup_exp)), JwtFailure::malformed);
}

TEST_F(Jwt, NulAfterTheHeaderJsonRejected) {
  // nlohmann's lexer treats NUL as end of input; the strict parser must not accept trailing bytes.
  const std::string header = header_for(*rs_) + std::string("\0{\"alg\":\"none\"}", 16);
  EXPECT_EQ(why(forge(*rs_, header, claims().dump())), JwtFailure::malformed);
  const std::string payload = claims().dump() + std::string("\0", 1);
  EXPECT_EQ(why(forge(*rs_, header_for(*rs_), payload)), JwtFailure::malformed);
}

TEST_F(Jwt, DeepClaimsRejected) {
  json c = claims();
  c["x"] = json::parse("[[[[[[[[[1]]]]]]]]]");
  EXPECT_EQ(why(sign(*es_, c)), JwtFailure::malformed);
}

TEST_F(Jwt, CritAndKeyFetchingHeadersRejected) {
  const std::string payload = claims().dump();
  for (const char* extra : {R"("crit":["exp"])", R"("crit":[])", R"("jku":"http://evil/jwks")",
                            R"("x5u":"http://evil/cert")", R"("jwk":{"kty":"oct","k":"AA"})",
                            R"("x5c":["MII"])", R"("b64":false)", R"("b64":true)"}) {
    const std::string header = std::string(R"({"alg":"RS256","kid":"rs-1",)") + extra + "}";
    EXPECT_EQ(why(forge(*rs_, header, payload)), JwtFailure::malformed) << extra;
  }
}

TEST_F(Jwt, SignatureOfWrongLength) {
  const std::string es = sign(*es_, claims());
  const std::string base = es.substr(0, es.rfind('.') + 1);
  Bytes sig = b64u(es.substr(es.rfind('.') + 1));
  ASSERT_EQ(sig.size(), 64u);
  Bytes longer = sig;
  longer.push_back(0);
  EXPECT_EQ(why(base + base64url_encode(longer)), JwtFailure::bad_signature);
  EXPECT_EQ(why(base + base64url_encode(ByteSpan(sig).first(63))), JwtFailure::bad_signature);
  EXPECT_EQ(why(base), JwtFailure::bad_signature);  // empty signature
  // DER form of a valid ES256 signature is not JWS.
  auto der = crypto::ecdsa_p1363_to_der(sig);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(why(base + base64url_encode(*der)), JwtFailure::bad_signature);
  const std::string rs = sign(*rs_, claims());
  Bytes rsig = b64u(rs.substr(rs.rfind('.') + 1));
  rsig.insert(rsig.begin(), 0);
  EXPECT_EQ(why(rs.substr(0, rs.rfind('.') + 1) + base64url_encode(rsig)),
            JwtFailure::bad_signature);
}

TEST_F(Jwt, SignatureBitFlip) {
  for (LocalJwsSigner* s : {rs_, es_, ed_}) {
    const std::string t = sign(*s, claims());
    Bytes sig = b64u(t.substr(t.rfind('.') + 1));
    sig[sig.size() / 2] ^= 0x01;
    EXPECT_EQ(why(t.substr(0, t.rfind('.') + 1) + base64url_encode(sig)),
              JwtFailure::bad_signature);
  }
}

TEST_F(Jwt, PayloadBitFlip) {
  for (LocalJwsSigner* s : {rs_, es_, ed_}) {
    const std::string t = sign(*s, claims());
    const std::size_t d1 = t.find('.'), d2 = t.rfind('.');
    std::string payload = text(b64u(t.substr(d1 + 1, d2 - d1 - 1)));
    payload[payload.find("user-1")] ^= 0x01;  // "user-1" -> "tser-1"
    EXPECT_EQ(why(t.substr(0, d1 + 1) + base64url_encode(payload) + t.substr(d2)),
              JwtFailure::bad_signature);
  }
}

TEST_F(Jwt, SegmentCount) {
  const std::string t = sign(*ed_, claims());
  const std::size_t d2 = t.rfind('.');
  EXPECT_EQ(why(t + "."), JwtFailure::malformed);
  EXPECT_EQ(why(t + ".AAAA"), JwtFailure::malformed);
  EXPECT_EQ(why(t.substr(0, d2)), JwtFailure::malformed);
  EXPECT_EQ(why("." + t), JwtFailure::malformed);
  EXPECT_EQ(why(""), JwtFailure::malformed);
  EXPECT_EQ(why(".."), JwtFailure::malformed);
}

TEST_F(Jwt, ErrorsAreUnauthenticatedWithAFixedMessage) {
  JwtFailure f{};
  auto r = jwt_verify(sign(*es_, claims(kNow - 3600)), *keys_, policy(), kNowTp, &f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), err::unauthenticated("token expired"));
  EXPECT_EQ(jwt_failure_name(f), "expired");
  // Without the out-parameter the call still works.
  EXPECT_FALSE(jwt_verify("x", *keys_, policy(), kNowTp).ok());
}

TEST(KeySet, RejectsDuplicatesAndMismatchedKeys) {
  auto ed = LocalJwsSigner::generate(JwsAlg::EdDSA, "k1").value();
  KeySet set;
  EXPECT_TRUE(set.add(ed.verification_key()).ok());
  EXPECT_FALSE(set.add(ed.verification_key()).ok());
  VerificationKey wrong = ed.verification_key();
  wrong.kid = "k2";
  wrong.alg = JwsAlg::ES256;  // Ed25519 bytes labelled ES256
  EXPECT_FALSE(set.add(wrong).ok());
  EXPECT_FALSE(jws_verify_signature(wrong, "a.b", Bytes(64)));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_NE(set.find("k1"), nullptr);
  EXPECT_EQ(set.find("k2"), nullptr);
}

}  // namespace
}  // namespace nsl::auth
