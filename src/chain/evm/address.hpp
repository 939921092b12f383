// nsl/chain/evm/address.hpp — 20-byte EVM (NeoX) account addresses and EIP-55 mixed-case checksums.
//
// address = last 20 bytes of keccak256(X || Y) of the secp256k1 public key (64 bytes, no 0x04).
// EIP-55: hex digit i is upper case when nibble i of keccak256(lowercase hex) is >= 8.
// Parsing is strict: "0x" + 40 hex digits; all-lower and all-upper digits carry no checksum and
// are accepted; any other mix must match the checksum exactly (a typo is then caught).
//
// Thread-safety: value types and pure functions.
//
//   NSL_TRY_ASSIGN(Address a, parse_address("0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"));
//   std::string s = a.to_checksum();          // the same string back
//   NSL_TRY_ASSIGN(Address b, address_from_public_key(sec1_pubkey));
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

struct Address {
  std::array<std::uint8_t, 20> bytes{};

  // EIP-55 form, "0x" + 40 mixed-case hex digits.
  std::string to_checksum() const;
  // "0x" + 40 lowercase hex digits.
  std::string to_lower_hex() const;

  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;
};

// From a SEC1 secp256k1 public key, compressed (33 bytes) or uncompressed (65 bytes); the point
// is validated (on the curve, not the identity).
Result<Address> address_from_public_key(crypto::ByteSpan sec1);
// The address of a secp256k1 private key (32 bytes, 1 <= d < n).
Result<Address> address_from_private_key(const SecretBytes& private_key);

// Parses "0x" + 40 hex digits with EIP-55 validation (see the file comment).
Result<Address> parse_address(std::string_view text);
// Exactly 20 bytes (e.g. an RLP `to` field).
Result<Address> address_from_bytes(crypto::ByteSpan bytes);

}  // namespace nsl::evm
