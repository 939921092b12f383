// nsl/crypto/mac.hpp — HMAC-SHA-256/512 (and HMAC-SHA-1 for TOTP only), HKDF-SHA-256 (RFC 5869),
// scrypt (RFC 7914); OpenSSL.
//
// HMAC outputs are public-size arrays (a MAC is not secret once computed); derived keys (HKDF,
// scrypt) are returned as SecretBytes. Every function taking key material has an overload for
// SecretBytes so modules that may not reveal secrets can still use them.
//
// Limits (checked; invalid_argument otherwise):
//   hkdf_sha256: 1 <= length <= 255*32 = 8160; info <= 1024 bytes (OpenSSL 3.0's info buffer).
//   scrypt:      N a power of two, 2 <= N < 2^(16r); r, p >= 1; r*p < 2^30; 1 <= dklen <= 2^20;
//                memory 128*r*(N+2) + 128*r*p <= kScryptMaxMemory (1 GiB).
// scrypt passes OpenSSL exactly the memory the parameters need (NEP-2's N=16384, r=8, p=8: 16 MiB
// + 64 KiB), so any legal parameters under the cap work; OpenSSL's own default cap is 32 MiB.
//
// Thread-safety: pure functions.
//
//   auto tag = nsl::crypto::hmac_sha256(key, message);
//   NSL_TRY_ASSIGN(auto k, nsl::crypto::hkdf_sha256(ikm, salt, as_bytes("nsl seal v1"), 32));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto {

inline constexpr std::size_t kHkdfSha256MaxLength = 255 * 32;
inline constexpr std::size_t kHkdfMaxInfo = 1024;
inline constexpr std::uint64_t kScryptMaxMemory = std::uint64_t{1} << 30;

// HMAC-SHA-1 exists ONLY for RFC 6238 TOTP / RFC 4226 HOTP, whose default algorithm is SHA-1 and
// which every authenticator app implements (HMAC-SHA-1 is still a sound PRF; SHA-1 collisions do
// not affect it). Do not use it for anything new: take hmac_sha256.
std::array<std::uint8_t, 20> hmac_sha1(ByteSpan key, ByteSpan data) noexcept;
std::array<std::uint8_t, 20> hmac_sha1(const SecretBytes& key, ByteSpan data) noexcept;
std::array<std::uint8_t, 32> hmac_sha256(ByteSpan key, ByteSpan data) noexcept;
std::array<std::uint8_t, 32> hmac_sha256(const SecretBytes& key, ByteSpan data) noexcept;
std::array<std::uint8_t, 64> hmac_sha512(ByteSpan key, ByteSpan data) noexcept;
std::array<std::uint8_t, 64> hmac_sha512(const SecretBytes& key, ByteSpan data) noexcept;

// HKDF-Extract-then-Expand. An empty salt means HashLen zero bytes, as RFC 5869 §2.2 specifies.
Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length);
Result<SecretBytes> hkdf_sha256(const SecretBytes& ikm, ByteSpan salt, ByteSpan info,
                                std::size_t length);

Result<SecretBytes> scrypt(ByteSpan password, ByteSpan salt, std::uint64_t n, std::uint32_t r,
                           std::uint32_t p, std::size_t dklen);
Result<SecretBytes> scrypt(const SecretBytes& password, ByteSpan salt, std::uint64_t n,
                           std::uint32_t r, std::uint32_t p, std::size_t dklen);

}  // namespace nsl::crypto
