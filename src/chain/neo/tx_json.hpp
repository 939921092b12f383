// nsl/chain/neo/tx_json.hpp — a transaction as JSON, for humans and the `nsl neo tx-decode` CLI.
//
// Field names are snake_case (the nsl API convention); the vocabulary inside (scope names, rule
// and condition shapes, attribute names) is N3's Transaction/Signer/WitnessRule ToJson. Bytes are
// lowercase hex without 0x (N3's RPC uses base64); hashes use the 0x display form; fees are
// decimal strings of datoshi (as N3's RPC prints them) plus the GAS amount with 8 decimals.
//
//   { "hash", "size", "version", "nonce", "sender", "system_fee", "system_fee_gas",
//     "network_fee", "network_fee_gas", "valid_until_block",
//     "signers": [{ "account", "address", "scopes", "allowed_contracts"?, "allowed_groups"?,
//                   "rules"? }],
//     "attributes": [{ "type", ... }], "script",
//     "witnesses": [{ "invocation", "verification", "script_hash", "address" }],
//     "network_magic", "network" ("MainNet" | "TestNet" | "custom"), "sign_data", "sign_digest",
//     "valid", "error"? }
// A model that fails validate() is still shown (hash and size of its encoding as is), with
// "valid": false and the reason in "error".
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>

#include "chain/neo/tx.hpp"

namespace nsl::neo {

nlohmann::json decode_json(const Transaction& tx, std::uint32_t network_magic);

}  // namespace nsl::neo
