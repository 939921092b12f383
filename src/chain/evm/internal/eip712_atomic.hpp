// Internal to the evm module: EIP-712 atomic and dynamic type names.
#pragma once

#include <optional>
#include <string_view>

namespace nsl::evm::internal {

enum class AtomicKind { uint_n, int_n, boolean, address, bytes_n, bytes, string };

struct AtomicType {
  AtomicKind kind;
  unsigned size = 0;  // bits for uintN/intN, bytes for bytesN
};

// uint8..uint256, int8..int256 (multiples of 8, no leading zeros), bool, address, bytes1..bytes32,
// bytes, string; nullopt for anything else (a struct name, "uint", "uint7", "bytes0").
std::optional<AtomicType> parse_atomic_type(std::string_view name) noexcept;

}  // namespace nsl::evm::internal
