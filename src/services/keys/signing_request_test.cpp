#include "services/keys/signing_request.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chain/evm/hex.hpp"
#include "chain/neo/account.hpp"
#include "chain/neo/script.hpp"
#include "core/json_strict.hpp"
#include "crypto/ecdsa.hpp"

namespace nsl::keys {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// An N3 address to send to (the script hash 0x0101…01).
std::string to_address() {
  neo::UInt160 h;
  h.bytes.fill(1);
  return neo::to_address(h);
}

json parse(std::string_view text_in) {
  std::string text(text_in);
  for (std::size_t at; (at = text.find("@TO@")) != std::string::npos;) text.replace(at, 4, to_address());
  auto j = parse_json_strict(text);
  EXPECT_TRUE(j.ok()) << j.error();
  return j.ok() ? *j : json::object();
}

template <class T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? "" : r.error().message();
}

TEST(EvmTxJson, TheIssueShapeBuildsAType2Transaction) {
  auto tx = evm_tx_from_json(parse(R"({"type": 2, "nonce": 0, "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      "value": "1000000000000000000", "gas_limit": 21000, "max_fee_per_gas": "30000000000",
      "max_priority_fee_per_gas": "1000000000", "data": "0x"})"),
                             12227332);
  ASSERT_TRUE(tx.ok()) << tx.error();
  EXPECT_EQ(tx->type, evm::TxType::eip1559);
  EXPECT_EQ(tx->chain_id, 12227332u);
  EXPECT_EQ(tx->gas_limit, 21000u);
  EXPECT_EQ(tx->value.to_decimal(), "1000000000000000000");
  ASSERT_TRUE(tx->to.has_value());
  EXPECT_TRUE(evm::signing_payload(*tx).ok());
  // Type 0 with gas_price; no `to` is contract creation.
  auto legacy = evm_tx_from_json(parse(R"({"type": 0, "nonce": "7", "gas_limit": "100000",
      "gas_price": "20000000000", "data": "0x6080"})"),
                                 47763);
  ASSERT_TRUE(legacy.ok()) << legacy.error();
  EXPECT_EQ(legacy->nonce, 7u);
  EXPECT_FALSE(legacy->to.has_value());
}

TEST(EvmTxJson, MistakesAreNamed) {
  auto bad = [](std::string_view text) { return error_of(evm_tx_from_json(parse(text), 1)); };
  EXPECT_THAT(bad(R"({"nonce": 0, "gas_limit": 21000, "max_fee_per_gas": "1", "max_priority_fee_per_gas": "1", "gas": 1})"),
              HasSubstr("unknown field 'transaction.gas'"));
  EXPECT_THAT(bad(R"({"nonce": 0, "gas_limit": 21000, "gas_price": "1", "max_fee_per_gas": "1", "max_priority_fee_per_gas": "1"})"),
              HasSubstr("gas_price is for type 0"));
  EXPECT_THAT(bad(R"({"type": 1, "nonce": 0, "gas_limit": 21000})"), HasSubstr("transaction.type must be 2"));
  EXPECT_THAT(bad(R"({"nonce": 0, "gas_limit": 21000, "max_fee_per_gas": "1"})"),
              HasSubstr("max_priority_fee_per_gas is required"));
  EXPECT_THAT(bad(R"({"nonce": -1, "gas_limit": 21000, "max_fee_per_gas": "1", "max_priority_fee_per_gas": "1"})"),
              HasSubstr("nonce must be a non-negative integer"));
  EXPECT_THAT(bad(R"({"nonce": 9007199254740993, "gas_limit": 21000, "max_fee_per_gas": "1", "max_priority_fee_per_gas": "1"})"),
              HasSubstr("beyond 2^53"));
  EXPECT_THAT(bad(R"({"nonce": 0, "gas_limit": 21000, "max_fee_per_gas": "1", "max_priority_fee_per_gas": "1",
      "value": "115792089237316195423570985008687907853269984665640564039457584007913129639936"})"),
              HasSubstr("value must be a decimal integer below 2^256"));
  EXPECT_THAT(bad(R"({"nonce": 0, "gas_limit": 21000, "max_fee_per_gas": "1", "max_priority_fee_per_gas": "1", "to": "0x12"})"),
              HasSubstr("transaction.to"));
  EXPECT_THAT(bad(R"({"nonce": 0, "gas_limit": 21000, "max_fee_per_gas": "1", "max_priority_fee_per_gas": "2"})"),
              HasSubstr("max_priority_fee_per_gas"));
}

class NeoTxJson : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = crypto::ec_generate_private_key(crypto::Curve::secp256r1);
    auto pub = crypto::ec_public_key(crypto::Curve::secp256r1, key_);
    ASSERT_TRUE(pub.ok());
    pub_ = *pub;
    auto v = neo::signature_redeem_script(pub_);
    ASSERT_TRUE(v.ok());
    verification_ = *v;
    account_ = neo::script_hash(verification_);
  }
  SecretBytes key_;
  crypto::CompressedPublicKey pub_{};
  crypto::Bytes verification_;
  neo::UInt160 account_;
};

