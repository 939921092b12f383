// nsl/crypto/x25519.hpp — X25519 Diffie-Hellman (RFC 7748) through libsodium.
//
// Private keys are 32 random bytes (clamped inside the scalar multiplication, RFC 7748 §5), kept
// in SecretBytes. The peer's public key is any 32 bytes: the top bit is ignored and
// non-canonical u >= p is reduced mod p (RFC 7748 §5). A shared secret of all zeros, which any
// low-order peer point forces, is REJECTED (invalid_argument) so that a peer cannot force a known
// key (RFC 7748 §6.1's "check for the all-zero value"). Derive keys from the shared secret with
// HKDF (mac.hpp), binding both public keys.
//
// Thread-safety: pure functions; libsodium is initialised once, thread-safely, on first use.
//
//   auto mine = nsl::crypto::x25519_generate();
//   NSL_TRY_ASSIGN(auto shared, nsl::crypto::x25519(mine.private_key, peer_public));
#pragma once

#include <array>
#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto {

inline constexpr std::size_t kX25519KeySize = 32;
using X25519PublicKey = std::array<std::uint8_t, 32>;

struct X25519KeyPair {
  SecretBytes private_key;  // 32 bytes
  X25519PublicKey public_key;
};

X25519KeyPair x25519_generate();
Result<X25519PublicKey> x25519_public_key(const SecretBytes& private_key);
// The 32-byte shared secret.
Result<SecretBytes> x25519(const SecretBytes& private_key, ByteSpan peer_public_key);

}  // namespace nsl::crypto
