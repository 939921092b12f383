// LocalJwsSigner: private keys for the three JWS algorithms. Every operation on private bytes is
// a call into crypto/ (auth never reads a SecretBytes itself).
#include <optional>

#include "auth/jwt.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/hash.hpp"
#include "crypto/rsa.hpp"

namespace nsl::auth {

struct LocalJwsSigner::Secret {
  std::optional<crypto::RsaPrivateKey> rsa;  // RS256
  SecretBytes material;                      // ES256: scalar d; EdDSA: 32-byte seed
  SecretBytes ed_secret_key;                 // EdDSA: libsodium's seed || public key
};

LocalJwsSigner::LocalJwsSigner(std::unique_ptr<Secret> secret, VerificationKey vk) noexcept
    : secret_(std::move(secret)), verification_key_(std::move(vk)) {}
LocalJwsSigner::LocalJwsSigner(LocalJwsSigner&&) noexcept = default;
LocalJwsSigner& LocalJwsSigner::operator=(LocalJwsSigner&&) noexcept = default;
LocalJwsSigner::~LocalJwsSigner() = default;

Result<LocalJwsSigner> LocalJwsSigner::from_private(JwsAlg alg, std::string kid,
                                                    const SecretBytes& material) {
  if (!is_valid_kid(kid))
    return err::invalid_argument("kid must be 1..128 chars of [A-Za-z0-9._-]");
  auto secret = std::make_unique<Secret>();
  JwsPublicKey pub = crypto::Ed25519PublicKey{};
  switch (alg) {
    case JwsAlg::RS256: {
      NSL_TRY_ASSIGN(auto key, crypto::rsa_private_from_pkcs8_der(material));
      pub = key.public_key();
      secret->rsa.emplace(std::move(key));
      break;
    }
    case JwsAlg::ES256: {
      NSL_TRY(crypto::ec_check_private_key(crypto::Curve::secp256r1, material));
      NSL_TRY_ASSIGN(auto point,
                     crypto::ec_public_key_uncompressed(crypto::Curve::secp256r1, material));
      pub = point;
      secret->material = material.clone();
      break;
    }
    case JwsAlg::EdDSA: {
      if (material.size() != crypto::kEd25519SeedSize) {
        return err::invalid_argument("Ed25519 seed must be 32 bytes");
      }
      NSL_TRY_ASSIGN(auto kp, crypto::ed25519_from_seed(material));
      pub = kp.public_key;
      secret->material = material.clone();
      secret->ed_secret_key = std::move(kp.secret_key);
      break;
    }
  }
  NSL_TRY_ASSIGN(auto vk, make_verification_key(std::move(kid), alg, std::move(pub)));
  return LocalJwsSigner(std::move(secret), std::move(vk));
}

Result<LocalJwsSigner> LocalJwsSigner::generate(JwsAlg alg, std::string kid) {
  switch (alg) {
    case JwsAlg::RS256: {
      NSL_TRY_ASSIGN(auto key, crypto::rsa_generate(crypto::kRsaDefaultBits));
      return from_private(alg, std::move(kid), key.to_pkcs8_der());
    }
    case JwsAlg::ES256:
      return from_private(alg, std::move(kid),
                          crypto::ec_generate_private_key(crypto::Curve::secp256r1));
    case JwsAlg::EdDSA:
      return from_private(alg, std::move(kid), SecretBytes::random(crypto::kEd25519SeedSize));
  }
  return err::invalid_argument("unsupported JWS algorithm");
}

Result<Bytes> LocalJwsSigner::sign(ByteSpan signing_input) {
  switch (alg()) {
    case JwsAlg::RS256:
      return crypto::rs256_sign(*secret_->rsa, signing_input);
    case JwsAlg::ES256: {
      NSL_TRY_ASSIGN(auto rs, crypto::ecdsa_sign(crypto::Curve::secp256r1, secret_->material,
                                                 crypto::sha256(signing_input)));
      return Bytes(rs.begin(), rs.end());
    }
    case JwsAlg::EdDSA: {
      NSL_TRY_ASSIGN(auto s, crypto::ed25519_sign(secret_->ed_secret_key, signing_input));
      return Bytes(s.begin(), s.end());
    }
  }
  return err::internal("unsupported JWS algorithm");
}

SecretBytes LocalJwsSigner::export_private() const {
  if (secret_->rsa) return secret_->rsa->to_pkcs8_der();
  return secret_->material.clone();
}

}  // namespace nsl::auth
