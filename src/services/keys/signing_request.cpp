#include "services/keys/signing_request.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "chain/evm/hex.hpp"
#include "chain/neo/account.hpp"
#include "chain/neo/script.hpp"
#include "core/random.hpp"
#include "crypto/ecdsa.hpp"
#include "core/strings.hpp"

namespace nsl::keys {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxExactJsonInt = std::uint64_t{1} << 53;
constexpr std::size_t kMaxInvokeArgs = 16;
constexpr int kMaxParamDepth = 4;

Result<evm::U256> json_u256(const json& obj, std::string_view field, bool required) {
  auto it = obj.find(std::string(field));
  if (it == obj.end() || it->is_null()) {
    if (required) return err::invalid_argument(std::string(field) + " is required");
    return evm::U256();
  }
  if (it->is_number_unsigned()) {
    NSL_TRY_ASSIGN(std::uint64_t v, json_u64(*it, field));
    return evm::U256::from_decimal(std::to_string(v));
  }
  if (!it->is_string()) {
    return err::invalid_argument(std::string(field) + " must be a decimal integer string");
  }
  auto v = evm::U256::from_decimal(it->get<std::string>());
  if (!v.ok()) {
    return err::invalid_argument(std::string(field) + " must be a decimal integer below 2^256");
  }
  return v;
}

Result<std::uint64_t> field_u64(const json& obj, std::string_view field, bool required,
                                std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
  auto it = obj.find(std::string(field));
  if (it == obj.end() || it->is_null()) {
    if (required) return err::invalid_argument(std::string(field) + " is required");
    return std::uint64_t{0};
  }
  NSL_TRY_ASSIGN(std::uint64_t v, json_u64(*it, field));
  if (v > max) {
    return err::invalid_argument(std::string(field) + " must be at most " + std::to_string(max));
  }
  return v;
}

Result<crypto::Bytes> hex_field(const json& obj, std::string_view field, bool required) {
  NSL_TRY_ASSIGN(std::string text, json_string(obj, field, required));
  if (text.empty()) return crypto::Bytes();
  return hex_bytes(text, field);
}

// A script hash given as "0x…" (display order) or as an N3 address.
Result<neo::UInt160> hash_or_address(std::string_view text, std::string_view field) {
  if (text.starts_with("0x") || text.starts_with("0X")) {
    auto h = neo::UInt160::parse(text);
    if (!h.ok()) return err::invalid_argument(std::string(field) + ": not a script hash (0x + 40 hex)");
    return *h;
  }
  auto h = neo::address_to_script_hash(text);
  if (!h.ok()) return err::invalid_argument(std::string(field) + ": " + h.error().message());
  return *h;
}

Result<neo::ContractParam> param_from_json(const json& p, std::string_view where, int depth) {
  if (!p.is_object()) return err::invalid_argument(std::string(where) + " must be an object {type, value}");
  NSL_TRY(only_fields(p, {"type", "value"}, std::string(where) + "."));
  NSL_TRY_ASSIGN(std::string type, json_string(p, "type"));
  const std::string vfield = std::string(where) + ".value";
  auto it = p.find("value");
  const bool has_value = it != p.end() && !it->is_null();
  if (type == "Any") {
    if (has_value) return err::invalid_argument(vfield + ": Any takes no value");
    return neo::ContractParam::null();
  }
  if (!has_value) return err::invalid_argument(vfield + " is required");
  if (type == "Integer") {
    std::string text;
    if (it->is_number_integer()) {
      text = it->dump();
      if (it->is_number_unsigned() ? it->get<std::uint64_t>() > kMaxExactJsonInt
                                   : it->get<std::int64_t>() < -static_cast<std::int64_t>(kMaxExactJsonInt)) {
        return err::invalid_argument(vfield + ": integers beyond 2^53 must be strings");
      }
    } else if (it->is_string()) {
      text = it->get<std::string>();
    } else {
      return err::invalid_argument(vfield + " must be an integer or a decimal string");
    }
    auto v = neo::VmInteger::from_decimal(text);
    if (!v.ok()) return err::invalid_argument(vfield + ": " + v.error().message());
    return neo::ContractParam::integer(std::move(*v));
  }
  if (type == "Boolean") {
    if (!it->is_boolean()) return err::invalid_argument(vfield + " must be true or false");
    return neo::ContractParam::boolean(it->get<bool>());
  }
  if (type == "String") {
    if (!it->is_string()) return err::invalid_argument(vfield + " must be a string");
    return neo::ContractParam::string(it->get<std::string>());
  }
  if (type == "ByteArray") {
    if (!it->is_string()) return err::invalid_argument(vfield + " must be hex");
    NSL_TRY_ASSIGN(crypto::Bytes b, evm::parse_0x_hex(it->get<std::string>(), vfield));
    return neo::ContractParam::bytes(std::move(b));
  }
  if (type == "Hash160") {
    if (!it->is_string()) return err::invalid_argument(vfield + " must be 0x<hash> or an address");
    NSL_TRY_ASSIGN(neo::UInt160 h, hash_or_address(it->get<std::string>(), vfield));
    return neo::ContractParam::hash160(h);
  }
  if (type == "Array") {
    if (!it->is_array()) return err::invalid_argument(vfield + " must be an array");
    if (depth >= kMaxParamDepth) return err::invalid_argument(vfield + ": arrays nest too deep");
    if (it->size() > kMaxInvokeArgs) return err::invalid_argument(vfield + ": too many items");
    neo::ContractParam::Array items;
    for (std::size_t i = 0; i < it->size(); ++i) {
      NSL_TRY_ASSIGN(neo::ContractParam item,
                     param_from_json((*it)[i], vfield + "[" + std::to_string(i) + "]", depth + 1));
      items.push_back(std::move(item));
    }
    return neo::ContractParam::array(std::move(items));
  }
  return err::invalid_argument(std::string(where) +
                               ".type must be one of Integer, Boolean, String, ByteArray, Hash160, Array, Any");
}

Result<std::int64_t> fee_field(const json& obj, std::string_view field) {
  NSL_TRY_ASSIGN(evm::U256 v, json_u256(obj, field, true));
  auto text = v.to_decimal();
  if (text.size() > 18) return err::invalid_argument(std::string(field) + " is too large");
  return static_cast<std::int64_t>(std::stoll(text));
}

}  // namespace

