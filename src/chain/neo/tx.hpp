// nsl/chain/neo/tx.hpp — the N3 transaction: model, strict codec, hash, sign data, offline
// witness check and network-fee estimate.
//
// Wire format (neo-project/neo src/Neo/Network/P2P/Payloads/Transaction.cs, commit c612597a):
//   version u8 | nonce u32 | system_fee i64 | network_fee i64 | valid_until_block u32 |
//   signers var-array | attributes var-array | script var-bytes   <- the "unsigned" part
//   | witnesses var-array {invocation var-bytes, verification var-bytes}
// Integers little-endian; var-int as in internal/binary.hpp.
//
// Rules enforced by validate() and deserialize(), with their N3 source:
//   Transaction.cs  version == 0; fees >= 0 and their sum must not overflow; 1..16 signers
//                   (MaxTransactionAttributes), no duplicate signer account; attributes <= 16 -
//                   signers; no duplicate attribute type unless AllowMultiple (only Conflicts);
//                   script 1..65535 bytes; witnesses count == signers count; size <= 102400
//                   (MaxTransactionSize, checked by N3 in Verify; here at decode and encode).
//   Signer.cs       scope bits within 0x01|0x10|0x20|0x40|0x80; Global only alone; each list
//                   (contracts, groups, rules) <= 16 (MaxSubitems) and present only with its scope.
//   WitnessRule.cs  action Deny(0)/Allow(1); Conditions/WitnessCondition.cs: known type,
//                   And/Or 1..16 expressions, nesting within MaxNestingDepth = 3 (the top
//                   condition may have children and grandchildren, no deeper; N3 before
//                   PR #3761 (Feb 2025) called the same limit 2 and accepted the same inputs),
//                   Boolean is one byte 0 or 1 (MemoryReader.ReadBoolean).
//   Attributes      OracleResponse: code a defined OracleResponseCode, result <= 65535 bytes and
//                   empty unless code == Success (OracleResponse.cs).
//   Witness.cs      invocation <= 1024 bytes (MaxInvocationScript), verification <= 1024
//                   (MaxVerificationScript).
// Stricter than N3, so that decode -> encode is byte-identical: non-minimal var-ints are
// rejected (N3's MemoryReader accepts them); group keys must be compressed (N3 accepts 04||X||Y
// and re-serializes it compressed); trailing bytes after the transaction are rejected (N3's
// AsSerializable ignores them); group keys must be valid curve points.
//
// Hash and signing (Neo.Network.P2P.Helper CalculateHash / GetSignData):
//   hash      = SHA-256(unsigned part), displayed reversed with 0x (UInt256)
//   sign_data = network magic u32 LE || hash raw (36 bytes); witnesses sign SHA-256(sign_data)
//               with ECDSA P-256 (r || s).
//
// Thread-safety: value types and pure functions.
//
//   NSL_TRY_ASSIGN(auto tx, nsl::neo::deserialize(raw));
//   NSL_TRY_ASSIGN(auto h, nsl::neo::tx_hash(tx));
//   auto digest = nsl::neo::sign_digest(nsl::neo::kMainNetMagic, h);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/neo/account.hpp"
#include "chain/neo/types.hpp"
#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::neo {

// ProtocolSettings Network of the public networks ("NEO3" and "N3T5" as u32 LE).
inline constexpr std::uint32_t kMainNetMagic = 860833102;
inline constexpr std::uint32_t kTestNetMagic = 894710606;

inline constexpr std::size_t kMaxTransactionSize = 102400;
inline constexpr std::size_t kMaxTransactionAttributes = 16;  // signers + attributes
inline constexpr std::size_t kMaxSignerSubitems = 16;
inline constexpr std::size_t kMaxConditionSubitems = 16;
inline constexpr int kMaxConditionNestingDepth = 3;
inline constexpr std::size_t kMaxScriptSize = 65535;
inline constexpr std::size_t kMaxInvocationScript = 1024;
inline constexpr std::size_t kMaxVerificationScript = 1024;
inline constexpr std::size_t kMaxOracleResultSize = 65535;
inline constexpr std::size_t kTxHeaderSize = 25;  // version + nonce + fees + valid_until_block

