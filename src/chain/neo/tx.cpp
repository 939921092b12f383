// Transaction identity, signing data, offline witness verification and the network-fee estimate.
#include "chain/neo/tx.hpp"

#include <algorithm>
#include <cstdio>

#include "chain/neo/internal/binary.hpp"
#include "chain/neo/internal/tx_codec.hpp"
#include "chain/neo/script.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

Error bad(const std::string& msg) { return err::invalid_argument("neo tx: " + msg); }

// Prices from neo-project/neo src/Neo/SmartContract/ApplicationEngine.OpCodePrices.cs
// (OpCodePriceTable) and ApplicationEngine.Crypto.cs (CheckSigPrice).
constexpr std::int64_t kPricePushData1 = 1 << 3;  // PUSHDATA1
constexpr std::int64_t kPricePushSmall = 1 << 0;  // PUSHINT8/16, PUSHM1, PUSH0..PUSH16
constexpr std::int64_t kPriceSyscall = 0;         // SYSCALL (the service charges its own price)
constexpr std::int64_t kCheckSigPrice = 1 << 15;  // System.Crypto.CheckSig; CheckMultisig
                                                  // charges CheckSigPrice * n
// PolicyContract.cs bounds for the policy inputs.
constexpr std::int64_t kMaxExecFeeFactor = 100;        // MaxExecFeeFactor
constexpr std::int64_t kMaxFeePerByte = 100000000;     // SetFeePerByte: 0..1_00000000
constexpr std::int64_t kMaxAttributeFee = 1000000000;  // MaxAttributeFee

constexpr std::size_t kSignatureSize = 64;
constexpr std::size_t kSignaturePushSize = 2 + kSignatureSize;  // PUSHDATA1 0x40 <sig>

std::size_t var_size(std::size_t n) { return internal::var_int_size(n) + n; }

// Parses an invocation script of exactly `count` PUSHDATA1 64-byte pushes.
std::optional<std::vector<ByteSpan>> parse_signatures(ByteSpan inv, std::size_t count) {
  if (inv.size() != count * kSignaturePushSize) return std::nullopt;
  std::vector<ByteSpan> sigs;
  for (std::size_t i = 0; i < count; ++i) {
    ByteSpan p = inv.subspan(i * kSignaturePushSize, kSignaturePushSize);
    if (p[0] != static_cast<std::uint8_t>(OpCode::PUSHDATA1) || p[1] != kSignatureSize) {
      return std::nullopt;
    }
    sigs.push_back(p.subspan(2));
  }
  return sigs;
}

Status check_policy(const FeePolicy& p) {
  if (p.fee_per_byte < 0 || p.fee_per_byte > kMaxFeePerByte) {
    return bad("fee policy: fee_per_byte outside 0.." + std::to_string(kMaxFeePerByte));
  }
  if (p.exec_fee_factor < 1 || p.exec_fee_factor > kMaxExecFeeFactor) {
    return bad("fee policy: exec_fee_factor outside 1.." + std::to_string(kMaxExecFeeFactor));
  }
  if (p.attribute_fee < 0 || p.attribute_fee > kMaxAttributeFee ||
      p.notary_assisted_attribute_fee < 0 || p.notary_assisted_attribute_fee > kMaxAttributeFee) {
    return bad("fee policy: attribute fee outside 0.." + std::to_string(kMaxAttributeFee));
  }
  return ok_status();
}

}  // namespace

// --- names ---------------------------------------------------------------------------------------

