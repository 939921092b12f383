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
#include <string_view>

#include "chain/evm/tx.hpp"
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

}  // namespace nsl::keys
