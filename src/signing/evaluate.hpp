// nsl/signing/evaluate.hpp — a decoded payload (inspect.hpp) against a key's policy (policy.hpp).
//
// evaluate() returns the payload's moves or permission_denied "signing policy: <rule>: <why>", where <rule>
// is the policy's JSON field name. Rules, checked in this order:
//   allow_raw_digest   raw_digest is refused unless true ("raw digests are opaque ...").
//   allow_messages     neo_message, eip191 and eip712 are refused when false.
//   time_windows       now (UTC) must fall inside one window: its weekday listed, start <= minute < end.
//   networks           neo_tx: the request's network magic in networks.neo; evm_tx: the transaction's chain
//                      id in networks.evm; eip712: the domain's chainId, when the domain has one, in
//                      networks.evm. neo_message, eip191 and raw digests carry no network.
//   neo_contracts      neo_tx: the script must be understood ("script not understood (<why>)") and every
//                      contract call must name a listed contract and, when the entry lists methods, one of
//                      them.
//   evm_recipients     evm_tx: `to` listed; for ERC-20 transfer/approve/transferFrom also the recipient
//                      (the spender for approve); contract creation is refused.
//   evm_selectors      evm_tx: the selector of `data` listed ("none" = empty data); data of 1..3 bytes
//                      and contract creation are refused.
//   max_value_per_tx   per asset: the transaction's total of that asset <= the limit.
//   max_value_per_24h  per asset: spent_24h + the transaction's total <= the limit.
// Value rules (both maps) per transaction type:
//   neo_tx   an opaque script is refused when either map limits any neo: asset; a "transfer" call of a
//            limited contract that is not NEP-17-shaped is refused; well-formed NEP-17 transfers count.
//            Network and system fees are not counted. Calls of other methods move nothing here (restrict
//            them with neo_contracts).
//   evm_tx   evm:native = value. When `to` is a limited token (evm:0x<to>), the call must be an
//            exactly-shaped ERC-20 transfer or transferFrom (amount counted) or approve (the allowance is
//            checked against both limits, since it lets the spender move that much, but is not a move);
//            any other call of a limited token is refused ("call not understood").
//
// moves_of() gives the moves without a policy (for the ledger when the key has none): per asset, the sum of
// the NEP-17 transfer amounts of an understood N3 script, or the EVM value (evm:native, when non-zero) and
// the ERC-20 transfer/transferFrom amount; nothing for messages, digests and opaque scripts. Sums above
// 2^256-1 are invalid_argument.
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(Moves moves, evaluate(policy, decoded, {.now_unix = now, .spent_24h = spent}));
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "chain/evm/u256.hpp"
#include "core/result.hpp"
#include "signing/inspect.hpp"
#include "signing/policy.hpp"

namespace nsl::signing {

// Canonical asset name (policy.hpp canonical_asset) -> amount. Sorted by asset.
using Moves = std::map<std::string, evm::U256>;

struct Context {
  std::int64_t now_unix = 0;        // seconds since 1970-01-01 UTC
  std::uint32_t network_magic = 0;  // neo_tx: the network the signature is for
  Moves spent_24h;                  // canonical assets; absent = 0
};

Result<Moves> moves_of(const Decoded& decoded);
Result<Moves> evaluate(const Policy& policy, const Decoded& decoded, const Context& context);

// Adds `amount` of `asset` to `moves`; invalid_argument when the sum exceeds 2^256-1.
Status add_move(Moves& moves, const std::string& asset, const evm::U256& amount);

}  // namespace nsl::signing