std::string scopes_to_string(std::uint8_t scopes) {
  if (scopes == 0) return "None";
  static constexpr std::pair<std::uint8_t, const char*> kNames[] = {{0x01, "CalledByEntry"},
                                                                    {0x10, "CustomContracts"},
                                                                    {0x20, "CustomGroups"},
                                                                    {0x40, "WitnessRules"},
                                                                    {0x80, "Global"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((scopes & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  if (const unsigned unknown = scopes & ~kValidScopeBits & 0xFFu; unknown != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", unknown);
    if (!out.empty()) out += ", ";
    out += buf;
  }
  return out;
}

std::string_view to_string(WitnessConditionType t) noexcept {
  switch (t) {
    case WitnessConditionType::Boolean:
      return "Boolean";
    case WitnessConditionType::Not:
      return "Not";
    case WitnessConditionType::And:
      return "And";
    case WitnessConditionType::Or:
      return "Or";
    case WitnessConditionType::ScriptHash:
      return "ScriptHash";
    case WitnessConditionType::Group:
      return "Group";
    case WitnessConditionType::CalledByEntry:
      return "CalledByEntry";
    case WitnessConditionType::CalledByContract:
      return "CalledByContract";
    case WitnessConditionType::CalledByGroup:
      return "CalledByGroup";
  }
  return "";
}

std::string_view to_string(AttributeType t) noexcept {
  switch (t) {
    case AttributeType::HighPriority:
      return "HighPriority";
    case AttributeType::OracleResponse:
      return "OracleResponse";
    case AttributeType::NotValidBefore:
      return "NotValidBefore";
    case AttributeType::Conflicts:
      return "Conflicts";
    case AttributeType::NotaryAssisted:
      return "NotaryAssisted";
  }
  return "";
}

std::string_view to_string(OracleResponseCode c) noexcept {
  switch (c) {
    case OracleResponseCode::Success:
      return "Success";
    case OracleResponseCode::ProtocolNotSupported:
      return "ProtocolNotSupported";
    case OracleResponseCode::ConsensusUnreachable:
      return "ConsensusUnreachable";
    case OracleResponseCode::NotFound:
      return "NotFound";
    case OracleResponseCode::Timeout:
      return "Timeout";
    case OracleResponseCode::Forbidden:
      return "Forbidden";
    case OracleResponseCode::ResponseTooLarge:
      return "ResponseTooLarge";
    case OracleResponseCode::InsufficientFunds:
      return "InsufficientFunds";
    case OracleResponseCode::ContentTypeNotSupported:
      return "ContentTypeNotSupported";
    case OracleResponseCode::Error:
      return "Error";
  }
  return "";
}

TransactionAttribute TransactionAttribute::oracle_response(std::uint64_t id,
                                                           OracleResponseCode code, Bytes result) {
  TransactionAttribute a;
  a.type = AttributeType::OracleResponse;
  a.oracle_id = id;
  a.oracle_code = code;
  a.oracle_result = std::move(result);
  return a;
}

TransactionAttribute TransactionAttribute::not_valid_before(std::uint32_t h) {
  TransactionAttribute a;
  a.type = AttributeType::NotValidBefore;
  a.height = h;
  return a;
}

TransactionAttribute TransactionAttribute::conflicts_with(const UInt256& hash) {
  TransactionAttribute a;
  a.type = AttributeType::Conflicts;
  a.conflicts = hash;
  return a;
}

TransactionAttribute TransactionAttribute::notary_assisted(std::uint8_t nkeys) {
  TransactionAttribute a;
  a.type = AttributeType::NotaryAssisted;
  a.nkeys = nkeys;
  return a;
}

// --- identity and signing ------------------------------------------------------------------------

Result<UInt256> tx_hash(const Transaction& tx) {
  NSL_TRY_ASSIGN(Bytes unsigned_part, serialize_unsigned(tx));
  return UInt256{crypto::sha256(unsigned_part)};
}

SignData sign_data(std::uint32_t network_magic, const UInt256& hash) noexcept {
  SignData d{};
  for (int i = 0; i < 4; ++i)
    d[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(network_magic >> (8 * i));
  std::copy(hash.bytes.begin(), hash.bytes.end(), d.begin() + 4);
  return d;
}

std::array<std::uint8_t, 32> sign_digest(std::uint32_t network_magic,
                                         const UInt256& hash) noexcept {
  return crypto::sha256(sign_data(network_magic, hash));
}

Status verify_witnesses(const Transaction& tx, std::uint32_t network_magic) {
  NSL_TRY(validate(tx));
  NSL_TRY_ASSIGN(UInt256 hash, tx_hash(tx));
  const auto digest = sign_digest(network_magic, hash);
  constexpr auto kCurve = crypto::Curve::secp256r1;
  for (std::size_t i = 0; i < tx.witnesses.size(); ++i) {
    const Witness& w = tx.witnesses[i];
    const std::string what = "witness " + std::to_string(i);
    if (script_hash(w.verification) != tx.signers[i].account) {
      return bad(what + ": verification script hash " + script_hash(w.verification).to_string() +
                 " does not match signer account " + tx.signers[i].account.to_string());
    }
    if (auto key = parse_signature_contract(w.verification)) {
      auto sigs = parse_signatures(w.invocation, 1);
      if (!sigs) return bad(what + ": invocation script is not one 64-byte signature push");
      if (!crypto::ecdsa_verify(kCurve, *key, digest, (*sigs)[0])) {
        return bad(what + ": signature does not verify");
      }
      continue;
    }
    if (auto ms = parse_multisig_contract(w.verification)) {
      auto sigs = parse_signatures(w.invocation, ms->m);
      if (!sigs) {
        return bad(what + ": invocation script is not " + std::to_string(ms->m) +
                   " 64-byte signature pushes");
      }
      // System.Crypto.CheckMultisig: walk signatures and keys in order, each key used once.
      std::size_t s = 0;
      std::size_t k = 0;
      const std::size_t n = ms->keys.size();
      while (s < ms->m && k < n && ms->m - s <= n - k) {
        if (crypto::ecdsa_verify(kCurve, ms->keys[k], digest, (*sigs)[s])) ++s;
        ++k;
      }
      if (s != ms->m) return bad(what + ": multisig signatures do not verify");
      continue;
    }
    return bad(what + ": unsupported verification script (not a signature or multisig contract)");
  }
  return ok_status();
}

// --- network fee ---------------------------------------------------------------------------------

std::int64_t signature_contract_cost() noexcept {
  // PUSHDATA1 (signature, in the invocation) + PUSHDATA1 (key) + SYSCALL + CheckSig.
  return kPricePushData1 * 2 + kPriceSyscall + kCheckSigPrice;
}

std::int64_t multisig_contract_cost(std::size_t m, std::size_t n) noexcept {
  // m signature pushes + n key pushes + PUSH m + PUSH n + SYSCALL + n * CheckSigPrice. For
  // 1 <= m, n <= 1024 the PUSH opcodes are PUSH1..16, PUSHINT8 or PUSHINT16: price 1 each.
  const auto mi = static_cast<std::int64_t>(m);
  const auto ni = static_cast<std::int64_t>(n);
  return kPricePushData1 * (mi + ni) + kPricePushSmall * 2 + kPriceSyscall + kCheckSigPrice * ni;
}

Result<NetworkFeeEstimate> estimate_network_fee(const Transaction& tx,
                                                std::span<const Bytes> verification_scripts,
                                                const FeePolicy& policy) {
  NSL_TRY(check_policy(policy));
  NSL_TRY_ASSIGN(Bytes unsigned_part, serialize_unsigned(tx));
  if (verification_scripts.size() != tx.signers.size()) {
    return bad("fee estimate: " + std::to_string(verification_scripts.size()) +
               " verification scripts for " + std::to_string(tx.signers.size()) + " signers");
  }
  NetworkFeeEstimate e;
  // Transaction.HeaderSize + signers + attributes + script + var-int of the witness count.
  e.size = unsigned_part.size() + internal::var_int_size(tx.signers.size());
  std::int64_t verification_cost = 0;
  for (std::size_t i = 0; i < verification_scripts.size(); ++i) {
    const Bytes& script = verification_scripts[i];
    auto what = [i] { return "fee estimate: verification script " + std::to_string(i); };
    if (script_hash(script) != tx.signers[i].account) {
      return bad(what() + " does not hash to signer account " + tx.signers[i].account.to_string());
    }
    if (parse_signature_contract(script)) {
      e.size += 1 + kSignaturePushSize + var_size(script.size());  // 67 + script var size
      verification_cost += signature_contract_cost();
    } else if (auto ms = parse_multisig_contract(script)) {
      const std::size_t inv = kSignaturePushSize * ms->m;
      e.size += var_size(inv) + var_size(script.size());
      verification_cost += multisig_contract_cost(ms->m, ms->keys.size());
    } else {
      return bad(what() +
                 " is neither a signature nor a multisig contract (contract-based "
                 "verification needs a node to estimate)");
    }
  }
  e.verification_fee = verification_cost * policy.exec_fee_factor;
  e.size_fee = static_cast<std::int64_t>(e.size) * policy.fee_per_byte;
  for (const auto& a : tx.attributes) {
    if (a.type == AttributeType::NotaryAssisted) {
      // NotaryAssisted.CalculateNetworkFee: (NKeys + 1) * the attribute fee.
      e.attribute_fee +=
          (static_cast<std::int64_t>(a.nkeys) + 1) * policy.notary_assisted_attribute_fee;
    } else if (a.type == AttributeType::Conflicts) {
      // Conflicts.CalculateNetworkFee: Signers.Length * the attribute fee.
      e.attribute_fee += static_cast<std::int64_t>(tx.signers.size()) * policy.attribute_fee;
    } else {
      e.attribute_fee += policy.attribute_fee;
    }
  }
  e.total = e.size_fee + e.verification_fee + e.attribute_fee;
  return e;
}

Result<NetworkFeeEstimate> estimate_network_fee(const Transaction& tx, const FeePolicy& policy) {
  std::vector<Bytes> scripts;
  scripts.reserve(tx.witnesses.size());
  for (const auto& w : tx.witnesses) scripts.push_back(w.verification);
  return estimate_network_fee(tx, scripts, policy);
}

}  // namespace nsl::neo
