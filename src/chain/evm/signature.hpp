// nsl/chain/evm/signature.hpp — the 65-byte Ethereum signature r || s || v (v = 27 + y-parity)
// used by personal_sign (EIP-191) and eth_signTypedData (EIP-712), and sender recovery.
//
// Signing is RFC 6979 deterministic and low-S (libsecp256k1). Recovery rejects high-S signatures
// (s > n/2; EIP-2 malleability, as OpenZeppelin's ECDSA.recover does) and accepts v in {27, 28}
// and, because some hardware wallets emit it, {0, 1}.
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(Signature65 sig, sign_hash_65(key, personal_message_hash(msg)));
//   NSL_TRY_ASSIGN(Address who, recover_address_65(personal_message_hash(msg), sig));
#pragma once

#include <array>
#include <cstdint>

#include "chain/evm/address.hpp"
#include "chain/evm/u256.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

using Signature65 = std::array<std::uint8_t, 65>;

// r || s || (27 + y_parity). invalid_argument for a bad key.
Result<Signature65> sign_hash_65(const SecretBytes& private_key, const Hash32& digest);

// The signer's address; invalid_argument for a wrong size, v outside {0,1,27,28}, r or s out of
// range, high S, or a signature from which no key can be recovered.
Result<Address> recover_address_65(const Hash32& digest, crypto::ByteSpan signature65);

// Building block for transactions: recovery from r || s (64 bytes) and y-parity 0/1. Enforces
// low-S too.
Result<Address> recover_address(const Hash32& digest, crypto::ByteSpan rs, int y_parity);

}  // namespace nsl::evm
