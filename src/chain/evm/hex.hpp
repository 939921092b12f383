// nsl/chain/evm/hex.hpp — "0x"-prefixed hex, the Ethereum JSON convention for byte strings.
// Thread-safety: pure functions.
//
//   std::string s = to_0x_hex(bytes);                       // "0xdeadbeef", lowercase
//   NSL_TRY_ASSIGN(Bytes data, parse_0x_hex("0xdeadbeef", "data"));
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

std::string to_0x_hex(crypto::ByteSpan bytes);

// "0x" (lowercase x) then an even number of hex digits in either case; "0x" alone is empty.
// Errors are invalid_argument and start with `what` ("data: odd number of hex digits").
Result<crypto::Bytes> parse_0x_hex(std::string_view s, std::string_view what);

}  // namespace nsl::evm