Result<std::string> json_string(const json& obj, std::string_view field, bool required) {
  auto it = obj.find(std::string(field));
  if (it == obj.end() || it->is_null()) {
    if (required) return err::invalid_argument(std::string(field) + " is required");
    return std::string();
  }
  if (!it->is_string()) return err::invalid_argument(std::string(field) + " must be a string");
  return it->get<std::string>();
}

Result<crypto::Bytes> hex_bytes(std::string_view text, std::string_view what) {
  if (text.starts_with("0x")) return evm::parse_0x_hex(text, what);
  return evm::parse_0x_hex("0x" + std::string(text), what);  // N3 tools print plain hex
}

Status only_fields(const json& obj, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (const auto& [k, _] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return err::invalid_argument("unknown field '" + std::string(where) + k + "'");
    }
  }
  return {};
}

Result<std::uint64_t> json_u64(const json& v, std::string_view field) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n > kMaxExactJsonInt) {
      return err::invalid_argument(std::string(field) + ": integers beyond 2^53 must be decimal strings");
    }
    return n;
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (auto n = parse_u64(s); n && (s.size() == 1 || s[0] != '0')) return *n;
  }
  return err::invalid_argument(std::string(field) + " must be a non-negative integer");
}

Result<evm::Transaction> evm_tx_from_json(const json& j, std::uint64_t chain_id) {
  if (!j.is_object()) return err::invalid_argument("transaction must be an object");
  NSL_TRY(only_fields(j,
                      {"type", "nonce", "to", "value", "gas_limit", "gas_price", "max_fee_per_gas",
                       "max_priority_fee_per_gas", "data", "access_list"},
                      "transaction."));
  evm::Transaction tx;
  tx.chain_id = chain_id;
  NSL_TRY_ASSIGN(std::uint64_t type, field_u64(j, "type", false));
  if (!j.contains("type")) type = 2;
  if (type == 2) {
    tx.type = evm::TxType::eip1559;
  } else if (type == 0) {
    tx.type = evm::TxType::legacy;
  } else {
    return err::invalid_argument("transaction.type must be 2 (EIP-1559) or 0 (legacy with EIP-155)");
  }
  NSL_TRY_ASSIGN(tx.nonce, field_u64(j, "nonce", true));
  NSL_TRY_ASSIGN(tx.gas_limit, field_u64(j, "gas_limit", true));
  NSL_TRY_ASSIGN(tx.value, json_u256(j, "value", false));
  NSL_TRY_ASSIGN(std::string to, json_string(j, "to", false));
  if (!to.empty()) {
    auto a = evm::parse_address(to);
    if (!a.ok()) return err::invalid_argument("transaction.to: " + a.error().message());
    tx.to = *a;
  }
  NSL_TRY_ASSIGN(tx.data, hex_field(j, "data", false));
  if (tx.type == evm::TxType::eip1559) {
    if (j.contains("gas_price")) return err::invalid_argument("transaction.gas_price is for type 0; type 2 uses max_fee_per_gas");
    NSL_TRY_ASSIGN(tx.max_fee_per_gas, json_u256(j, "max_fee_per_gas", true));
    NSL_TRY_ASSIGN(tx.max_priority_fee_per_gas, json_u256(j, "max_priority_fee_per_gas", true));
    if (auto it = j.find("access_list"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) return err::invalid_argument("transaction.access_list must be an array");
      for (const json& e : *it) {
        if (!e.is_object()) return err::invalid_argument("transaction.access_list entries must be objects");
        NSL_TRY(only_fields(e, {"address", "storage_keys"}, "transaction.access_list[]."));
        NSL_TRY_ASSIGN(std::string addr, json_string(e, "address"));
        auto a = evm::parse_address(addr);
        if (!a.ok()) return err::invalid_argument("transaction.access_list address: " + a.error().message());
        evm::AccessListEntry entry{.address = *a, .storage_keys = {}};
        if (auto ks = e.find("storage_keys"); ks != e.end()) {
          if (!ks->is_array()) return err::invalid_argument("transaction.access_list storage_keys must be an array");
          for (const json& k : *ks) {
            auto b = k.is_string() ? evm::parse_0x_hex(k.get<std::string>(), "storage key")
                                   : Result<crypto::Bytes>(err::invalid_argument("storage key"));
            if (!b.ok() || b->size() != 32) {
              return err::invalid_argument("transaction.access_list storage keys must be 32-byte hex");
            }
            evm::Hash32 h{};
            std::copy(b->begin(), b->end(), h.begin());
            entry.storage_keys.push_back(h);
          }
        }
        tx.access_list.push_back(std::move(entry));
      }
    }
  } else {
    if (j.contains("max_fee_per_gas") || j.contains("max_priority_fee_per_gas") || j.contains("access_list")) {
      return err::invalid_argument("transaction type 0 takes gas_price, not max_fee_per_gas / max_priority_fee_per_gas / access_list");
    }
    NSL_TRY_ASSIGN(tx.gas_price, json_u256(j, "gas_price", true));
  }
  if (Status st = evm::validate_transaction(tx); !st.ok()) return st.error();
  return tx;
}

