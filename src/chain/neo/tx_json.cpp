#include "chain/neo/tx_json.hpp"

#include <nlohmann/json.hpp>

#include "chain/neo/account.hpp"
#include "chain/neo/internal/tx_codec.hpp"
#include "core/strings.hpp"
#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

using nlohmann::json;

std::string gas_amount(std::int64_t datoshi) {
  const bool neg = datoshi < 0;
  const std::uint64_t v =
      neg ? 0 - static_cast<std::uint64_t>(datoshi) : static_cast<std::uint64_t>(datoshi);
  std::string frac = std::to_string(v % 100000000);
  frac.insert(0, 8 - frac.size(), '0');
  return (neg ? "-" : "") + std::to_string(v / 100000000) + "." + frac;
}

json condition_json(const WitnessCondition& c) {
  json j;
  j["type"] = std::string(to_string(c.type));
  switch (c.type) {
    case WitnessConditionType::Boolean:
      j["expression"] = c.value;
      break;
    case WitnessConditionType::Not:
      j["expression"] = c.expressions.empty() ? json(nullptr) : condition_json(c.expressions[0]);
      break;
    case WitnessConditionType::And:
    case WitnessConditionType::Or: {
      json list = json::array();
      for (const auto& e : c.expressions) list.push_back(condition_json(e));
      j["expressions"] = std::move(list);
      break;
    }
    case WitnessConditionType::ScriptHash:
    case WitnessConditionType::CalledByContract:
      j["hash"] = c.hash.to_string();
      break;
    case WitnessConditionType::Group:
    case WitnessConditionType::CalledByGroup:
      j["group"] = to_hex(c.group);
      break;
    case WitnessConditionType::CalledByEntry:
      break;
  }
  return j;
}

json signer_json(const Signer& s) {
  json j{{"account", s.account.to_string()},
         {"address", to_address(s.account)},
         {"scopes", scopes_to_string(s.scopes)}};
  if (has_scope(s.scopes, WitnessScope::CustomContracts)) {
    json list = json::array();
    for (const auto& c : s.allowed_contracts) list.push_back(c.to_string());
    j["allowed_contracts"] = std::move(list);
  }
  if (has_scope(s.scopes, WitnessScope::CustomGroups)) {
    json list = json::array();
    for (const auto& g : s.allowed_groups) list.push_back(to_hex(g));
    j["allowed_groups"] = std::move(list);
  }
  if (has_scope(s.scopes, WitnessScope::WitnessRules)) {
    json list = json::array();
    for (const auto& r : s.rules) {
      list.push_back({{"action", r.action == WitnessRuleAction::Allow ? "Allow" : "Deny"},
                      {"condition", condition_json(r.condition)}});
    }
    j["rules"] = std::move(list);
  }
  return j;
}

json attribute_json(const TransactionAttribute& a) {
  json j{{"type", std::string(to_string(a.type))}};
  switch (a.type) {
    case AttributeType::HighPriority:
      break;
    case AttributeType::OracleResponse:
      j["id"] = a.oracle_id;
      j["code"] = std::string(to_string(a.oracle_code));
      j["result"] = to_hex(a.oracle_result);
      break;
    case AttributeType::NotValidBefore:
      j["height"] = a.height;
      break;
    case AttributeType::Conflicts:
      j["hash"] = a.conflicts.to_string();
      break;
    case AttributeType::NotaryAssisted:
      j["nkeys"] = a.nkeys;
      break;
  }
  return j;
}

}  // namespace

json decode_json(const Transaction& tx, std::uint32_t network_magic) {
  internal::Writer w;
  internal::write_unsigned(w, tx);
  const UInt256 hash{crypto::sha256(w.out())};
  internal::write_witnesses(w, tx);

  json j;
  j["hash"] = hash.to_string();
  j["size"] = w.out().size();
  j["version"] = tx.version;
  j["nonce"] = tx.nonce;
  j["sender"] = tx.signers.empty() ? json(nullptr) : json(to_address(tx.signers[0].account));
  j["system_fee"] = std::to_string(tx.system_fee);
  j["system_fee_gas"] = gas_amount(tx.system_fee);
  j["network_fee"] = std::to_string(tx.network_fee);
  j["network_fee_gas"] = gas_amount(tx.network_fee);
  j["valid_until_block"] = tx.valid_until_block;
  json signers = json::array();
  for (const auto& s : tx.signers) signers.push_back(signer_json(s));
  j["signers"] = std::move(signers);
  json attributes = json::array();
  for (const auto& a : tx.attributes) attributes.push_back(attribute_json(a));
  j["attributes"] = std::move(attributes);
  j["script"] = to_hex(tx.script);
  json witnesses = json::array();
  for (const auto& wi : tx.witnesses) {
    const UInt160 sh = script_hash(wi.verification);
    witnesses.push_back({{"invocation", to_hex(wi.invocation)},
                         {"verification", to_hex(wi.verification)},
                         {"script_hash", sh.to_string()},
                         {"address", to_address(sh)}});
  }
  j["witnesses"] = std::move(witnesses);
  j["network_magic"] = network_magic;
  j["network"] = network_magic == kMainNetMagic   ? "MainNet"
                 : network_magic == kTestNetMagic ? "TestNet"
                                                  : "custom";
  j["sign_data"] = to_hex(sign_data(network_magic, hash));
  j["sign_digest"] = to_hex(sign_digest(network_magic, hash));
  const Status st = validate(tx);
  j["valid"] = st.ok();
  if (!st.ok()) j["error"] = st.error().message();
  return j;
}

}  // namespace nsl::neo
