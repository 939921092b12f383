// decode_unsigned_transaction(): signing payloads back to transactions, canonical only.
#include <gtest/gtest.h>

#include <string>

#include "chain/evm/rlp.hpp"
#include "chain/evm/tx.hpp"

namespace nsl::evm {
namespace {

Transaction legacy_tx() {
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = kNeoXMainNetChainId;
  tx.nonce = 9;
  tx.gas_price = U256::from_u64(20'000'000'000);
  tx.gas_limit = 21000;
  tx.to = parse_address("0x3535353535353535353535353535353535353535").value();
  tx.value = U256::from_decimal("1000000000000000000").value();
  return tx;
}

Transaction eip1559_tx() {
  Transaction tx;
  tx.type = TxType::eip1559;
  tx.chain_id = kNeoXTestNetChainId;
  tx.nonce = 1;
  tx.max_priority_fee_per_gas = U256::from_u64(2);
  tx.max_fee_per_gas = U256::from_u64(100);
  tx.gas_limit = 60000;
  tx.to = parse_address("0x1111111111111111111111111111111111111111").value();
  tx.data = {0xa9, 0x05, 0x9c, 0xbb, 0x00};
  tx.access_list.push_back({parse_address("0x2222222222222222222222222222222222222222").value(), {Hash32{}}});
  return tx;
}

TEST(EvmUnsignedTx, RoundTripsBothTypes) {
  Transaction creation = eip1559_tx();
  creation.to.reset();
  for (const Transaction& tx : {legacy_tx(), eip1559_tx(), creation}) {
    const Bytes payload = signing_payload(tx).value();
    auto back = decode_unsigned_transaction(payload);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, tx);
  }
}

TEST(EvmUnsignedTx, RefusesSignedTransactionsAndOtherShapes) {
  // A signed transaction is not a signing payload.
  const auto key = SecretBytes::copy_of(Bytes(32, 0x46));
  const auto signed_legacy = sign_transaction(legacy_tx(), key).value();
  EXPECT_FALSE(decode_unsigned_transaction(signed_legacy.raw).ok());
  const auto signed_1559 = sign_transaction(eip1559_tx(), key).value();
  EXPECT_FALSE(decode_unsigned_transaction(signed_1559.raw).ok());

  // Pre-EIP-155: 6 fields.
  std::vector<RlpItem> six = {RlpItem::u64(1), RlpItem::u64(1), RlpItem::u64(21000),
                              RlpItem::bytes(Bytes(20, 0x35)), RlpItem::u64(1), RlpItem()};
  auto r = decode_unsigned_transaction(rlp_encode(RlpItem::list(six)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("9 fields"), std::string::npos) << r.error();

  // Chain id 0 in the EIP-155 slot.
  auto nine = six;
  nine.push_back(RlpItem());
  nine.push_back(RlpItem());
  nine.push_back(RlpItem());
  r = decode_unsigned_transaction(rlp_encode(RlpItem::list(nine)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("chain_id"), std::string::npos) << r.error();

  // Non-empty trailing fields.
  nine[6] = RlpItem::u64(1);
  nine[7] = RlpItem::u64(1);
  EXPECT_FALSE(decode_unsigned_transaction(rlp_encode(RlpItem::list(nine))).ok());

  // Trailing byte, other types, empty input, bad `to`.
  Bytes payload = signing_payload(eip1559_tx()).value();
  payload.push_back(0);
  EXPECT_FALSE(decode_unsigned_transaction(payload).ok());
  for (std::uint8_t type : {0x01, 0x03, 0x04, 0x7f}) {
    Bytes p = signing_payload(eip1559_tx()).value();
    p[0] = type;
    auto t = decode_unsigned_transaction(p);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message().find("unsupported transaction type"), std::string::npos) << t.error();
  }
  EXPECT_FALSE(decode_unsigned_transaction(Bytes{}).ok());
  nine[6] = RlpItem::u64(1);
  nine[7] = RlpItem();
  nine[3] = RlpItem::bytes(Bytes(19, 0x35));
  EXPECT_FALSE(decode_unsigned_transaction(rlp_encode(RlpItem::list(nine))).ok());
  nine[3] = RlpItem::bytes(Bytes(20, 0x35));
  EXPECT_TRUE(decode_unsigned_transaction(rlp_encode(RlpItem::list(nine))).ok());
  // Non-canonical integer (leading zero) is refused by the RLP integer reader.
  nine[0] = RlpItem::bytes(Bytes{0x00, 0x01});
  EXPECT_FALSE(decode_unsigned_transaction(rlp_encode(RlpItem::list(nine))).ok());
}

TEST(EvmUnsignedTx, ValidatesFields) {
  Transaction tx = eip1559_tx();
  // max priority fee above max fee: build the RLP by hand (signing_payload would refuse).
  std::vector<RlpItem> f = {RlpItem::u64(tx.chain_id), RlpItem::u64(1), RlpItem::u64(200), RlpItem::u64(100),
                            RlpItem::u64(21000), RlpItem::bytes(Bytes(20, 1)), RlpItem(), RlpItem(),
                            RlpItem::list()};
  Bytes p = {0x02};
  rlp_append(RlpItem::list(f), p);
  auto r = decode_unsigned_transaction(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  f[2] = RlpItem::u64(2);
  p = {0x02};
  rlp_append(RlpItem::list(f), p);
  EXPECT_TRUE(decode_unsigned_transaction(p).ok());
}

}  // namespace
}  // namespace nsl::evm
