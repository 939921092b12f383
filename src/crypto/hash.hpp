// nsl/crypto/hash.hpp — message digests: SHA-256, SHA-512, RIPEMD-160, Neo's hash160/hash256,
// Keccak-256.
//
// SHA-2 and RIPEMD-160 come from OpenSSL (RIPEMD-160 from the default provider when it has it,
// OpenSSL >= 3.0.7, else from the legacy provider loaded into a private library context).
// Keccak-256 is written here: it is the ORIGINAL Keccak submission padding (domain byte 0x01) used
// by Ethereum/NeoX, which is NOT FIPS-202 SHA3-256 (0x06); OpenSSL 3.0 has no such digest.
//   hash160(x) = RIPEMD-160(SHA-256(x))  Neo script hashes and addresses
//   hash256(x) = SHA-256(SHA-256(x))     Base58Check checksums (N3 tx/block ids are one SHA-256)
//
// Thread-safety: the free functions are pure and safe from any thread. A `Keccak256` object is a
// value; use one object per thread (or lock).
//
//   auto id = nsl::crypto::sha256(bytes);
//   nsl::crypto::Keccak256 k;  k.update(part1);  k.update(part2);  auto h = k.finish();
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "crypto/bytes.hpp"

namespace nsl::crypto {

std::array<std::uint8_t, 32> sha256(ByteSpan data) noexcept;
std::array<std::uint8_t, 64> sha512(ByteSpan data) noexcept;
std::array<std::uint8_t, 20> ripemd160(ByteSpan data) noexcept;
std::array<std::uint8_t, 20> hash160(ByteSpan data) noexcept;
std::array<std::uint8_t, 32> hash256(ByteSpan data) noexcept;
std::array<std::uint8_t, 32> keccak256(ByteSpan data) noexcept;

// Incremental Keccak-256. After finish() the object is reset and can hash a new message.
class Keccak256 {
 public:
  static constexpr std::size_t kRate = 136;  // bytes absorbed per permutation (1600 - 2*256 bits)
  static constexpr std::size_t kDigestSize = 32;

  Keccak256() noexcept : Keccak256(0x01) {}
  void update(ByteSpan data) noexcept;
  std::array<std::uint8_t, kDigestSize> finish() noexcept;

 protected:
  // The domain/padding byte is the only difference between Keccak-256 (0x01) and SHA3-256 (0x06).
  // Protected so the test can build SHA3-256 from the same sponge and compare it with OpenSSL's
  // SHA3-256.
  explicit Keccak256(std::uint8_t domain_pad) noexcept : pad_(domain_pad) {}

 private:
  std::array<std::uint64_t, 25> state_{};
  std::size_t pos_ = 0;  // bytes of the current block already absorbed
  std::uint8_t pad_;
};

}  // namespace nsl::crypto
