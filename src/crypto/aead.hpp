// nsl/crypto/aead.hpp — AES-GCM authenticated encryption (OpenSSL).
//
// Use the convenience API: `aes256gcm_seal` draws a fresh random 96-bit nonce per call and returns
//   nonce (12) || ciphertext || tag (16)
// and `aes256gcm_open` takes that layout back. Random 96-bit nonces are safe for up to 2^32
// messages per key (NIST SP 800-38D §8.3); rotate keys long before that. Associated data (AAD) is
// authenticated, not encrypted: bind context there (tenant, key id, version) so a blob cannot be
// replayed elsewhere.
//
// Open never returns partial plaintext: on any tamper (nonce, ciphertext, tag or AAD) it wipes what
// it decrypted and returns invalid_argument("aead: authentication failed"). Callers that opened
// their own stored data should report that as data_loss.
//
// The explicit-nonce functions (`aes_gcm_encrypt`/`aes_gcm_decrypt`) exist for conformance tests
// (Wycheproof) and protocols that fix the nonce: 16/24/32-byte keys, IVs of 1..2^16 bytes (12 is
// the only size production code should use), tags of 12..16 bytes. Reusing a (key, nonce) pair
// destroys both confidentiality and integrity.
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(auto blob, nsl::crypto::aes256gcm_seal(key, plaintext, aad));
//   NSL_TRY_ASSIGN(auto back, nsl::crypto::aes256gcm_open(key, blob, aad));
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto {

inline constexpr std::size_t kAes256KeySize = 32;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;
inline constexpr std::size_t kGcmOverhead = kGcmNonceSize + kGcmTagSize;

// key: 32 bytes. Output: nonce || ciphertext || tag.
Result<Bytes> aes256gcm_seal(const SecretBytes& key, ByteSpan plaintext, ByteSpan aad);
Result<Bytes> aes256gcm_seal(const SecretBytes& key, const SecretBytes& plaintext, ByteSpan aad);
// Inverse of aes256gcm_seal; the second form keeps the plaintext in SecretBytes (for key material).
Result<Bytes> aes256gcm_open(const SecretBytes& key, ByteSpan sealed, ByteSpan aad);
Result<SecretBytes> aes256gcm_open_secret(const SecretBytes& key, ByteSpan sealed, ByteSpan aad);

struct GcmSealed {
  Bytes ciphertext;  // same length as the plaintext
  Bytes tag;
};

// Explicit-nonce AES-GCM (key 16/24/32 bytes). See the file comment before using these.
Result<GcmSealed> aes_gcm_encrypt(const SecretBytes& key, ByteSpan iv, ByteSpan aad,
                                  ByteSpan plaintext, std::size_t tag_size = kGcmTagSize);
Result<Bytes> aes_gcm_decrypt(const SecretBytes& key, ByteSpan iv, ByteSpan aad,
                              ByteSpan ciphertext, ByteSpan tag);

}  // namespace nsl::crypto
