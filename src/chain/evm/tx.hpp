// nsl/chain/evm/tx.hpp — EVM transactions for NeoX (and any EVM chain): legacy with EIP-155
// replay protection and EIP-1559 dynamic-fee (EIP-2718 type 2), signing, serialization, strict
// decoding and sender recovery.
//
// Wire formats:
//   legacy   RLP([nonce, gasPrice, gas, to, value, data, v, r, s]), v = chainId*2 + 35 + y_parity
//            signed over keccak256(RLP([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]))
//            (pre-EIP-155: v = 27 + y_parity over the first six fields; decode only, on request)
//   type 2   0x02 || RLP([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value,
//            data, accessList, yParity, r, s]), signed over keccak256(0x02 || RLP(first nine))
// `to` is the empty string for contract creation. Integers are canonical RLP integers.
//
// decode_signed_transaction() takes untrusted bytes and accepts only what it would itself produce:
// canonical RLP (see rlp.hpp), exactly 9 / 12 fields, a 0- or 20-byte `to`, 32-byte storage keys,
// r and s in [1, n-1] with low S (EIP-2), y-parity 0/1, a v consistent with EIP-155 (and with
// DecodeOptions::expected_chain_id when set), and a recoverable sender. Type 1 (EIP-2930),
// 3 (EIP-4844), 4 (EIP-7702) and unknown types are rejected as "unsupported transaction type".
// All errors are invalid_argument with a client-safe message.
//
// Chain ids are uint64 and bounded by EIP-2294 (kMaxChainId) so v never overflows.
// Thread-safety: value types and pure functions.
//
//   Transaction tx{.type = TxType::eip1559, .chain_id = kNeoXMainNetChainId, .nonce = 7, ...};
//   NSL_TRY_ASSIGN(SignedTx s, sign_transaction(tx, private_key));   // s.raw, s.hash, s.from
//   NSL_TRY_ASSIGN(SignedTx d, decode_signed_transaction(s.raw, {.expected_chain_id = 47763}));
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "chain/evm/address.hpp"
#include "chain/evm/rlp.hpp"
#include "chain/evm/u256.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

inline constexpr std::uint64_t kEthereumMainNetChainId = 1;
inline constexpr std::uint64_t kNeoXMainNetChainId = 47763;
inline constexpr std::uint64_t kNeoXTestNetChainId = 12227332;
// EIP-2294: floor(MAX_UINT64 / 2) - 36, so chainId*2 + 36 fits in 64 bits.
inline constexpr std::uint64_t kMaxChainId = std::numeric_limits<std::uint64_t>::max() / 2 - 36;

enum class TxType : std::uint8_t { legacy = 0, eip1559 = 2 };

struct AccessListEntry {
  Address address;
  std::vector<Hash32> storage_keys;
  friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};

struct Transaction {
  TxType type = TxType::eip1559;
  // 1..kMaxChainId. 0 only in a decoded pre-EIP-155 legacy transaction (never signed by nsl).
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  U256 gas_price;                 // legacy only (must be zero for type 2)
  U256 max_priority_fee_per_gas;  // type 2 only (must be zero for legacy), <= max_fee_per_gas
  U256 max_fee_per_gas;           // type 2 only (must be zero for legacy)
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt = contract creation
  U256 value;
  Bytes data;
  std::vector<AccessListEntry> access_list;  // type 2 only
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

struct TxSignature {
  std::uint8_t y_parity = 0;  // 0 or 1
  Hash32 r{};                 // 32-byte big-endian
  Hash32 s{};                 // 32-byte big-endian, low-S
  friend bool operator==(const TxSignature&, const TxSignature&) = default;
};

struct SignedTx {
  Transaction tx;
  TxSignature sig;
  Address from;  // the signer (recovered when decoded)
  Bytes raw;     // the signed serialization, as broadcast with eth_sendRawTransaction
  Hash32 hash;   // keccak256(raw), the transaction hash
};

struct DecodeOptions {
  // Accept legacy v = 27/28 (no chain id, replayable on every chain). Off by default.
  bool allow_pre_eip155 = false;
  // When set, a transaction for any other chain is rejected (a pre-EIP-155 one, accepted only
  // with allow_pre_eip155, is valid on every chain and passes).
  std::optional<std::uint64_t> expected_chain_id;
  RlpLimits rlp;
};

// Field consistency (see Transaction); invalid_argument naming the offending field.
Status validate_transaction(const Transaction& tx);

// The bytes whose keccak256 is signed (legacy: RLP with chainId, 0, 0; type 2: 0x02 || RLP).
Result<Bytes> signing_payload(const Transaction& tx);
Result<Hash32> signing_hash(const Transaction& tx);

// The legacy v value: chainId*2 + 35 + y_parity (27 + y_parity for chain id 0).
U256 legacy_v(std::uint64_t chain_id, std::uint8_t y_parity);

// RFC 6979, low-S. Rejects chain id 0 (no replay protection).
Result<SignedTx> sign_transaction(const Transaction& tx, const SecretBytes& private_key);
// The signed serialization for a given signature (no check that the signature verifies).
Result<Bytes> encode_signed_transaction(const Transaction& tx, const TxSignature& sig);
// The address that signed `tx` with `sig` (low-S enforced).
Result<Address> recover_sender(const Transaction& tx, const TxSignature& sig);

Result<SignedTx> decode_signed_transaction(ByteSpan raw, const DecodeOptions& options = {});

// The strict decoder of an UNSIGNED transaction, i.e. a signing payload (what signing_payload() produces):
//   legacy  RLP([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]) with a chain id in 1..kMaxChainId
//           and the two trailing fields empty (EIP-155; pre-EIP-155 6-field payloads are refused)
//   type 2  0x02 || RLP([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data,
//           accessList])
// Canonical only, like decode_signed_transaction: canonical RLP, exact field counts, a 0- or 20-byte `to`,
// 32-byte storage keys, validate_transaction(); signing_payload(result) == payload. Other types are
// "unsupported transaction type". Errors are invalid_argument.
Result<Transaction> decode_unsigned_transaction(ByteSpan payload, const RlpLimits& limits = {});

}  // namespace nsl::evm
