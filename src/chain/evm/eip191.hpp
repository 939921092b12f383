// nsl/chain/evm/eip191.hpp — EIP-191 version 0x45 ("personal_sign", eth_sign in wallets).
//
//   hash = keccak256("\x19Ethereum Signed Message:\n" || decimal(len(message)) || message)
// The message is raw bytes (UTF-8 text or binary; no hex decoding happens here). Signatures are
// 65 bytes r || s || v with v = 27 + y-parity (see signature.hpp for recovery rules).
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(Signature65 sig, personal_sign(key, crypto::as_bytes("Hello World")));
//   NSL_TRY_ASSIGN(Address signer, personal_recover(crypto::as_bytes("Hello World"), sig));
#pragma once

#include "chain/evm/address.hpp"
#include "chain/evm/signature.hpp"
#include "chain/evm/u256.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

// The bytes that are hashed: prefix || decimal length || message.
Bytes personal_message_prefixed(ByteSpan message);
Hash32 personal_message_hash(ByteSpan message);

Result<Signature65> personal_sign(const SecretBytes& private_key, ByteSpan message);
Result<Address> personal_recover(ByteSpan message, ByteSpan signature65);

}  // namespace nsl::evm
