// nsl/signing/policy.hpp — a key's signing policy: what the enclave may sign with it.
//
// The policy is JSON, parsed strictly (core/json_strict.hpp: one object, no duplicate member names, nesting
// at most 5 levels, at most 64 KiB) and stored/sealed in its canonical form (canonical_json). Every field is
// optional; an absent field restricts nothing of its kind. Schema:
//
//   {
//     "networks": {"neo": [<u32 network magic>, ...], "evm": [<chain id 1..2^63-37>, ...]},
//     "neo_contracts": [{"hash": "0x<40 hex, N3 display order>", "methods": ["transfer", ...]}, ...],
//     "evm_recipients": ["0x<40 hex, EIP-55 checked when mixed case>", ...],
//     "evm_selectors": ["0x<8 hex>" | "none", ...],
//     "max_value_per_tx": {"<asset>": "<decimal integer 0..2^256-1>", ...},
//     "max_value_per_24h": {"<asset>": "<decimal integer 0..2^256-1>", ...},
//     "time_windows": [{"days": ["mon", ..., "sun"], "start": "HH:MM", "end": "HH:MM"}, ...],
//     "allow_raw_digest": <bool, default false>,
//     "allow_messages": <bool, default true>,
//     "approvals_required": 0
//   }
//
// Assets (as enclave.hpp AssetAmount): "neo:0x<contract hash>" (NEP-17 transfer amounts), "evm:native" (the
// transaction value in wei), "evm:0x<token address>" (ERC-20 transfer/transferFrom amounts). Hex is accepted
// in either case and stored lowercase. Rules:
//   - lists hold at most 64 entries (networks.neo and networks.evm each; map fields at most 64 assets);
//     a contract at most 16 methods (1..64 printable ASCII bytes each; "methods" omitted = every method,
//     an empty "methods" list is refused); duplicates (after lowercasing) are refused everywhere.
//   - an empty list is a restriction that allows nothing (e.g. "networks": {"neo": []} = no N3 network).
//   - time windows are UTC, start inclusive, end exclusive, start < end; "end" may be "24:00"; "days" is a
//     non-empty list of mon tue wed thu fri sat sun.
//   - "approvals_required" is reserved for m-of-n human approval: only 0 is accepted today.
// Errors are invalid_argument "policy: <field>: <why>" (unknown fields: "policy: unknown field 'x'",
// or "policy: <field>: unknown field 'x'" inside an object); messages quote only the policy's own text.
//
// Canonical form: compact JSON, object keys sorted, lists sorted (numbers ascending, strings by their
// lowercase text, time windows by days/start/end), both booleans always present, approvals_required
// omitted, absent fields omitted. parse_policy(canonical_json(p)) == p and canonical_json is idempotent.
//
// Thread-safety: value types and pure functions.
//
//   NSL_TRY_ASSIGN(Policy p, parse_policy(R"({"networks": {"neo": [860833102]}})"));
//   std::string stored = canonical_json(p);
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/evm/u256.hpp"
#include "core/result.hpp"

namespace nsl::signing {

inline constexpr std::size_t kMaxPolicySize = 64 * 1024;
inline constexpr std::size_t kMaxPolicyListSize = 64;
inline constexpr std::size_t kMaxContractMethods = 16;
inline constexpr std::size_t kMaxMethodNameSize = 64;

struct ContractRule {
  std::string hash;                  // "0x" + 40 lowercase hex, N3 display order
  std::vector<std::string> methods;  // sorted; empty = every method
  friend bool operator==(const ContractRule&, const ContractRule&) = default;
};

struct TimeWindow {
  std::uint8_t days = 0;    // bit 0 = Monday ... bit 6 = Sunday
  int start_minute = 0;     // 0..1439
  int end_minute = 0;       // start_minute+1 .. 1440 (exclusive)
  friend bool operator==(const TimeWindow&, const TimeWindow&) = default;
};

struct Policy {
  std::optional<std::vector<std::uint32_t>> neo_networks;   // networks.neo, sorted
  std::optional<std::vector<std::uint64_t>> evm_chain_ids;  // networks.evm, sorted
  std::optional<std::vector<ContractRule>> neo_contracts;   // sorted by hash
  std::optional<std::vector<std::string>> evm_recipients;   // "0x" + 40 lowercase hex, sorted
  std::optional<std::vector<std::string>> evm_selectors;    // "0x" + 8 lowercase hex or "none", sorted
  std::optional<std::map<std::string, evm::U256>> max_value_per_tx;   // canonical asset -> limit
  std::optional<std::map<std::string, evm::U256>> max_value_per_24h;  // canonical asset -> limit
  std::optional<std::vector<TimeWindow>> time_windows;      // sorted
  bool allow_raw_digest = false;
  bool allow_messages = true;
  friend bool operator==(const Policy&, const Policy&) = default;
};

Result<Policy> parse_policy(std::string_view json);
std::string canonical_json(const Policy& policy);

// An asset name in canonical form ("neo:0x<40 lowercase hex>", "evm:native", "evm:0x<40 lowercase hex>"),
// from any case; invalid_argument "asset '<x>' must be neo:0x<40 hex>, evm:native or evm:0x<40 hex>".
Result<std::string> canonical_asset(std::string_view asset);

}  // namespace nsl::signing
