// Ed25519 and X25519 through libsodium.
#include "crypto/internal/sodium.hpp"

#include <sodium.h>

#include "crypto/ed25519.hpp"
#include "crypto/internal/openssl.hpp"
#include "crypto/x25519.hpp"

namespace nsl::crypto {
namespace internal {

void ensure_sodium() noexcept {
  static const bool ready = sodium_init() >= 0;  // 0 = initialised now, 1 = already initialised
  if (!ready) fatal("sodium_init failed");
}

}  // namespace internal

// --- Ed25519 -------------------------------------------------------------------------------------

Ed25519KeyPair ed25519_generate() {
  internal::ensure_sodium();
  Ed25519KeyPair kp{SecretBytes(crypto_sign_SECRETKEYBYTES), {}};
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.reveal_mut(SecretAccess::grant()).data());
  return kp;
}

Result<Ed25519KeyPair> ed25519_from_seed(const SecretBytes& seed) {
  if (seed.size() != crypto_sign_SEEDBYTES)
    return err::invalid_argument("ed25519: seed must be 32 bytes");
  internal::ensure_sodium();
  Ed25519KeyPair kp{SecretBytes(crypto_sign_SECRETKEYBYTES), {}};
  crypto_sign_seed_keypair(kp.public_key.data(),
                           kp.secret_key.reveal_mut(SecretAccess::grant()).data(),
                           seed.reveal(SecretAccess::grant()).data());
  return kp;
}

Result<Ed25519Signature> ed25519_sign(const SecretBytes& secret_key, ByteSpan message) {
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    return err::invalid_argument("ed25519: secret key must be 64 bytes (seed || public key)");
  }
  internal::ensure_sodium();
  Ed25519Signature sig;
  if (crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                           secret_key.reveal(SecretAccess::grant()).data()) != 0) {
    return err::internal("ed25519: signing failed");
  }
  return sig;
}

bool ed25519_verify(ByteSpan public_key, ByteSpan message, ByteSpan signature) noexcept {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES)
    return false;
  internal::ensure_sodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

// --- X25519 --------------------------------------------------------------------------------------

X25519KeyPair x25519_generate() {
  internal::ensure_sodium();
  X25519KeyPair kp{SecretBytes::random(crypto_scalarmult_SCALARBYTES), {}};
  if (crypto_scalarmult_base(kp.public_key.data(),
                             kp.private_key.reveal(SecretAccess::grant()).data()) != 0) {
    internal::fatal(
        "x25519 base multiplication failed");  // only for a zero result, impossible for the base
  }
  return kp;
}

Result<X25519PublicKey> x25519_public_key(const SecretBytes& private_key) {
  if (private_key.size() != crypto_scalarmult_SCALARBYTES) {
    return err::invalid_argument("x25519: private key must be 32 bytes");
  }
  internal::ensure_sodium();
  X25519PublicKey pub;
  if (crypto_scalarmult_base(pub.data(), private_key.reveal(SecretAccess::grant()).data()) != 0) {
    return err::internal("x25519: base multiplication failed");
  }
  return pub;
}

Result<SecretBytes> x25519(const SecretBytes& private_key, ByteSpan peer_public_key) {
  if (private_key.size() != crypto_scalarmult_SCALARBYTES) {
    return err::invalid_argument("x25519: private key must be 32 bytes");
  }
  if (peer_public_key.size() != crypto_scalarmult_BYTES) {
    return err::invalid_argument("x25519: public key must be 32 bytes");
  }
  internal::ensure_sodium();
  SecretBytes shared(crypto_scalarmult_BYTES);
  // libsodium returns -1 for low-order points (its blocklist) and for an all-zero result.
  if (crypto_scalarmult(shared.reveal_mut(SecretAccess::grant()).data(),
                        private_key.reveal(SecretAccess::grant()).data(),
                        peer_public_key.data()) != 0) {
    return err::invalid_argument(
        "x25519: peer public key is of low order (all-zero shared secret)");
  }
  return shared;
}

}  // namespace nsl::crypto
