// nsl/chain/neo/base58.hpp — Base58 (Bitcoin alphabet) and Base58Check, as used by Neo for
// addresses, WIF and NEP-2 (Neo.Cryptography.Base58 in neo-project/neo).
//
//   Base58      big-endian base-58 digits over the alphabet
//               123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz (no 0, O, I, l);
//               each leading zero byte is one leading '1'. The empty string encodes empty input.
//   Base58Check Base58(payload || first 4 bytes of SHA-256(SHA-256(payload))).
//
// Decoding is strict: any character outside the alphabet (including spaces and '+', '/'), input
// longer than kBase58MaxDecodeInput characters, a decoded length under 4 bytes (Base58Check) or a
// checksum mismatch is invalid_argument with a message naming the problem, e.g.
//   "base58: invalid character '0' at position 0"
//   "base58check: too short (3 bytes decoded, at least 4 needed for the checksum)"
//   "base58check: checksum mismatch"
// The conversion is quadratic in the length; the input cap bounds the work on untrusted input.
// Temporary buffers are wiped (WIF payloads pass through here).
//
// Thread-safety: pure functions.
//
//   std::string a = nsl::neo::base58check_encode(payload);
//   NSL_TRY_ASSIGN(auto back, nsl::neo::base58check_decode(a));
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::neo {

using crypto::Bytes;
using crypto::ByteSpan;

// Longest string the decoders accept (N3 uses 34 for addresses, 52 for WIF, 58 for NEP-2).
inline constexpr std::size_t kBase58MaxDecodeInput = 2048;
inline constexpr std::size_t kBase58CheckSumSize = 4;

std::string base58_encode(ByteSpan data);
Result<Bytes> base58_decode(std::string_view text);

std::string base58check_encode(ByteSpan payload);
// The payload without its checksum.
Result<Bytes> base58check_decode(std::string_view text);

}  // namespace nsl::neo
