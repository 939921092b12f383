// Transaction validation: the rules of tx.hpp over a model, shared by serialize and deserialize.
#include <set>

#include "chain/neo/internal/tx_codec.hpp"
#include "chain/neo/tx.hpp"
#include "crypto/ecdsa.hpp"

namespace nsl::neo {
namespace {

using internal::bad;
using internal::hex8;
using internal::known_condition_type;
using Type = WitnessConditionType;

// --- validation ----------------------------------------------------------------------------------

Status check_condition(const WitnessCondition& c, int depth_budget, const std::string& what) {
  if (depth_budget < 1) {
    return bad(what + ": conditions nested deeper than MaxNestingDepth " +
               std::to_string(kMaxConditionNestingDepth));
  }
  const auto t = static_cast<std::uint8_t>(c.type);
  if (!known_condition_type(t)) return bad(what + ": unknown condition type " + hex8(t));
  const bool composite = c.type == Type::Not || c.type == Type::And || c.type == Type::Or;
  if (!composite && !c.expressions.empty()) {
    return bad(what + ": " + std::string(to_string(c.type)) + " condition has expressions");
  }
  if (c.type == Type::Not && c.expressions.size() != 1) {
    return bad(what + ": Not condition needs exactly one expression");
  }
  if ((c.type == Type::And || c.type == Type::Or) &&
      (c.expressions.empty() || c.expressions.size() > kMaxConditionSubitems)) {
    return bad(what + ": And/Or condition needs 1..16 expressions, has " +
               std::to_string(c.expressions.size()));
  }
  if ((c.type == Type::Group || c.type == Type::CalledByGroup) &&
      !crypto::ec_check_public_key(crypto::Curve::secp256r1, c.group).ok()) {
    return bad(what + ": group is not a valid compressed secp256r1 point");
  }
  for (std::size_t i = 0; i < c.expressions.size(); ++i) {
    NSL_TRY(check_condition(c.expressions[i], depth_budget - 1,
                            what + ".expressions[" + std::to_string(i) + "]"));
  }
  return ok_status();
}

Status check_signer(const Signer& s, const std::string& what) {
  if ((s.scopes & ~kValidScopeBits) != 0) {
    return bad(what + ": scopes " + hex8(s.scopes) + " contain unknown bits " +
               hex8(s.scopes & ~kValidScopeBits));
  }
  if (has_scope(s.scopes, WitnessScope::Global) && s.scopes != 0x80) {
    return bad(what + ": Global scope combined with other scopes");
  }
  struct List {
    WitnessScope scope;
    std::size_t size;
    const char* name;
  };
  const List lists[] = {
      {WitnessScope::CustomContracts, s.allowed_contracts.size(), "allowed contracts"},
      {WitnessScope::CustomGroups, s.allowed_groups.size(), "allowed groups"},
      {WitnessScope::WitnessRules, s.rules.size(), "rules"}};
  for (const auto& l : lists) {
    if (!has_scope(s.scopes, l.scope) && l.size != 0) {
      return bad(what + ": " + l.name + " given without the " +
                 scopes_to_string(static_cast<std::uint8_t>(l.scope)) + " scope");
    }
    if (l.size > kMaxSignerSubitems) {
      return bad(what + ": " + std::to_string(l.size) + " " + l.name + " exceed the maximum " +
                 std::to_string(kMaxSignerSubitems));
    }
  }
  for (std::size_t i = 0; i < s.allowed_groups.size(); ++i) {
    if (!crypto::ec_check_public_key(crypto::Curve::secp256r1, s.allowed_groups[i]).ok()) {
      return bad(what + ": allowed group " + std::to_string(i) +
                 " is not a valid compressed secp256r1 point");
    }
  }
  for (std::size_t i = 0; i < s.rules.size(); ++i) {
    const auto& rule = s.rules[i];
    const std::string rw = what + " rule " + std::to_string(i);
    if (static_cast<std::uint8_t>(rule.action) > 1) return bad(rw + ": action is not Deny/Allow");
    NSL_TRY(check_condition(rule.condition, kMaxConditionNestingDepth, rw + " condition"));
  }
  return ok_status();
}

Status check_attribute(const TransactionAttribute& a, const std::string& what) {
  if (to_string(a.type).empty()) {
    return bad(what + ": unknown attribute type " + hex8(static_cast<std::uint8_t>(a.type)));
  }
  if (a.type != AttributeType::OracleResponse) return ok_status();
  if (to_string(a.oracle_code).empty()) {
    return bad(what + ": undefined oracle response code " +
               hex8(static_cast<std::uint8_t>(a.oracle_code)));
  }
  if (a.oracle_result.size() > kMaxOracleResultSize) {
    return bad(what + ": oracle result of " + std::to_string(a.oracle_result.size()) +
               " bytes exceeds " + std::to_string(kMaxOracleResultSize));
  }
  if (a.oracle_code != OracleResponseCode::Success && !a.oracle_result.empty()) {
    return bad(what + ": oracle result must be empty for code " +
               std::string(to_string(a.oracle_code)));
  }
  return ok_status();
}

}  // namespace

Status validate_unsigned(const Transaction& tx) {
  if (tx.version != 0) return bad("version " + std::to_string(tx.version) + " is not 0");
  if (tx.system_fee < 0) return bad("negative system_fee " + std::to_string(tx.system_fee));
  if (tx.network_fee < 0) return bad("negative network_fee " + std::to_string(tx.network_fee));
  if (tx.system_fee > INT64_MAX - tx.network_fee) {
    return bad("system_fee + network_fee overflows int64");
  }
  if (tx.signers.empty()) return bad("no signers");
  if (tx.signers.size() > kMaxTransactionAttributes) {
    return bad(std::to_string(tx.signers.size()) + " signers exceed the maximum " +
               std::to_string(kMaxTransactionAttributes));
  }
  std::set<UInt160> accounts;
  for (std::size_t i = 0; i < tx.signers.size(); ++i) {
    const std::string what = "signer " + std::to_string(i);
    if (!accounts.insert(tx.signers[i].account).second) {
      return bad(what + ": duplicate account " + tx.signers[i].account.to_string());
    }
    NSL_TRY(check_signer(tx.signers[i], what));
  }
  const std::size_t max_attrs = kMaxTransactionAttributes - tx.signers.size();
  if (tx.attributes.size() > max_attrs) {
    return bad(std::to_string(tx.attributes.size()) + " attributes exceed the maximum " +
               std::to_string(max_attrs) + " (16 minus " + std::to_string(tx.signers.size()) +
               " signers)");
  }
  std::set<AttributeType> seen;
  for (std::size_t i = 0; i < tx.attributes.size(); ++i) {
    const auto& a = tx.attributes[i];
    const std::string what = "attribute " + std::to_string(i);
    NSL_TRY(check_attribute(a, what));
    if (a.type != AttributeType::Conflicts && !seen.insert(a.type).second) {
      return bad(what + ": duplicate " + std::string(to_string(a.type)) + " attribute");
    }
  }
  if (tx.script.empty()) return bad("empty script");
  if (tx.script.size() > kMaxScriptSize) {
    return bad("script of " + std::to_string(tx.script.size()) + " bytes exceeds " +
               std::to_string(kMaxScriptSize));
  }
  return ok_status();
}

Status validate(const Transaction& tx) {
  NSL_TRY(validate_unsigned(tx));
  if (tx.witnesses.size() != tx.signers.size()) {
    return bad(std::to_string(tx.witnesses.size()) + " witnesses for " +
               std::to_string(tx.signers.size()) + " signers");
  }
  for (std::size_t i = 0; i < tx.witnesses.size(); ++i) {
    const auto& w = tx.witnesses[i];
    if (w.invocation.size() > kMaxInvocationScript) {
      return bad("witness " + std::to_string(i) + ": invocation script of " +
                 std::to_string(w.invocation.size()) + " bytes exceeds " +
                 std::to_string(kMaxInvocationScript));
    }
    if (w.verification.size() > kMaxVerificationScript) {
      return bad("witness " + std::to_string(i) + ": verification script of " +
                 std::to_string(w.verification.size()) + " bytes exceeds " +
                 std::to_string(kMaxVerificationScript));
    }
  }
  return ok_status();
}

}  // namespace nsl::neo
