// nsl/crypto/ecdsa.hpp — ECDSA on secp256r1 (NIST P-256; Neo N3) and secp256k1 (NeoX/EVM).
//
// Back ends: secp256r1 through OpenSSL 3 (EVP), secp256k1 through libsecp256k1 (constant-time,
// side-channel hardened, context randomised once per process).
//
// Encodings:
//   private key  32 bytes big-endian scalar d, 1 <= d < n, always in SecretBytes.
//   public key   SEC1: compressed 33 bytes (02|03 || X) or uncompressed 65 bytes (04 || X || Y).
//                Decoding checks length, prefix, coordinates < p and the curve equation; hybrid
//                (06|07) encodings and the identity are rejected.
//   signature    64 bytes r || s (IEEE P1363, the Neo N3 witness format), or ASN.1 DER parsed
//                strictly: minimal lengths, no negative or zero-padded integers, no trailing
//                bytes (BER is rejected).
//   digest       exactly 32 bytes; hashing is the caller's choice (SHA-256 for N3, Keccak-256
//                for EVM).
//
// Low-S: for every (r, s) the pair (r, n - s) verifies too. Signing always returns low-S (s <= n/2)
// on secp256k1 (libsecp256k1 and EIP-2 require it) and, by default, on secp256r1 too;
// `EcdsaSignOptions::low_s = false` keeps OpenSSL's raw output on secp256r1 (Neo N3 accepts both
// forms; low-S merely removes the malleability). Verify accepts both forms on both curves, as Neo
// and Wycheproof expect. Enforce low-S yourself where a protocol demands it (EVM transactions) with
// `ecdsa_is_low_s`.
//
// Nonces: secp256k1 signing is deterministic, RFC 6979 (HMAC-SHA256, no extra entropy):
// libsecp256k1's default nonce function, secp256k1_nonce_function_rfc6979, is used (equal to
// ethers/noble output). secp256r1 signing uses OpenSSL's random nonce (OpenSSL 3.0 has no RFC 6979
// mode), so its signatures differ run to run.
//
// Thread-safety: pure functions, safe from any thread. Verification returns false for every
// malformed input. An `EcSigningKey` may be shared by any number of signing threads (see below).
//
//   SecretBytes d = ec_generate_private_key(Curve::secp256r1);
//   NSL_TRY_ASSIGN(auto pub, ec_public_key(Curve::secp256r1, d));
//   NSL_TRY_ASSIGN(auto sig, ecdsa_sign(Curve::secp256r1, d, sha256(message)));
//   bool ok = ecdsa_verify(Curve::secp256r1, pub, sha256(message), sig);
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto {

enum class Curve : std::uint8_t { secp256r1, secp256k1 };
std::string_view curve_name(Curve c) noexcept;  // "secp256r1" | "secp256k1"

inline constexpr std::size_t kEcPrivateKeySize = 32;
inline constexpr std::size_t kEcDigestSize = 32;
using CompressedPublicKey = std::array<std::uint8_t, 33>;
using UncompressedPublicKey = std::array<std::uint8_t, 65>;
using EcdsaSignature = std::array<std::uint8_t, 64>;  // r || s

// --- keys ----------------------------------------------------------------------------------------
SecretBytes ec_generate_private_key(Curve curve);
// invalid_argument unless 32 bytes with 1 <= d < n.
Status ec_check_private_key(Curve curve, const SecretBytes& private_key);
Result<CompressedPublicKey> ec_public_key(Curve curve, const SecretBytes& private_key);
Result<UncompressedPublicKey> ec_public_key_uncompressed(Curve curve,
                                                         const SecretBytes& private_key);

// Public key checks and conversions (input: compressed or uncompressed SEC1).
Status ec_check_public_key(Curve curve, ByteSpan encoded);
Result<CompressedPublicKey> ec_compress(Curve curve, ByteSpan encoded);
Result<UncompressedPublicKey> ec_decompress(Curve curve, ByteSpan encoded);

// --- signatures ----------------------------------------------------------------------------------
struct EcdsaSignOptions {
  bool low_s = true;  // secp256r1 only; secp256k1 is always low-S
};

Result<EcdsaSignature> ecdsa_sign(Curve curve, const SecretBytes& private_key, ByteSpan digest,
                                  EcdsaSignOptions options = {});

// --- prepared signing keys (secp256r1) -----------------------------------------------------------
// `ecdsa_sign(Curve::secp256r1, d, …)` imports d into OpenSSL on every call (an EVP_PKEY built from
// parameters: a fresh EC_GROUP, key checks), which costs about as much as the signature itself. A
// caller that signs with one key many times (the enclave's unsealed-key cache) prepares it once:
//
//   NSL_TRY_ASSIGN(EcSigningKey key, prepare_signing_key(Curve::secp256r1, d));
//   NSL_TRY_ASSIGN(auto sig, ecdsa_sign(key, sha256(message)));  // as ecdsa_sign(c, d, …)
//
// Signatures are those of `ecdsa_sign(Curve::secp256r1, d, digest, options)`: OpenSSL's ECDSA
// (constant-time scalar arithmetic, random nonce), 64-byte r || s, low-S by default.
//
// secp256r1 only: libsecp256k1 signs straight from the 32-byte scalar with the process-wide
// context, so a secp256k1 key has nothing to prepare (prepare_signing_key refuses it).
//
// Secrecy: the key holds its own copy of the scalar inside OpenSSL (the provider's EC_KEY), in the
// ordinary heap rather than the SecretBytes arena, so it is mlock'ed and kept out of core dumps
// only where the process does so as a whole (nsl-enclave does: mlockall, not dumpable). OpenSSL
// wipes that copy when the key is destroyed (EC_KEY_free: BN_clear_free of the scalar,
// OPENSSL_clear_free of the EC_KEY); the import leaves no heap copy behind (secure BIGNUM and
// OSSL_PARAM buffers, cleared before they are freed). Both checked on OpenSSL 3.0.19 (Debian 12).
// Drop the key as soon as the SecretBytes it was made from would be dropped.
//
// Thread-safety: an EcSigningKey is immutable after prepare_signing_key; any number of threads may
// call ecdsa_sign with the same key at once. Each call signs with its own EVP_PKEY_CTX made from the
// shared EVP_PKEY, which signing only reads (OpenSSL's documented rule: EVP_PKEY may be shared
// between threads, contexts may not). Moving or destroying a key must not race with signing with it.
namespace internal {
struct P256SigningKey;
}

class EcSigningKey {
 public:
  // Empty: holds no key; ecdsa_sign with it fails with failed_precondition.
  EcSigningKey() noexcept = default;
  EcSigningKey(EcSigningKey&&) noexcept = default;
  EcSigningKey& operator=(EcSigningKey&&) noexcept = default;
  EcSigningKey(const EcSigningKey&) = delete;
  EcSigningKey& operator=(const EcSigningKey&) = delete;
  ~EcSigningKey() = default;

  bool empty() const noexcept { return impl_ == nullptr; }

 private:
  struct Free {
    void operator()(internal::P256SigningKey* key) const noexcept;
  };
  friend Result<EcSigningKey> prepare_signing_key(Curve curve, const SecretBytes& private_key);
  friend Result<EcdsaSignature> ecdsa_sign(const EcSigningKey& key, ByteSpan digest,
                                           EcdsaSignOptions options);
  std::unique_ptr<internal::P256SigningKey, Free> impl_;
};

// invalid_argument for a secp256k1 curve or a scalar that fails ec_check_private_key (0, >= n, not
// 32 bytes); internal when OpenSSL refuses the key.
Result<EcSigningKey> prepare_signing_key(Curve curve, const SecretBytes& private_key);
Result<EcdsaSignature> ecdsa_sign(const EcSigningKey& key, ByteSpan digest,
                                  EcdsaSignOptions options = {});

bool ecdsa_verify(Curve curve, ByteSpan public_key, ByteSpan digest, ByteSpan signature_rs);
bool ecdsa_verify_der(Curve curve, ByteSpan public_key, ByteSpan digest, ByteSpan signature_der);

// invalid_argument unless 64 bytes with 1 <= r, s < n.
Status ecdsa_check_signature(Curve curve, ByteSpan signature_rs);
// True for a well-formed signature with s <= n/2.
bool ecdsa_is_low_s(Curve curve, ByteSpan signature_rs);
// (r, s) with s replaced by n - s when s > n/2.
Result<EcdsaSignature> ecdsa_normalize_s(Curve curve, ByteSpan signature_rs);

// Strict DER <-> r || s for 256-bit curves. DER integers must fit in 32 bytes; range checks against
// n are the verifier's job (a DER-valid r of zero converts, and then fails verification).
Result<EcdsaSignature> ecdsa_der_to_p1363(ByteSpan der);
Result<Bytes> ecdsa_p1363_to_der(ByteSpan signature_rs);

// --- secp256k1 public-key recovery (EVM) ---------------------------------------------------------
struct RecoverableSignature {
  EcdsaSignature rs;  // low-S
  std::uint8_t
      recovery_id;  // 0..3: bit 0 = parity of R.y, bit 1 = R.x >= n (practically never set)
};

Result<RecoverableSignature> secp256k1_sign_recoverable(const SecretBytes& private_key,
                                                        ByteSpan digest);
// The public key that produced `signature_rs` over `digest`; invalid_argument when none does.
// Accepts high-S signatures (as the EVM ecrecover precompile does); transaction validation must
// check low-S separately.
Result<UncompressedPublicKey> secp256k1_recover(ByteSpan digest, ByteSpan signature_rs,
                                                int recovery_id);

}  // namespace nsl::crypto
