// nsl/services/keys/signing_request.hpp — the chain payloads of the signing routes, read from
// their JSON request bodies, and the signed forms put back together after the enclave signed.
//
// Everything here is untrusted-input parsing: strict (unknown members are refused, numbers must be
// exact), with invalid_argument errors that name the offending field. What is parsed is then
// re-encoded by chain/neo or chain/evm and decoded again INSIDE the enclave, which checks the
// key's policy on its own decoding — these functions only save callers from hand-encoding.
//
// N3 (`{"chain": "neo", "network_magic": N, …}`), exactly one of:
//   "unsigned_tx": "<hex>"   the unsigned part of a transaction (neo::serialize_unsigned), or a
//                            whole transaction whose existing witnesses are kept (co-signing)
//   "transfer": {"asset": "0x<hash>" | "NEO" | "GAS", "to": "N…", "amount": "<integer>"}
//   "invoke": {"contract": "0x<hash>", "method": "name", "args": [<param>…]}
//     param: {"type": "Integer", "value": "<integer>"} | {"type": "Boolean", "value": true}
//            | {"type": "String", "value": "…"} | {"type": "ByteArray", "value": "<hex>"}
//            | {"type": "Hash160", "value": "0x<hash>" | "N…"} | {"type": "Array", "value": [<param>…]}
//            | {"type": "Any"} (null)
//   with "transfer"/"invoke": "valid_until_block" (required), "system_fee" (datoshi, required:
//   only a node can run the script to learn it), "network_fee" (datoshi; estimated offline for
//   the key's single-signature witness when absent), "nonce" (random when absent). The key's
//   account is the only signer, scope CalledByEntry. A transfer sends from the key's account and
//   asserts the result (the transaction faults unless transfer returned true).
// and optionally, for an m-of-n multisig account that lists the key (neo_multisig_from_json):
//   "multisig": {"threshold": m, "public_keys": ["<33-byte compressed hex>"…],
//                "signatures": [{"public_key": "<hex>", "signature": "0x<64 bytes r || s>"}…]}
//   The multisig account then takes the place of the key's own account above (the signer of a
//   transfer/invoke, the sender of a transfer, the network fee estimate for its witness).
//
// EVM (`{"chain": "evm", "chain_id": N, "transaction": {…}}`), the transaction object:
//   "type": 2 (default) | 0, "nonce", "to" ("0x…"; absent or null = contract creation), "value",
//   "gas_limit", type 2: "max_fee_per_gas", "max_priority_fee_per_gas", "access_list";
//   type 0: "gas_price"; "data" ("0x…"). Integers as JSON numbers up to 2^53 or decimal strings
//   (any size up to 2^256 - 1 where the field allows it).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "chain/evm/tx.hpp"
#include "chain/neo/account.hpp"
#include "chain/neo/tx.hpp"
#include "core/result.hpp"

namespace nsl::keys {

// The native NEO and GAS contracts (the same hash on every N3 network).
inline constexpr std::string_view kNeoTokenHash = "0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5";
inline constexpr std::string_view kGasTokenHash = "0xd2a4cff31913016155e38e474a2c06d08be276cf";

// invalid_argument "unknown field '<where><name>'" for a member not in `allowed`.
Status only_fields(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                   std::string_view where = "");

// The string member `field` of `obj`; "" when absent or null and not `required`.
Result<std::string> json_string(const nlohmann::json& obj, std::string_view field, bool required = true);

// Hex bytes with or without a "0x" prefix (N3 tools print plain hex, EVM tools 0x).
Result<crypto::Bytes> hex_bytes(std::string_view text, std::string_view what);

// An unsigned integer given as a JSON number (exact, up to 2^53) or a decimal string.
Result<std::uint64_t> json_u64(const nlohmann::json& v, std::string_view field);

Result<evm::Transaction> evm_tx_from_json(const nlohmann::json& tx, std::uint64_t chain_id);

// The transaction a neo request describes (see the file comment). `account` is the key's script
// hash and `verification` its single-signature verification script (for the fee estimate).
Result<neo::Transaction> neo_tx_from_json(const nlohmann::json& body, const neo::UInt160& account,
                                          const crypto::Bytes& verification);

// `tx` with the key's witness (invocation PUSHDATA1 64 <signature>, the given verification script)
// in the slot of the signer `account`; the other slots keep what they had (empty when unsigned).
// invalid_argument when `account` is not a signer.
Result<neo::Transaction> with_neo_witness(neo::Transaction tx, const neo::UInt160& account,
                                          const crypto::Bytes& verification,
                                          crypto::ByteSpan signature64);

// --- N3 m-of-n multisig accounts -----------------------------------------------------------------
// At most this many keys (N3 allows 1,024; each key costs a signature check per co-signature).
inline constexpr std::size_t kMaxMultisigKeys = 64;

struct NeoMultisig {
  std::size_t threshold = 0;          // m
  std::vector<neo::PublicKey> keys;   // in the verification script's (N3's) order
  crypto::Bytes verification;         // the m-of-n verification script
  neo::UInt160 account;               // its script hash
  // Signatures the request supplies for other keys (checked by with_neo_multisig_witness).
  std::vector<std::pair<neo::PublicKey, crypto::Bytes>> supplied;
};

// The "multisig" member (see the file comment). `own` (the signing key) must be one of the keys.
// Keys are valid compressed secp256r1 points, distinct, 1..64 of them; 1 <= threshold <= keys.
Result<NeoMultisig> neo_multisig_from_json(const nlohmann::json& multisig, const neo::PublicKey& own);

struct MultisigWitness {
  neo::Transaction tx;                  // with the assembled witness in the account's slot
  std::vector<neo::PublicKey> signed_by;  // keys with a signature, in key order (all of them, even
                                          // beyond the threshold)
  bool complete = false;                // at least `threshold` signatures: the witness is final
};

// `tx` with the multisig account's witness built from every signature known for it: those already
// in the account's witness slot (an earlier co-signer's partial witness: PUSHDATA1 64 <signature>
// each, in key order), those `ms.supplied`, and `own_signature` by `own`. Every signature is checked
// against the transaction's signing digest for `network_magic`: one that verifies under none of the
// keys (or, supplied, not under its public key) is invalid_argument, as is a slot whose verification
// script is another one. The invocation holds the first `threshold` signatures in key order once
// there are enough (what CheckMultisig needs), else all of them (a partial witness, for the next
// co-signer).
Result<MultisigWitness> with_neo_multisig_witness(neo::Transaction tx, const NeoMultisig& ms,
                                                  std::uint32_t network_magic, const neo::PublicKey& own,
                                                  crypto::ByteSpan own_signature);

// The 64-byte signatures an invocation script pushes (PUSHDATA1 0x40 <signature> each); nullopt when
// it holds anything else.
std::optional<std::vector<crypto::Bytes>> neo_invocation_signatures(crypto::ByteSpan invocation);

}  // namespace nsl::keys