Result<neo::Transaction> neo_tx_from_json(const json& body, const neo::UInt160& account,
                                          const crypto::Bytes& verification) {
  const int given = (body.contains("unsigned_tx") ? 1 : 0) + (body.contains("transfer") ? 1 : 0) +
                    (body.contains("invoke") ? 1 : 0);
  if (given != 1) {
    return err::invalid_argument("give exactly one of unsigned_tx, transfer or invoke");
  }
  if (body.contains("unsigned_tx")) {
    for (const char* f : {"valid_until_block", "system_fee", "network_fee", "nonce"}) {
      if (body.contains(f)) {
        return err::invalid_argument(std::string(f) + " is part of unsigned_tx already; it goes only with transfer or invoke");
      }
    }
    NSL_TRY_ASSIGN(crypto::Bytes raw, hex_field(body, "unsigned_tx", true));
    if (auto tx = neo::deserialize_unsigned(raw); tx.ok()) return std::move(*tx);
    auto full = neo::deserialize(raw);
    if (!full.ok()) return err::invalid_argument("unsigned_tx: " + full.error().message());
    return std::move(*full);
  }
  neo::Transaction tx;
  tx.signers.push_back(neo::Signer{.account = account,
                                   .scopes = static_cast<std::uint8_t>(neo::WitnessScope::CalledByEntry),
                                   .allowed_contracts = {},
                                   .allowed_groups = {},
                                   .rules = {}});
  if (auto t = body.find("transfer"); t != body.end()) {
    if (!t->is_object()) return err::invalid_argument("transfer must be an object");
    NSL_TRY(only_fields(*t, {"asset", "to", "amount"}, "transfer."));
    NSL_TRY_ASSIGN(std::string asset, json_string(*t, "asset"));
    if (asset == "NEO") asset = kNeoTokenHash;
    if (asset == "GAS") asset = kGasTokenHash;
    auto token = neo::UInt160::parse(asset);
    if (!token.ok()) return err::invalid_argument("transfer.asset must be NEO, GAS or 0x<contract hash>");
    NSL_TRY_ASSIGN(std::string to_text, json_string(*t, "to"));
    NSL_TRY_ASSIGN(neo::UInt160 to, hash_or_address(to_text, "transfer.to"));
    NSL_TRY_ASSIGN(evm::U256 amount, json_u256(*t, "amount", true));
    auto script = neo::nep17_transfer(*token, account, to, amount.to_decimal(), neo::ContractParam::null(),
                                      neo::Nep17Options{.assert_result = true});
    if (!script.ok()) return err::invalid_argument("transfer: " + script.error().message());
    tx.script = std::move(*script);
  } else {
    const json& inv = body["invoke"];
    if (!inv.is_object()) return err::invalid_argument("invoke must be an object");
    NSL_TRY(only_fields(inv, {"contract", "method", "args"}, "invoke."));
    NSL_TRY_ASSIGN(std::string contract_text, json_string(inv, "contract"));
    auto contract = neo::UInt160::parse(contract_text);
    if (!contract.ok()) return err::invalid_argument("invoke.contract must be 0x<contract hash>");
    NSL_TRY_ASSIGN(std::string method, json_string(inv, "method"));
    if (method.empty() || method.size() > 64) return err::invalid_argument("invoke.method must be 1..64 characters");
    std::vector<neo::ContractParam> args;
    if (auto a = inv.find("args"); a != inv.end() && !a->is_null()) {
      if (!a->is_array()) return err::invalid_argument("invoke.args must be an array");
      if (a->size() > kMaxInvokeArgs) return err::invalid_argument("invoke.args: at most 16 arguments");
      for (std::size_t i = 0; i < a->size(); ++i) {
        NSL_TRY_ASSIGN(neo::ContractParam p, param_from_json((*a)[i], "invoke.args[" + std::to_string(i) + "]", 0));
        args.push_back(std::move(p));
      }
    }
    neo::ScriptBuilder sb;
    sb.contract_call(*contract, method, neo::CallFlags::All, args);
    tx.script = std::move(sb).take();
  }
  NSL_TRY_ASSIGN(std::uint64_t vub, field_u64(body, "valid_until_block", true, 0xffffffffULL));
  tx.valid_until_block = static_cast<std::uint32_t>(vub);
  NSL_TRY_ASSIGN(tx.system_fee, fee_field(body, "system_fee"));
  if (body.contains("nonce")) {
    NSL_TRY_ASSIGN(std::uint64_t n, field_u64(body, "nonce", true, 0xffffffffULL));
    tx.nonce = static_cast<std::uint32_t>(n);
  } else {
    std::array<std::uint8_t, 4> r{};
    random_bytes(r);
    tx.nonce = static_cast<std::uint32_t>(r[0]) | static_cast<std::uint32_t>(r[1]) << 8 |
               static_cast<std::uint32_t>(r[2]) << 16 | static_cast<std::uint32_t>(r[3]) << 24;
  }
  if (body.contains("network_fee")) {
    NSL_TRY_ASSIGN(tx.network_fee, fee_field(body, "network_fee"));
  } else {
    const crypto::Bytes scripts[] = {verification};
    auto fee = neo::estimate_network_fee(tx, scripts);
    if (!fee.ok()) return err::invalid_argument("network fee estimate: " + fee.error().message());
    tx.network_fee = fee->total;
  }
  if (Status st = neo::validate_unsigned(tx); !st.ok()) return st.error();
  return tx;
}

