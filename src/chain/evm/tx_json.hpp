// nsl/chain/evm/tx_json.hpp — a signed transaction as JSON, for `nsl evm tx-decode` and APIs.
//
// Shape (snake_case; big numbers as decimal strings so no JSON parser loses precision; byte
// strings as 0x hex; addresses EIP-55):
//   { "type": 0 | 2, "chain_id": 47763 | null (pre-EIP-155), "nonce": 7,
//     "to": "0x…" | null (contract creation), "value": "1000",
//     "gas_limit": "21000",
//     "gas_price": "…"                                           (legacy)
//     "max_priority_fee_per_gas": "…", "max_fee_per_gas": "…",   (type 2)
//     "access_list": [{"address": "0x…", "storage_keys": ["0x…"]}],  (type 2)
//     "data": "0x…", "v": "37", "y_parity": 0, "r": "0x…", "s": "0x…",
//     "hash": "0x…", "from": "0x…" }
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "chain/evm/tx.hpp"

namespace nsl::evm {

nlohmann::json decode_json(const SignedTx& tx);

}  // namespace nsl::evm
