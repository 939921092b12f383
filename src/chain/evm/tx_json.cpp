#include "chain/evm/tx_json.hpp"

#include "chain/evm/hex.hpp"

namespace nsl::evm {

nlohmann::json decode_json(const SignedTx& s) {
  const Transaction& tx = s.tx;
  nlohmann::json j;
  j["type"] = static_cast<int>(tx.type);
  j["chain_id"] = tx.chain_id == 0 ? nlohmann::json(nullptr) : nlohmann::json(tx.chain_id);
  j["nonce"] = tx.nonce;
  j["to"] = tx.to ? nlohmann::json(tx.to->to_checksum()) : nlohmann::json(nullptr);
  j["value"] = tx.value.to_decimal();
  j["gas_limit"] = std::to_string(tx.gas_limit);
  if (tx.type == TxType::legacy) {
    j["gas_price"] = tx.gas_price.to_decimal();
  } else {
    j["max_priority_fee_per_gas"] = tx.max_priority_fee_per_gas.to_decimal();
    j["max_fee_per_gas"] = tx.max_fee_per_gas.to_decimal();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : tx.access_list) {
      nlohmann::json keys = nlohmann::json::array();
      for (const auto& k : e.storage_keys) keys.push_back(to_0x_hex(k));
      list.push_back({{"address", e.address.to_checksum()}, {"storage_keys", std::move(keys)}});
    }
    j["access_list"] = std::move(list);
  }
  j["data"] = to_0x_hex(tx.data);
  j["v"] = tx.type == TxType::legacy ? legacy_v(tx.chain_id, s.sig.y_parity).to_decimal()
                                     : std::to_string(s.sig.y_parity);
  j["y_parity"] = s.sig.y_parity;
  j["r"] = to_0x_hex(s.sig.r);
  j["s"] = to_0x_hex(s.sig.s);
  j["hash"] = to_0x_hex(s.hash);
  j["from"] = s.from.to_checksum();
  return j;
}

}  // namespace nsl::evm