Result<neo::Transaction> with_neo_witness(neo::Transaction tx, const neo::UInt160& account,
                                          const crypto::Bytes& verification, crypto::ByteSpan signature64) {
  if (signature64.size() != 64) return err::internal("an N3 signature is 64 bytes");
  auto slot = std::find_if(tx.signers.begin(), tx.signers.end(),
                           [&](const neo::Signer& s) { return s.account == account; });
  if (slot == tx.signers.end()) {
    return err::invalid_argument("the key's account is not a signer of this transaction");
  }
  tx.witnesses.resize(tx.signers.size());
  neo::Witness& w = tx.witnesses[static_cast<std::size_t>(slot - tx.signers.begin())];
  w.invocation = {static_cast<std::uint8_t>(neo::OpCode::PUSHDATA1), 64};
  w.invocation.insert(w.invocation.end(), signature64.begin(), signature64.end());
  w.verification = verification;
  return tx;
}

std::optional<std::vector<crypto::Bytes>> neo_invocation_signatures(crypto::ByteSpan invocation) {
  std::vector<crypto::Bytes> out;
  std::size_t at = 0;
  while (at < invocation.size()) {
    if (invocation.size() - at < 66 || invocation[at] != static_cast<std::uint8_t>(neo::OpCode::PUSHDATA1) ||
        invocation[at + 1] != 64) {
      return std::nullopt;
    }
    out.emplace_back(invocation.begin() + static_cast<std::ptrdiff_t>(at + 2),
                     invocation.begin() + static_cast<std::ptrdiff_t>(at + 66));
    at += 66;
  }
  return out;
}

