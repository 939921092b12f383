// nsl/chain/neo/types.hpp — N3's fixed-size hashes: UInt160 (script hashes, accounts, contract
// hashes) and UInt256 (transaction and block hashes).
//
// `bytes` holds the RAW order: the order the hash function produced and the order N3 serializes
// (inside addresses, signers, scripts). The DISPLAY form, printed by neo-cli, explorers and N3's
// UInt160/UInt256.ToString(), is "0x" + the same bytes REVERSED, in lowercase hex.
// parse() follows UInt160.TryParse in neo-project/neo src/Neo/UInt160.cs: an optional "0x"/"0X"
// prefix, then exactly 40 (UInt160) or 64 (UInt256) hex digits of either case, in display order.
//
// Thread-safety: value types.
//
//   NSL_TRY_ASSIGN(auto gas, UInt160::parse("0xd2a4cff31913016155e38e474a2c06d08be276cf"));
//   std::string shown = gas.to_string();
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::neo {

template <std::size_t N>
struct FixedHash {
  static constexpr std::size_t kSize = N;
  std::array<std::uint8_t, N> bytes{};  // raw (serialization) order

  friend auto operator<=>(const FixedHash&, const FixedHash&) = default;

  // "0x" + reversed lowercase hex.
  std::string to_string() const;
  // Raw bytes, exactly N of them.
  static Result<FixedHash> from_raw(crypto::ByteSpan raw);
  // Display form (see the file comment).
  static Result<FixedHash> parse(std::string_view display);
};

using UInt160 = FixedHash<20>;
using UInt256 = FixedHash<32>;

extern template struct FixedHash<20>;
extern template struct FixedHash<32>;

}  // namespace nsl::neo