TEST_F(NeoTxJson, ATransferIsBuiltForTheKeysAccountAndItsWitnessVerifies) {
  auto tx = neo_tx_from_json(parse(R"({"transfer": {"asset": "GAS", "to": "@TO@",
      "amount": "150000000"}, "valid_until_block": 1000, "system_fee": "997775", "nonce": 42})"),
                             account_, verification_);
  ASSERT_TRUE(tx.ok()) << tx.error();
  ASSERT_EQ(tx->signers.size(), 1u);
  EXPECT_EQ(tx->signers[0].account, account_);
  EXPECT_EQ(tx->nonce, 42u);
  EXPECT_EQ(tx->system_fee, 997775);
  EXPECT_EQ(tx->valid_until_block, 1000u);
  auto expected_fee = neo::estimate_network_fee(*tx, std::span<const crypto::Bytes>(&verification_, 1));
  ASSERT_TRUE(expected_fee.ok());
  EXPECT_EQ(tx->network_fee, expected_fee->total);
  auto gas = neo::UInt160::parse(kGasTokenHash);
  auto to = neo::address_to_script_hash(to_address());
  auto script = neo::nep17_transfer(*gas, account_, *to, "150000000", neo::ContractParam::null(),
                                    {.assert_result = true});
  EXPECT_EQ(tx->script, *script);

  auto hash = neo::tx_hash(*tx);
  ASSERT_TRUE(hash.ok());
  const auto digest = neo::sign_digest(neo::kTestNetMagic, *hash);
  auto sig = crypto::ecdsa_sign(crypto::Curve::secp256r1, key_, digest);
  ASSERT_TRUE(sig.ok());
  auto signed_tx = with_neo_witness(*tx, account_, verification_, *sig);
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error();
  EXPECT_TRUE(neo::verify_witnesses(*signed_tx, neo::kTestNetMagic).ok());
  EXPECT_FALSE(neo::verify_witnesses(*signed_tx, neo::kMainNetMagic).ok());
  // The same transaction given back as unsigned_tx (plain hex, as N3 tools print it) or whole.
  auto raw = neo::serialize_unsigned(*tx);
  ASSERT_TRUE(raw.ok());
  auto again = neo_tx_from_json(json{{"unsigned_tx", evm::to_0x_hex(*raw).substr(2)}}, account_, verification_);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*again, *tx);
  auto whole = neo::serialize(*signed_tx);
  auto cosign = neo_tx_from_json(json{{"unsigned_tx", evm::to_0x_hex(*whole)}}, account_, verification_);
  ASSERT_TRUE(cosign.ok()) << cosign.error();
  EXPECT_EQ(cosign->witnesses.size(), 1u);
  // A transaction the key does not sign for.
  neo::UInt160 other = account_;
  other.bytes[0] ^= 1;
  EXPECT_THAT(error_of(with_neo_witness(*tx, other, verification_, *sig)), HasSubstr("not a signer"));
}

TEST_F(NeoTxJson, AnInvocationTakesTypedArguments) {
  auto tx = neo_tx_from_json(parse(R"({"invoke": {"contract": "0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5",
      "method": "vote", "args": [{"type": "Hash160", "value": "@TO@"},
      {"type": "ByteArray", "value": "0x02ab"}, {"type": "Integer", "value": -5}, {"type": "Boolean", "value": true},
      {"type": "String", "value": "hi"}, {"type": "Array", "value": [{"type": "Any"}]}]},
      "valid_until_block": 5, "system_fee": 0, "network_fee": "123"})"),
                             account_, verification_);
  ASSERT_TRUE(tx.ok()) << tx.error();
  EXPECT_EQ(tx->network_fee, 123);
  neo::ScriptBuilder sb;
  auto neo_token = neo::UInt160::parse(kNeoTokenHash);
  auto to = neo::address_to_script_hash(to_address());
  const neo::ContractParam args[] = {
      neo::ContractParam::hash160(*to), neo::ContractParam::bytes({0x02, 0xab}), neo::ContractParam::integer(-5),
      neo::ContractParam::boolean(true), neo::ContractParam::string("hi"),
      neo::ContractParam::array({neo::ContractParam::null()})};
  sb.contract_call(*neo_token, "vote", neo::CallFlags::All, args);
  EXPECT_EQ(tx->script, sb.bytes());
}

TEST_F(NeoTxJson, MistakesAreNamed) {
  auto bad = [&](std::string_view text) { return error_of(neo_tx_from_json(parse(text), account_, verification_)); };
  EXPECT_THAT(bad(R"({"valid_until_block": 5})"), HasSubstr("exactly one of unsigned_tx, transfer or invoke"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "GAS", "to": "@TO@", "amount": "1"},
      "invoke": {}})"),
              HasSubstr("exactly one"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "GAS", "to": "@TO@", "amount": "1"},
      "system_fee": "0"})"),
              HasSubstr("valid_until_block is required"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "GAS", "to": "@TO@", "amount": "1"},
      "valid_until_block": 9})"),
              HasSubstr("system_fee is required"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "BTC", "to": "@TO@", "amount": "1"},
      "valid_until_block": 9, "system_fee": "0"})"),
              HasSubstr("transfer.asset"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "GAS", "to": "Nxx", "amount": "1"}, "valid_until_block": 9, "system_fee": "0"})"),
              HasSubstr("transfer.to"));
  EXPECT_TRUE(to_address().starts_with("N"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "GAS", "to": "@TO@", "amount": "-1"},
      "valid_until_block": 9, "system_fee": "0"})"),
              HasSubstr("amount"));
  EXPECT_THAT(bad(R"({"transfer": {"asset": "GAS", "to": "@TO@", "amount": "1", "memo": "x"},
      "valid_until_block": 9, "system_fee": "0"})"),
              HasSubstr("unknown field 'transfer.memo'"));
  EXPECT_THAT(bad(R"({"invoke": {"contract": "0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5", "method": "m",
      "args": [{"type": "Float", "value": 1}]}, "valid_until_block": 9, "system_fee": "0"})"),
              HasSubstr("invoke.args[0].type must be one of"));
  EXPECT_THAT(bad(R"({"unsigned_tx": "00zz"})"), HasSubstr("unsigned_tx"));
  EXPECT_THAT(bad(R"({"unsigned_tx": "0001", "valid_until_block": 3})"), HasSubstr("part of unsigned_tx already"));
}

}  // namespace
}  // namespace nsl::keys