Result<NeoMultisig> neo_multisig_from_json(const json& multisig, const neo::PublicKey& own) {
  if (!multisig.is_object()) return err::invalid_argument("multisig must be an object");
  NSL_TRY(only_fields(multisig, {"threshold", "public_keys", "signatures"}, "multisig."));
  NeoMultisig ms;
  NSL_TRY_ASSIGN(std::uint64_t m, field_u64(multisig, "threshold", true, kMaxMultisigKeys));
  auto keys_it = multisig.find("public_keys");
  if (keys_it == multisig.end() || !keys_it->is_array() || keys_it->empty()) {
    return err::invalid_argument("multisig.public_keys must be a non-empty array of compressed public keys (hex)");
  }
  if (keys_it->size() > kMaxMultisigKeys) {
    return err::invalid_argument("multisig.public_keys: at most " + std::to_string(kMaxMultisigKeys) + " keys");
  }
  auto read_key = [](const json& v, const std::string& where) -> Result<neo::PublicKey> {
    if (!v.is_string()) return err::invalid_argument(where + " must be a hex string");
    NSL_TRY_ASSIGN(crypto::Bytes raw, hex_bytes(v.get<std::string>(), where));
    if (raw.size() != 33 || !crypto::ec_check_public_key(crypto::Curve::secp256r1, raw).ok()) {
      return err::invalid_argument(where + " must be a compressed secp256r1 public key (33 bytes)");
    }
    neo::PublicKey k{};
    std::copy(raw.begin(), raw.end(), k.begin());
    return k;
  };
  std::vector<neo::PublicKey> given;
  for (std::size_t i = 0; i < keys_it->size(); ++i) {
    NSL_TRY_ASSIGN(neo::PublicKey k, read_key((*keys_it)[i], "multisig.public_keys[" + std::to_string(i) + "]"));
    given.push_back(k);
  }
  if (m == 0 || m > given.size()) {
    return err::invalid_argument("multisig.threshold must be 1.." + std::to_string(given.size()));
  }
  ms.threshold = static_cast<std::size_t>(m);
  if (std::find(given.begin(), given.end(), own) == given.end()) {
    return err::invalid_argument("multisig.public_keys does not list this key's public key");
  }
  auto script = neo::multisig_redeem_script(ms.threshold, given);
  if (!script.ok()) return err::invalid_argument(script.error().message());
  ms.verification = std::move(*script);
  auto parsed = neo::parse_multisig_contract(ms.verification);
  if (!parsed) return err::internal("multisig script does not parse back");
  ms.keys = std::move(parsed->keys);
  ms.account = neo::script_hash(ms.verification);
  if (auto sigs = multisig.find("signatures"); sigs != multisig.end() && !sigs->is_null()) {
    if (!sigs->is_array()) return err::invalid_argument("multisig.signatures must be an array");
    if (sigs->size() > ms.keys.size()) return err::invalid_argument("multisig.signatures: more signatures than keys");
    for (std::size_t i = 0; i < sigs->size(); ++i) {
      const std::string where = "multisig.signatures[" + std::to_string(i) + "]";
      const json& e = (*sigs)[i];
      if (!e.is_object()) return err::invalid_argument(where + " must be an object");
      NSL_TRY(only_fields(e, {"public_key", "signature"}, where + "."));
      auto k_it = e.find("public_key");
      if (k_it == e.end()) return err::invalid_argument(where + ".public_key is required");
      NSL_TRY_ASSIGN(neo::PublicKey k, read_key(*k_it, where + ".public_key"));
      if (std::find(ms.keys.begin(), ms.keys.end(), k) == ms.keys.end()) {
        return err::invalid_argument(where + ".public_key is not one of multisig.public_keys");
      }
      NSL_TRY_ASSIGN(crypto::Bytes sig, hex_field(e, "signature", true));
      if (sig.size() != 64) return err::invalid_argument(where + ".signature must be 64 bytes (r || s)");
      for (const auto& entry : ms.supplied) {
        if (entry.first == k) return err::invalid_argument(where + ": a second signature for the same public key");
      }
      ms.supplied.emplace_back(k, std::move(sig));
    }
  }
  return ms;
}

