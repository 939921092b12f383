// nsl/crypto/ed25519.hpp — Ed25519 signatures (RFC 8032, pure Ed25519) through libsodium.
//
// Secret key format: libsodium's 64 bytes, seed (32) || public key (32), always in SecretBytes;
// make one with ed25519_generate or ed25519_from_seed (a seed is the RFC 8032 private key). Signing
// is deterministic. Verification follows libsodium 1.0.18's strict rules: S must be canonical (<
// L), R and A must not be of small order, A must be canonically encoded; any other length or
// encoding returns false. These are the checks Wycheproof's ed25519 vectors expect (signature
// malleability and non-canonical encodings are "invalid").
//
// Thread-safety: pure functions; libsodium is initialised once, thread-safely, on first use.
//
//   auto kp = nsl::crypto::ed25519_generate();
//   NSL_TRY_ASSIGN(auto sig, nsl::crypto::ed25519_sign(kp.secret_key, message));
//   bool ok = nsl::crypto::ed25519_verify(kp.public_key, message, sig);
#pragma once

#include <array>
#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto {

inline constexpr std::size_t kEd25519SeedSize = 32;
inline constexpr std::size_t kEd25519SecretKeySize = 64;
using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

struct Ed25519KeyPair {
  SecretBytes secret_key;  // 64 bytes: seed || public key
  Ed25519PublicKey public_key;
};

Ed25519KeyPair ed25519_generate();
// seed: 32 bytes.
Result<Ed25519KeyPair> ed25519_from_seed(const SecretBytes& seed);
// secret_key: 64 bytes as produced above.
Result<Ed25519Signature> ed25519_sign(const SecretBytes& secret_key, ByteSpan message);
bool ed25519_verify(ByteSpan public_key, ByteSpan message, ByteSpan signature) noexcept;

}  // namespace nsl::crypto
