// nsl/signing/formats.hpp — what exactly is signed for each typed signing format, computed in one place so
// that the enclave (which signs) and the host (which may verify or show the digest) agree.
//
// Formats (values equal enclave::SignFormat's; the enclave static_asserts it):
//   raw_digest   the 32-byte payload as is.
//   neo_message  N3 wallet message signing, the "without salt" form of NeoLine's signMessageWithoutSalt and
//                neon-dappkit's NeonSigner (SignMessageVersion.WITHOUT_SALT / CLASSIC):
//                  bytes  = 01 00 01 f0 || var-int(len(message)) || message || 00 00
//                  digest = SHA-256(bytes), signed with ECDSA secp256r1 (r || s)
//                where var-int is N3's (< 0xfd: one byte; <= 0xffff: fd + u16 LE; <= 0xffffffff: fe + u32 LE).
//                Source: CityOfZion/neon-dappkit packages/neon-dappkit/src/NeonSigner.ts classicFormat()
//                (`010001f0${num2VarInt(len)}${hex(message)}0000`, then neon-core wallet.sign(hex, key),
//                which signs SHA-256 of those bytes). The salted wallet forms (NeoLine signMessage,
//                NeonSigner CLASSIC) sign the same layout over salt || message, where the salt is the
//                32-character hex text the wallet returns: pass salt || message as the message. The prefix
//                starts with version byte 0x01, so these bytes never parse as an N3 transaction (version 0),
//                and no network magic is involved (a message signature is valid on every network).
//   eip191       evm::personal_message_hash(message) = keccak256("\x19Ethereum Signed Message:\n" ||
//                decimal(len) || message).
//   eip712       evm::eip712_hash(typed data JSON).digest; the JSON is parsed strictly (no duplicate member
//                names, depth <= 72).
//   neo_tx       neo::sign_digest(network_magic, SHA-256(unsigned transaction)) = SHA-256(magic u32 LE ||
//                tx hash); the payload must decode with neo::deserialize_unsigned (canonical).
//   evm_tx       keccak256(signing payload) = evm::signing_hash; the payload must decode with
//                evm::decode_unsigned_transaction (canonical).
//
// Errors are invalid_argument naming the problem (payload size, JSON, transaction decoding, a missing network
// magic for neo_tx).
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(auto d, signing_digest(Format::neo_tx, unsigned_tx, neo::kMainNetMagic));
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::signing {

using crypto::Bytes;
using crypto::ByteSpan;
using Digest = std::array<std::uint8_t, 32>;

enum class Format : std::uint8_t {
  raw_digest = 1,
  neo_message = 2,
  eip191 = 3,
  eip712 = 4,
  neo_tx = 5,
  evm_tx = 6,
};
std::string_view format_name(Format f) noexcept;  // "raw_digest", ... ("unknown" outside the enum)
bool valid_format(Format f) noexcept;

inline constexpr std::size_t kEip712JsonDepth = 72;

// The bytes that are hashed for a neo_message (see the file comment).
Bytes neo_message_bytes(ByteSpan message);
Digest neo_message_digest(ByteSpan message);

// The eip712 payload as JSON (strict parse); invalid_argument "eip712: ..." when it is not.
Result<nlohmann::json> parse_typed_data(ByteSpan payload);

// The digest signed for `payload` in format `f`. network_magic is used by neo_tx only (and must be non-zero
// there).
Result<Digest> signing_digest(Format f, ByteSpan payload, std::uint32_t network_magic);

}  // namespace nsl::signing