Result<MultisigWitness> with_neo_multisig_witness(neo::Transaction tx, const NeoMultisig& ms,
                                                  std::uint32_t network_magic, const neo::PublicKey& own,
                                                  crypto::ByteSpan own_signature) {
  if (own_signature.size() != 64) return err::internal("an N3 signature is 64 bytes");
  auto slot = std::find_if(tx.signers.begin(), tx.signers.end(),
                           [&](const neo::Signer& s) { return s.account == ms.account; });
  if (slot == tx.signers.end()) {
    return err::invalid_argument("the multisig account " + neo::to_address(ms.account) +
                                 " is not a signer of this transaction");
  }
  const auto index = static_cast<std::size_t>(slot - tx.signers.begin());
  tx.witnesses.resize(tx.signers.size());
  neo::Witness& w = tx.witnesses[index];
  NSL_TRY_ASSIGN(neo::UInt256 hash, neo::tx_hash(tx));
  const auto digest = neo::sign_digest(network_magic, hash);
  auto verifies = [&](const neo::PublicKey& k, crypto::ByteSpan sig) {
    return crypto::ecdsa_verify(crypto::Curve::secp256r1, k, digest, sig);
  };

  std::vector<std::optional<crypto::Bytes>> by_key(ms.keys.size());
  if (!w.verification.empty() && w.verification != ms.verification) {
    return err::invalid_argument("the transaction's witness for the multisig account has another verification script");
  }
  if (!w.invocation.empty()) {
    auto existing = neo_invocation_signatures(w.invocation);
    if (!existing) {
      return err::invalid_argument("the multisig account's witness holds something other than 64-byte signatures");
    }
    // A witness holds its signatures in key order: one pass matches them (n + m checks at most).
    std::size_t k = 0;
    for (std::size_t i = 0; i < existing->size(); ++i) {
      while (k < ms.keys.size() && !verifies(ms.keys[k], (*existing)[i])) ++k;
      if (k == ms.keys.size()) {
        return err::invalid_argument("signature " + std::to_string(i) +
                                     " of the multisig account's witness does not verify for this transaction "
                                     "under any of its keys after the previous one (wrong network_magic, "
                                     "a changed transaction, or not in key order)");
      }
      by_key[k++] = std::move((*existing)[i]);
    }
  }
  auto key_index = [&](const neo::PublicKey& k) {
    return static_cast<std::size_t>(std::find(ms.keys.begin(), ms.keys.end(), k) - ms.keys.begin());
  };
  for (std::size_t i = 0; i < ms.supplied.size(); ++i) {
    const auto& [k, sig] = ms.supplied[i];
    if (!verifies(k, sig)) {
      return err::invalid_argument("multisig.signatures[" + std::to_string(i) +
                                   "] does not verify for its public key over this transaction");
    }
    by_key[key_index(k)] = sig;
  }
  const std::size_t mine = key_index(own);
  if (mine == ms.keys.size()) return err::invalid_argument("multisig.public_keys does not list this key's public key");
  by_key[mine] = crypto::Bytes(own_signature.begin(), own_signature.end());

  MultisigWitness out;
  for (std::size_t k = 0; k < ms.keys.size(); ++k) {
    if (by_key[k]) out.signed_by.push_back(ms.keys[k]);
  }
  out.complete = out.signed_by.size() >= ms.threshold;
  w.invocation.clear();
  std::size_t pushed = 0;
  for (std::size_t k = 0; k < ms.keys.size(); ++k) {
    if (!by_key[k] || (out.complete && pushed == ms.threshold)) continue;
    w.invocation.push_back(static_cast<std::uint8_t>(neo::OpCode::PUSHDATA1));
    w.invocation.push_back(64);
    w.invocation.insert(w.invocation.end(), by_key[k]->begin(), by_key[k]->end());
    ++pushed;
  }
  w.verification = ms.verification;
  out.tx = std::move(tx);
  return out;
}

}  // namespace nsl::keys