// --- signers -------------------------------------------------------------------------------------
enum class WitnessScope : std::uint8_t {
  None = 0x00,
  CalledByEntry = 0x01,
  CustomContracts = 0x10,
  CustomGroups = 0x20,
  WitnessRules = 0x40,
  Global = 0x80,
};
inline constexpr std::uint8_t kValidScopeBits = 0xF1;
inline bool has_scope(std::uint8_t scopes, WitnessScope s) noexcept {
  return (scopes & static_cast<std::uint8_t>(s)) != 0;
}
// N3's [Flags] enum text: "None", "Global", "CalledByEntry, CustomContracts", ...
std::string scopes_to_string(std::uint8_t scopes);

enum class WitnessConditionType : std::uint8_t {
  Boolean = 0x00,
  Not = 0x01,
  And = 0x02,
  Or = 0x03,
  ScriptHash = 0x18,
  Group = 0x19,
  CalledByEntry = 0x20,
  CalledByContract = 0x28,
  CalledByGroup = 0x29,
};
std::string_view to_string(WitnessConditionType t) noexcept;  // "" when unknown

struct WitnessCondition {
  WitnessConditionType type = WitnessConditionType::Boolean;
  bool value = false;                         // Boolean
  UInt160 hash;                               // ScriptHash, CalledByContract
  PublicKey group{};                          // Group, CalledByGroup (compressed)
  std::vector<WitnessCondition> expressions;  // Not: exactly 1; And/Or: 1..16
  friend bool operator==(const WitnessCondition&, const WitnessCondition&) = default;
};

enum class WitnessRuleAction : std::uint8_t { Deny = 0, Allow = 1 };

struct WitnessRule {
  WitnessRuleAction action = WitnessRuleAction::Allow;
  WitnessCondition condition;
  friend bool operator==(const WitnessRule&, const WitnessRule&) = default;
};

struct Signer {
  UInt160 account;
  std::uint8_t scopes = static_cast<std::uint8_t>(WitnessScope::CalledByEntry);
  std::vector<UInt160> allowed_contracts;  // with CustomContracts only
  std::vector<PublicKey> allowed_groups;   // with CustomGroups only
  std::vector<WitnessRule> rules;          // with WitnessRules only
  friend bool operator==(const Signer&, const Signer&) = default;
};

// --- attributes ----------------------------------------------------------------------------------
enum class AttributeType : std::uint8_t {
  HighPriority = 0x01,
  OracleResponse = 0x11,
  NotValidBefore = 0x20,
  Conflicts = 0x21,
  NotaryAssisted = 0x22,
};
std::string_view to_string(AttributeType t) noexcept;  // "" when unknown

// OracleResponseCode.cs.
enum class OracleResponseCode : std::uint8_t {
  Success = 0x00,
  ProtocolNotSupported = 0x10,
  ConsensusUnreachable = 0x12,
  NotFound = 0x14,
  Timeout = 0x16,
  Forbidden = 0x18,
  ResponseTooLarge = 0x1a,
  InsufficientFunds = 0x1c,
  ContentTypeNotSupported = 0x1f,
  Error = 0xff,
};
std::string_view to_string(OracleResponseCode c) noexcept;  // "" when undefined

// One struct for all attribute types; only the fields of `type` are serialized.
struct TransactionAttribute {
  AttributeType type = AttributeType::HighPriority;
  std::uint64_t oracle_id = 0;                                   // OracleResponse
  OracleResponseCode oracle_code = OracleResponseCode::Success;  // OracleResponse
  Bytes oracle_result;                                           // OracleResponse
  std::uint32_t height = 0;                                      // NotValidBefore
  UInt256 conflicts;                                             // Conflicts
  std::uint8_t nkeys = 0;                                        // NotaryAssisted
  friend bool operator==(const TransactionAttribute&, const TransactionAttribute&) = default;

