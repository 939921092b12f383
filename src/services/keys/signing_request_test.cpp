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

// Three keys, 2-of-3: signatures are gathered one co-signer at a time (each passing the previous
// partial witness on in the transaction) or supplied in the request, and the final witness is what
// CheckMultisig accepts.
class NeoMultisigJson : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& k : keys_) {
      k = crypto::ec_generate_private_key(crypto::Curve::secp256r1);
      pubs_.push_back(crypto::ec_public_key(crypto::Curve::secp256r1, k).value());
    }
  }
  json spec(std::size_t m, const json& extra = json::object()) const {
    json j{{"threshold", m}, {"public_keys", json::array()}};
    for (const auto& p : pubs_) j["public_keys"].push_back(evm::to_0x_hex(p).substr(2));
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    return j;
  }
  crypto::Bytes sign(std::size_t who, const neo::Transaction& tx, std::uint32_t magic = neo::kTestNetMagic) {
    const auto digest = neo::sign_digest(magic, neo::tx_hash(tx).value());
    auto s = crypto::ecdsa_sign(crypto::Curve::secp256r1, keys_[who], digest).value();
    return crypto::Bytes(s.begin(), s.end());
  }
  neo::Transaction transfer(const NeoMultisig& ms) {
    auto tx = neo_tx_from_json(parse(R"({"transfer": {"asset": "NEO", "to": "@TO@", "amount": "1"},
        "valid_until_block": 500, "system_fee": "1000000"})"),
                               ms.account, ms.verification);
    EXPECT_TRUE(tx.ok()) << tx.error();
    return tx.ok() ? *tx : neo::Transaction{};
  }
  SecretBytes keys_[3];
  std::vector<crypto::CompressedPublicKey> pubs_;
};

TEST_F(NeoMultisigJson, TwoCoSignersCompleteTheWitnessInKeyOrder) {
  auto ms0 = neo_multisig_from_json(spec(2), pubs_[0]);
  ASSERT_TRUE(ms0.ok()) << ms0.error();
  EXPECT_EQ(ms0->threshold, 2u);
  EXPECT_EQ(ms0->keys.size(), 3u);
  EXPECT_EQ(ms0->verification, neo::multisig_redeem_script(2, pubs_).value());
  const neo::Transaction tx = transfer(*ms0);
  ASSERT_EQ(tx.signers.size(), 1u);
  EXPECT_EQ(tx.signers[0].account, ms0->account);
  // The fee estimate is the multisig witness's.
  EXPECT_EQ(tx.network_fee,
            neo::estimate_network_fee(tx, std::span<const crypto::Bytes>(&ms0->verification, 1)).value().total);

  auto first = with_neo_multisig_witness(tx, *ms0, neo::kTestNetMagic, pubs_[0], sign(0, tx));
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_FALSE(first->complete);
  ASSERT_EQ(first->signed_by.size(), 1u);
  EXPECT_EQ(first->signed_by[0], pubs_[0]);
  EXPECT_FALSE(neo::verify_witnesses(first->tx, neo::kTestNetMagic).ok());

  // The second co-signer receives the partial transaction (as sign-transaction's unsigned_tx).
  auto passed = neo_tx_from_json(json{{"unsigned_tx", evm::to_0x_hex(neo::serialize(first->tx).value())}},
                                 ms0->account, ms0->verification);
  ASSERT_TRUE(passed.ok()) << passed.error();
  auto ms2 = neo_multisig_from_json(spec(2), pubs_[2]);
  ASSERT_TRUE(ms2.ok());
  auto second = with_neo_multisig_witness(*passed, *ms2, neo::kTestNetMagic, pubs_[2], sign(2, tx));
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_TRUE(second->complete);
  EXPECT_EQ(second->signed_by.size(), 2u);
  EXPECT_TRUE(neo::verify_witnesses(second->tx, neo::kTestNetMagic).ok());
  EXPECT_EQ(neo_invocation_signatures(second->tx.witnesses[0].invocation)->size(), 2u);

  // A third signature keeps exactly `threshold` of them in the witness.
  auto ms1 = neo_multisig_from_json(spec(2), pubs_[1]);
  auto third = with_neo_multisig_witness(second->tx, *ms1, neo::kTestNetMagic, pubs_[1], sign(1, tx));
  ASSERT_TRUE(third.ok()) << third.error();
  EXPECT_EQ(third->signed_by.size(), 3u);
  EXPECT_EQ(neo_invocation_signatures(third->tx.witnesses[0].invocation)->size(), 2u);
  EXPECT_TRUE(neo::verify_witnesses(third->tx, neo::kTestNetMagic).ok());
}

