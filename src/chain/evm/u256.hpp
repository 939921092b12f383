// nsl/chain/evm/u256.hpp — a 256-bit unsigned integer as the EVM sees it (wei amounts, fees,
// EIP-712 uint256), with exact decimal and hex conversions and nothing else.
//
// Stored as 32 big-endian bytes, so ordering is lexicographic and the ABI/EIP-712 encoding is the
// storage itself. Parsers are strict: no sign, no spaces, no leading zeros in decimal, overflow is
// an error (never a wrap). Thread-safety: a value type.
//
//   NSL_TRY_ASSIGN(U256 wei, U256::from_decimal("1000000000000000000"));
//   std::string s = wei.to_decimal();        // "1000000000000000000"
//   Bytes rlp_int = wei.to_minimal_be();     // 0de0b6b3a7640000
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

using crypto::Bytes;
using crypto::ByteSpan;
using Hash32 = std::array<std::uint8_t, 32>;

class U256 {
 public:
  constexpr U256() noexcept = default;
  static U256 from_u64(std::uint64_t v) noexcept;
  static U256 from_be32(const std::array<std::uint8_t, 32>& be) noexcept;
  // Big-endian bytes of any length up to 32 (leading zeros allowed; more than 32 bytes is an
  // error).
  static Result<U256> from_be_bytes(ByteSpan be);
  // "0" or [1-9][0-9]*; invalid_argument on anything else or a value >= 2^256.
  static Result<U256> from_decimal(std::string_view s);
  // "0x" then 1..64 significant hex digits (either case; leading zeros allowed).
  static Result<U256> from_hex(std::string_view s);

  const std::array<std::uint8_t, 32>& be32() const noexcept { return be_; }
  // Big-endian without leading zero bytes; empty for zero (the RLP/ABI "minimal" form).
  Bytes to_minimal_be() const;
  std::string to_decimal() const;
  // "0x" + minimal hex digits ("0x0" for zero), the JSON-RPC QUANTITY form.
  std::string to_hex_quantity() const;

  bool is_zero() const noexcept;
  // Number of significant bits (0 for zero).
  unsigned bit_length() const noexcept;
  std::optional<std::uint64_t> to_u64() const noexcept;
  // 2^256 - x (two's complement negation, wrapping): used for EIP-712 intN.
  U256 negated() const noexcept;

  friend bool operator==(const U256&, const U256&) = default;
  friend auto operator<=>(const U256& a, const U256& b) = default;

 private:
  std::array<std::uint8_t, 32> be_{};
};

}  // namespace nsl::evm