  static TransactionAttribute high_priority() { return {}; }
  static TransactionAttribute oracle_response(std::uint64_t id, OracleResponseCode code,
                                              Bytes result);
  static TransactionAttribute not_valid_before(std::uint32_t height);
  static TransactionAttribute conflicts_with(const UInt256& hash);
  static TransactionAttribute notary_assisted(std::uint8_t nkeys);
};

// --- transaction ---------------------------------------------------------------------------------
struct Witness {
  Bytes invocation;
  Bytes verification;
  friend bool operator==(const Witness&, const Witness&) = default;
};

struct Transaction {
  std::uint8_t version = 0;
  std::uint32_t nonce = 0;
  std::int64_t system_fee = 0;   // datoshi (1e-8 GAS)
  std::int64_t network_fee = 0;  // datoshi
  std::uint32_t valid_until_block = 0;
  std::vector<Signer> signers;
  std::vector<TransactionAttribute> attributes;
  Bytes script;
  std::vector<Witness> witnesses;  // one per signer, same order
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

// All rules but the witness ones / all rules. Errors are invalid_argument("neo tx: ...").
Status validate_unsigned(const Transaction& tx);
Status validate(const Transaction& tx);

Result<Bytes> serialize_unsigned(const Transaction& tx);  // validate_unsigned first
Result<Bytes> serialize(const Transaction& tx);           // validate first
// Strict: the whole input must be one transaction; see the file comment.
Result<Transaction> deserialize(ByteSpan raw);
// The unsigned part only (no witness array); `witnesses` stays empty.
Result<Transaction> deserialize_unsigned(ByteSpan raw);

// --- identity and signing ------------------------------------------------------------------------
using SignData = std::array<std::uint8_t, 36>;
Result<UInt256> tx_hash(const Transaction& tx);
SignData sign_data(std::uint32_t network_magic, const UInt256& hash) noexcept;
std::array<std::uint8_t, 32> sign_digest(std::uint32_t network_magic, const UInt256& hash) noexcept;

// Offline check of standard witnesses: witness i's verification script must hash to signer i's
// account and be a single-sig or m-of-n multisig contract, and its invocation script must push
// exactly the needed 64-byte signatures (PUSHDATA1 0x40 each) that verify as
// System.Crypto.CheckSig / CheckMultisig would (multisig: signatures in key order). Contract-based
// or custom verification scripts are reported as unsupported; this is no NeoVM execution.
Status verify_witnesses(const Transaction& tx, std::uint32_t network_magic);

// --- network fee ---------------------------------------------------------------------------------
// Policy values (PolicyContract.cs defaults); pass the chain's current values when known.
struct FeePolicy {
  std::int64_t fee_per_byte = 1000;   // DefaultFeePerByte (datoshi/byte)
  std::int64_t exec_fee_factor = 30;  // DefaultExecFeeFactor
  std::int64_t attribute_fee = 0;     // DefaultAttributeFee; used for every type but NotaryAssisted
  std::int64_t notary_assisted_attribute_fee = 10000000;  // DefaultNotaryAssistedAttributeFee
};

// Verification cost in opcode-price units (multiply by exec_fee_factor): SmartContract/Helper.cs
// SignatureContractCost / MultiSignatureContractCost.
std::int64_t signature_contract_cost() noexcept;
std::int64_t multisig_contract_cost(std::size_t m, std::size_t n) noexcept;

struct NetworkFeeEstimate {
  std::size_t size = 0;               // estimated signed size in bytes
  std::int64_t size_fee = 0;          // size * fee_per_byte
  std::int64_t verification_fee = 0;  // exec_fee_factor * verification costs
  std::int64_t attribute_fee = 0;
  std::int64_t total = 0;  // what network_fee must be at least
};

// Wallets/Helper.cs CalculateNetworkFee for signature and multisig accounts: one verification
// script per signer (in signer order; each must hash to its signer's account).
Result<NetworkFeeEstimate> estimate_network_fee(const Transaction& tx,
                                                std::span<const Bytes> verification_scripts,
                                                const FeePolicy& policy = {});
// Same, taking the verification scripts from tx.witnesses.
Result<NetworkFeeEstimate> estimate_network_fee(const Transaction& tx,
                                                const FeePolicy& policy = {});

}  // namespace nsl::neo
