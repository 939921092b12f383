// nsl/crypto/bytes.hpp — the byte vocabulary of the crypto module.
//
// Inputs are `ByteSpan` (read-only views; any contiguous byte container converts), public outputs
// are fixed-size `std::array`s or `Bytes`, secret outputs are `SecretBytes`
// (core/secret_bytes.hpp). Thread-safety: type aliases and a pure helper.
//
//   auto d = nsl::crypto::sha256(nsl::crypto::as_bytes("abc"));
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nsl::crypto {

using ByteSpan = std::span<const std::uint8_t>;
using Bytes = std::vector<std::uint8_t>;

// The bytes of a string (no terminator), e.g. a UTF-8 message or passphrase.
inline ByteSpan as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace nsl::crypto