TEST_F(NeoMultisigJson, SuppliedSignaturesAreCheckedAndUsed) {
  auto ms_probe = neo_multisig_from_json(spec(2), pubs_[1]);
  ASSERT_TRUE(ms_probe.ok());
  const neo::Transaction tx = transfer(*ms_probe);
  const std::string other_sig = evm::to_0x_hex(sign(0, tx));
  auto ms = neo_multisig_from_json(
      spec(2, json{{"signatures", json::array({json{{"public_key", evm::to_0x_hex(pubs_[0]).substr(2)},
                                                    {"signature", other_sig}}})}}),
      pubs_[1]);
  ASSERT_TRUE(ms.ok()) << ms.error();
  auto done = with_neo_multisig_witness(tx, *ms, neo::kTestNetMagic, pubs_[1], sign(1, tx));
  ASSERT_TRUE(done.ok()) << done.error();
  EXPECT_TRUE(done->complete);
  EXPECT_TRUE(neo::verify_witnesses(done->tx, neo::kTestNetMagic).ok());

  // A supplied signature over another network (or by another key) is refused by name.
  auto wrong = neo_multisig_from_json(
      spec(2, json{{"signatures", json::array({json{{"public_key", evm::to_0x_hex(pubs_[0]).substr(2)},
                                                    {"signature", evm::to_0x_hex(sign(0, tx, neo::kMainNetMagic))}}})}}),
      pubs_[1]);
  ASSERT_TRUE(wrong.ok());
  EXPECT_THAT(error_of(with_neo_multisig_witness(tx, *wrong, neo::kTestNetMagic, pubs_[1], sign(1, tx))),
              HasSubstr("multisig.signatures[0] does not verify"));
  // A partial witness made for another network does not verify either.
  auto first = with_neo_multisig_witness(tx, *ms_probe, neo::kMainNetMagic, pubs_[1], sign(1, tx, neo::kMainNetMagic));
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(error_of(with_neo_multisig_witness(first->tx, *ms_probe, neo::kTestNetMagic, pubs_[1], sign(1, tx))),
              HasSubstr("does not verify for this transaction"));
}

TEST_F(NeoMultisigJson, MistakesAreNamed) {
  auto bad = [&](const json& j, std::size_t who = 0) { return error_of(neo_multisig_from_json(j, pubs_[who])); };
  EXPECT_THAT(bad(spec(0)), HasSubstr("threshold must be 1..3"));
  EXPECT_THAT(bad(spec(4)), HasSubstr("threshold must be 1..3"));
  json missing_me = spec(1);
  missing_me["public_keys"].erase(0);
  EXPECT_THAT(bad(missing_me), HasSubstr("does not list this key"));
  json dup = spec(1);
  dup["public_keys"].push_back(dup["public_keys"][0]);
  EXPECT_THAT(bad(dup), HasSubstr("duplicate public key"));
  json not_point = spec(1);
  not_point["public_keys"][1] = "02" + std::string(64, 'f');  // x >= p
  EXPECT_THAT(bad(not_point), HasSubstr("multisig.public_keys[1] must be a compressed secp256r1 public key"));
  EXPECT_THAT(bad(spec(1, json{{"extra", 1}})), HasSubstr("unknown field 'multisig.extra'"));
  const std::string k0 = evm::to_0x_hex(pubs_[0]).substr(2);
  const std::string sig = "0x" + std::string(128, '1');
  EXPECT_THAT(bad(spec(1, json{{"signatures", json::array({json{{"public_key", k0}, {"signature", sig}},
                                                           json{{"public_key", k0}, {"signature", sig}}})}})),
              HasSubstr("a second signature for the same public key"));
  EXPECT_THAT(bad(spec(1, json{{"signatures", json::array({json{{"public_key", k0}, {"signature", "0x12"}}})}})),
              HasSubstr("multisig.signatures[0].signature must be 64 bytes"));
  json too_many = spec(1);
  for (int i = 0; i < 64; ++i) too_many["public_keys"].push_back(too_many["public_keys"][0]);
  EXPECT_THAT(bad(too_many), HasSubstr("at most 64 keys"));
  // Invocation scripts that are not a run of 64-byte pushes.
  EXPECT_FALSE(neo_invocation_signatures(crypto::Bytes{0x0C, 0x40}).has_value());
  EXPECT_TRUE(neo_invocation_signatures(crypto::Bytes{})->empty());
}

}  // namespace
}  // namespace nsl::keys
