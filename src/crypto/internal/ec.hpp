// nsl/crypto/internal/ec.hpp — per-curve back ends behind ecdsa.hpp. Internal to src/crypto.
//
// The front end (ecdsa.cpp) checks sizes, SEC1 prefixes, scalar ranges and encodings; back ends
// receive well-formed input and do the curve work. All return false on failure and never throw.
// Thread-safety: as ecdsa.hpp; the lazily created OpenSSL group and libsecp256k1 context are
// immutable after their thread-safe static initialisation.
#pragma once

#include "crypto/ecdsa.hpp"

namespace nsl::crypto::internal {

// --- secp256r1 (OpenSSL) ---
// `encoded` is 33 bytes (02|03) or 65 bytes (04); checks coordinates < p and the curve equation.
bool p256_decode_point(ByteSpan encoded, UncompressedPublicKey& out) noexcept;
bool p256_public_from_private(ByteSpan d, UncompressedPublicKey& out) noexcept;
bool p256_sign(ByteSpan d, ByteSpan digest, EcdsaSignature& out) noexcept;
// A private key imported into OpenSSL once (the state behind EcSigningKey); `d` is in range.
// nullptr on failure. Signing with one key from several threads at once is safe (see ecdsa.hpp).
P256SigningKey* p256_prepare(ByteSpan d) noexcept;
void p256_free(P256SigningKey* key) noexcept;
bool p256_sign_prepared(const P256SigningKey& key, ByteSpan digest, EcdsaSignature& out) noexcept;
// `pub` has a valid SEC1 shape (33 bytes 02|03, or 65 bytes 04); the point itself is validated
// here.
bool p256_verify(ByteSpan pub, ByteSpan digest, const EcdsaSignature& sig) noexcept;

// --- secp256k1 (libsecp256k1) ---
bool k1_decode_point(ByteSpan encoded, UncompressedPublicKey& out) noexcept;
bool k1_public_from_private(ByteSpan d, UncompressedPublicKey& out) noexcept;
// Low-S, RFC 6979. `recid` may be null.
bool k1_sign(ByteSpan d, ByteSpan digest, EcdsaSignature& out, int* recid) noexcept;
// Accepts high-S (normalises before libsecp256k1's low-S-only verify).
// Same input contract as p256_verify.
bool k1_verify(ByteSpan pub, ByteSpan digest, const EcdsaSignature& sig) noexcept;
bool k1_recover(ByteSpan digest, const EcdsaSignature& sig, int recid,
                UncompressedPublicKey& out) noexcept;

}  // namespace nsl::crypto::internal
