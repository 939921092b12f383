#include "chain/evm/tx.hpp"

#include <algorithm>
#include <string>

#include "chain/evm/signature.hpp"
#include "crypto/hash.hpp"

namespace nsl::evm {
namespace {

RlpItem to_item(const std::optional<Address>& to) {
  return to ? RlpItem::bytes(ByteSpan(to->bytes)) : RlpItem();
}

RlpItem access_list_item(const std::vector<AccessListEntry>& list) {
  std::vector<RlpItem> entries;
  entries.reserve(list.size());
  for (const auto& e : list) {
    std::vector<RlpItem> keys;
    keys.reserve(e.storage_keys.size());
    for (const auto& k : e.storage_keys) keys.push_back(RlpItem::bytes(ByteSpan(k)));
    entries.push_back(
        RlpItem::list({RlpItem::bytes(ByteSpan(e.address.bytes)), RlpItem::list(std::move(keys))}));
  }
  return RlpItem::list(std::move(entries));
}

// The fields shared by the signing payload and the signed serialization.
std::vector<RlpItem> unsigned_fields(const Transaction& tx) {
  if (tx.type == TxType::legacy) {
    return {RlpItem::u64(tx.nonce), RlpItem::u256(tx.gas_price), RlpItem::u64(tx.gas_limit),
            to_item(tx.to),         RlpItem::u256(tx.value),     RlpItem::bytes(tx.data)};
  }
  return {RlpItem::u64(tx.chain_id),
          RlpItem::u64(tx.nonce),
          RlpItem::u256(tx.max_priority_fee_per_gas),
          RlpItem::u256(tx.max_fee_per_gas),
          RlpItem::u64(tx.gas_limit),
          to_item(tx.to),
          RlpItem::u256(tx.value),
          RlpItem::bytes(tx.data),
          access_list_item(tx.access_list)};
}

Bytes typed_envelope(TxType type, const RlpItem& list) {
  Bytes out;
  if (type != TxType::legacy) out.push_back(static_cast<std::uint8_t>(type));
  rlp_append(list, out);
  return out;
}

}  // namespace

Status validate_transaction(const Transaction& tx) {
  if (tx.type == TxType::legacy) {
    if (tx.chain_id > kMaxChainId) {
      return err::invalid_argument("chain_id exceeds the EIP-2294 maximum " +
                                   std::to_string(kMaxChainId));
    }
    if (!tx.max_priority_fee_per_gas.is_zero() || !tx.max_fee_per_gas.is_zero()) {
      return err::invalid_argument(
          "a legacy transaction has gas_price, not max_priority_fee_per_gas/max_fee_per_gas");
    }
    if (!tx.access_list.empty()) {
      return err::invalid_argument("a legacy transaction cannot carry an access_list");
    }
    return ok_status();
  }
  if (tx.type != TxType::eip1559) return err::invalid_argument("unsupported transaction type");
  if (tx.chain_id == 0) return err::invalid_argument("chain_id must not be zero");
  if (tx.chain_id > kMaxChainId) {
    return err::invalid_argument("chain_id exceeds the EIP-2294 maximum " +
                                 std::to_string(kMaxChainId));
  }
  if (!tx.gas_price.is_zero()) {
    return err::invalid_argument(
        "an EIP-1559 transaction has max_priority_fee_per_gas/max_fee_per_gas, not gas_price");
  }
  if (tx.max_priority_fee_per_gas > tx.max_fee_per_gas) {
    return err::invalid_argument("max_priority_fee_per_gas exceeds max_fee_per_gas");
  }
  return ok_status();
}

Result<Bytes> signing_payload(const Transaction& tx) {
  NSL_TRY(validate_transaction(tx));
  auto fields = unsigned_fields(tx);
  if (tx.type == TxType::legacy && tx.chain_id != 0) {
    fields.push_back(RlpItem::u64(tx.chain_id));  // EIP-155: chainId, 0, 0
    fields.emplace_back();
    fields.emplace_back();
  }
  return typed_envelope(tx.type, RlpItem::list(std::move(fields)));
}

Result<Hash32> signing_hash(const Transaction& tx) {
  NSL_TRY_ASSIGN(const Bytes payload, signing_payload(tx));
  return crypto::keccak256(payload);
}

U256 legacy_v(std::uint64_t chain_id, std::uint8_t y_parity) {
  // chain_id <= kMaxChainId, so this cannot overflow 64 bits.
  if (chain_id == 0) return U256::from_u64(27u + y_parity);
  return U256::from_u64(chain_id * 2 + 35 + y_parity);
}

Result<Bytes> encode_signed_transaction(const Transaction& tx, const TxSignature& sig) {
  NSL_TRY(validate_transaction(tx));
  if (sig.y_parity > 1) return err::invalid_argument("y_parity must be 0 or 1");
  auto fields = unsigned_fields(tx);
  if (tx.type == TxType::legacy) {
    fields.push_back(RlpItem::u256(legacy_v(tx.chain_id, sig.y_parity)));
  } else {
    fields.push_back(RlpItem::u64(sig.y_parity));
  }
  fields.push_back(RlpItem::u256(U256::from_be32(sig.r)));
  fields.push_back(RlpItem::u256(U256::from_be32(sig.s)));
  return typed_envelope(tx.type, RlpItem::list(std::move(fields)));
}

Result<Address> recover_sender(const Transaction& tx, const TxSignature& sig) {
  NSL_TRY_ASSIGN(const Hash32 digest, signing_hash(tx));
  Bytes rs(sig.r.begin(), sig.r.end());
  rs.insert(rs.end(), sig.s.begin(), sig.s.end());
  return recover_address(digest, rs, sig.y_parity);
}

Result<SignedTx> sign_transaction(const Transaction& tx, const SecretBytes& private_key) {
  if (tx.chain_id == 0) {
    return err::invalid_argument("refusing to sign without replay protection: chain_id is zero");
  }
  NSL_TRY_ASSIGN(const Hash32 digest, signing_hash(tx));
  NSL_TRY_ASSIGN(const Signature65 sig65, sign_hash_65(private_key, digest));
  SignedTx out;
  out.tx = tx;
  std::copy(sig65.begin(), sig65.begin() + 32, out.sig.r.begin());
  std::copy(sig65.begin() + 32, sig65.begin() + 64, out.sig.s.begin());
  out.sig.y_parity = static_cast<std::uint8_t>(sig65[64] - 27);
  NSL_TRY_ASSIGN(out.from, address_from_private_key(private_key));
  NSL_TRY_ASSIGN(out.raw, encode_signed_transaction(tx, out.sig));
  out.hash = crypto::keccak256(out.raw);
  return out;
}

}  // namespace nsl::evm
