#include "chain/neo/tx.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "chain/neo/script.hpp"
#include "chain/neo/testing/neo_testing.hpp"
#include "chain/neo/tx_json.hpp"
#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

using testing::hex;
using testing::hex_of;
constexpr auto kCurve = crypto::Curve::secp256r1;

// Network fees the estimator gives for the vector transactions (default policy: FeePerByte 1000,
// ExecFeeFactor 30): size * 1000 + 30 * 32784 per single-sig witness.
struct FeeExpectation {
  const char* id;
  std::int64_t estimate;
};
constexpr FeeExpectation kFees[] = {
    // Real MainNet tx: it paid exactly what N3's CalculateNetworkFee gives (249 bytes).
    {"mainnet-gas-transfer-aba1eda6", 1232520},
    // neon-js-built, never broadcast: their network_fee fields were chosen by the generator
    // (1230610, 2460720, 1128450) and are not all sufficient; see the test below.
    {"testnet-gas-transfer-neonjs", 1231520},
    {"mainnet-neo-transfer-2signers-neonjs", 2382040},
    {"testnet-global-scope-call-neonjs", 1204520},
};

TEST(NeoTx, Vectors) {
  const auto v = testing::load_vectors("neo_tx.json");
  ASSERT_TRUE(v.is_array());
  int n = 0;
  for (const auto& c : v) {
    const std::string id = c["id"];
    SCOPED_TRACE(id);
    const Bytes raw = hex(c["raw_tx"].get<std::string>());
    const std::uint32_t magic = c["network_magic"];
    const auto& f = c["fields"];

    auto tx = deserialize(raw);
    ASSERT_TRUE(tx.ok()) << tx.error();
    EXPECT_EQ(tx->version, f["version"].get<int>());
    EXPECT_EQ(tx->nonce, f["nonce"].get<std::uint32_t>());
    EXPECT_EQ(tx->system_fee, f["systemFee"].get<std::int64_t>());
    EXPECT_EQ(tx->network_fee, f["networkFee"].get<std::int64_t>());
    EXPECT_EQ(tx->valid_until_block, f["validUntilBlock"].get<std::uint32_t>());
    ASSERT_EQ(tx->signers.size(), f["signers"].size());
    for (std::size_t i = 0; i < tx->signers.size(); ++i) {
      const auto& s = f["signers"][i];
      EXPECT_EQ(tx->signers[i].account.to_string(), s["account"].get<std::string>());
      EXPECT_EQ(scopes_to_string(tx->signers[i].scopes), s["scopes"].get<std::string>());
      std::vector<std::string> contracts;
      for (const auto& h : tx->signers[i].allowed_contracts) contracts.push_back(h.to_string());
      EXPECT_EQ(contracts, s.value("allowedContracts", std::vector<std::string>{}));
      EXPECT_FALSE(s.contains("allowedGroups") || s.contains("rules"));
    }
    ASSERT_EQ(tx->attributes.size(), f["attributes"].size());
    for (std::size_t i = 0; i < tx->attributes.size(); ++i) {
      EXPECT_EQ(std::string(to_string(tx->attributes[i].type)),
                f["attributes"][i]["type"].get<std::string>());
    }
    EXPECT_EQ(hex_of(tx->script), f["script"].get<std::string>());
    ASSERT_EQ(tx->witnesses.size(), f["witnesses"].size());
    for (std::size_t i = 0; i < tx->witnesses.size(); ++i) {
      EXPECT_EQ(hex_of(tx->witnesses[i].invocation),
                f["witnesses"][i]["invocation"].get<std::string>());
      EXPECT_EQ(hex_of(tx->witnesses[i].verification),
                f["witnesses"][i]["verification"].get<std::string>());
    }

    // Byte-identical re-encoding, unsigned part, hash, signing data.
    auto again = serialize(*tx);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(hex_of(*again), c["raw_tx"].get<std::string>());
    EXPECT_EQ(again->size(), c["size"].get<std::size_t>());
    auto unsigned_part = serialize_unsigned(*tx);
    ASSERT_TRUE(unsigned_part.ok());
    EXPECT_EQ(hex_of(*unsigned_part), c["unsigned_tx"].get<std::string>());
    auto from_unsigned = deserialize_unsigned(*unsigned_part);
    ASSERT_TRUE(from_unsigned.ok()) << from_unsigned.error();
    Transaction stripped = *tx;
    stripped.witnesses.clear();
    EXPECT_EQ(*from_unsigned, stripped);
    auto h = tx_hash(*tx);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(hex_of(h->bytes), c["tx_hash_raw"].get<std::string>());
    EXPECT_EQ(h->to_string(), c["tx_hash"].get<std::string>());
    EXPECT_EQ(hex_of(sign_data(magic, *h)), c["sign_data"].get<std::string>());
    const auto digest = sign_digest(magic, *h);
    EXPECT_EQ(hex_of(digest), c["sign_digest_sha256"].get<std::string>());

    // Witness signatures: by hand (0c 40 <sig> against 0c 21 <key> 41 56e7b327) and through
    // verify_witnesses; a signature under the other network's magic must fail.
    for (const auto& w : tx->witnesses) {
      ASSERT_EQ(w.invocation.size(), 66u);
      ASSERT_EQ(w.invocation[0], 0x0c);
      ASSERT_EQ(w.invocation[1], 0x40);
      auto key = parse_signature_contract(w.verification);
      ASSERT_TRUE(key.has_value());
      EXPECT_TRUE(crypto::ecdsa_verify(kCurve, *key, digest, ByteSpan(w.invocation).subspan(2)));
    }
    auto ok = verify_witnesses(*tx, magic);
    EXPECT_TRUE(ok.ok()) << ok.error();
    const std::uint32_t other = magic == kMainNetMagic ? kTestNetMagic : kMainNetMagic;
    auto wrong = verify_witnesses(*tx, other);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message().find("signature does not verify"), std::string::npos);

    // Network fee estimate.
    auto fee = estimate_network_fee(*tx);
    ASSERT_TRUE(fee.ok()) << fee.error();
    EXPECT_EQ(fee->size, raw.size());  // standard witnesses: the estimate is the real size
    for (const auto& e : kFees) {
      if (id == e.id) {
        EXPECT_EQ(fee->total, e.estimate);
      }
    }
    if (c.value("real_mainnet", false)) {
      EXPECT_EQ(fee->total, tx->network_fee);
    }
    std::printf("  %-40s network_fee paid %8lld, estimated %8lld (size %zu)\n", id.c_str(),
                static_cast<long long>(tx->network_fee), static_cast<long long>(fee->total),
                fee->size);

    // JSON view.
    const auto j = decode_json(*tx, magic);
    EXPECT_EQ(j["hash"], c["tx_hash"]);
    EXPECT_EQ(j["size"], c["size"]);
    EXPECT_EQ(j["sign_data"], c["sign_data"]);
    EXPECT_EQ(j["sign_digest"], c["sign_digest_sha256"]);
    EXPECT_EQ(j["network"], c["network"]);
    EXPECT_EQ(j["valid"], true);
    EXPECT_EQ(j["system_fee"], std::to_string(tx->system_fee));
    EXPECT_EQ(j["script"], f["script"]);
    for (std::size_t i = 0; i < tx->signers.size(); ++i) {
      EXPECT_EQ(j["signers"][i]["address"], to_address(tx->signers[i].account));
      EXPECT_EQ(j["signers"][i]["scopes"], f["signers"][i]["scopes"]);
      EXPECT_EQ(j["witnesses"][i]["address"], j["signers"][i]["address"]);
    }
    if (c.contains("nep17_transfer")) {
      EXPECT_EQ(j["sender"], c["nep17_transfer"]["from"]);
    }
    ++n;
  }
  EXPECT_EQ(n, 4);
  std::printf(
      "neo_tx.json: %d cases passed (decode, fields, re-encode, hash, sign data, "
      "witnesses, fee, json)\n",
      n);
}

TEST(NeoTx, JsonExample) {
  const auto v = testing::load_vectors("neo_tx.json");
  auto tx = deserialize(hex(v[0]["raw_tx"].get<std::string>()));
  ASSERT_TRUE(tx.ok());
  const auto j = decode_json(*tx, kMainNetMagic);
  EXPECT_EQ(j["system_fee_gas"], "0.09977780");
  EXPECT_EQ(j["network_fee_gas"], "0.01232520");
  EXPECT_EQ(j["sender"], "NYKMfwzN1PdFK4i172zUWPXjWDBzCg1YrV");
  EXPECT_EQ(j["signers"][0]["account"], "0x27c24f8fbd406ea8d4929d9fd8a3b6b7d2d80d88");
  EXPECT_FALSE(j["signers"][0].contains("allowed_contracts"));
  EXPECT_EQ(j["network_magic"], kMainNetMagic);
  EXPECT_FALSE(j.contains("error"));
  // An invalid model is still shown, flagged.
  Transaction broken = *tx;
  broken.version = 1;
  const auto jb = decode_json(broken, 42);
  EXPECT_EQ(jb["valid"], false);
  EXPECT_EQ(jb["error"], "neo tx: version 1 is not 0");
  EXPECT_EQ(jb["network"], "custom");
}

// Builds, signs and checks an m-of-n multisig transaction end to end; the fee estimate must
// predict the signed size exactly.
TEST(NeoTx, MultisigSignVerifyAndFee) {
  std::vector<SecretBytes> keys;
  std::vector<PublicKey> pubs;
  for (int i = 0; i < 3; ++i) {
    keys.push_back(crypto::ec_generate_private_key(kCurve));
    pubs.push_back(crypto::ec_public_key(kCurve, keys.back()).value());
  }
  auto vscript = multisig_redeem_script(2, pubs);
  ASSERT_TRUE(vscript.ok());
  auto ms = parse_multisig_contract(*vscript);
  ASSERT_TRUE(ms.has_value());

  Transaction tx;
  tx.nonce = 7;
  tx.system_fee = 100;
  tx.valid_until_block = 1000;
  tx.signers.push_back({script_hash(*vscript)});
  tx.script = {0x11, 0x40};
  const Bytes scripts[] = {*vscript};
  auto fee = estimate_network_fee(tx, scripts);
  ASSERT_TRUE(fee.ok()) << fee.error();
  EXPECT_EQ(multisig_contract_cost(2, 3), 8 * 5 + 2 + 32768 * 3);
  EXPECT_EQ(fee->verification_fee, 30 * multisig_contract_cost(2, 3));
  tx.network_fee = fee->total;

  auto h = tx_hash(tx);
  ASSERT_TRUE(h.ok());
  const auto digest = sign_digest(kTestNetMagic, *h);
  // Signatures in the key order of the script: sign with the keys of ms->keys[0] and [2].
  auto sig_for = [&](const PublicKey& pub) {
    for (std::size_t i = 0; i < pubs.size(); ++i) {
      if (pubs[i] == pub) return crypto::ecdsa_sign(kCurve, keys[i], digest).value();
    }
    ADD_FAILURE() << "no key";
    return crypto::EcdsaSignature{};
  };
  ScriptBuilder inv;
  inv.push_bytes(sig_for(ms->keys[0])).push_bytes(sig_for(ms->keys[2]));
  tx.witnesses.push_back({inv.bytes(), *vscript});
  auto raw = serialize(tx);
  ASSERT_TRUE(raw.ok()) << raw.error();
  EXPECT_EQ(raw->size(), fee->size);
  EXPECT_EQ(fee->total, static_cast<std::int64_t>(raw->size()) * 1000 + fee->verification_fee);
  auto ok = verify_witnesses(tx, kTestNetMagic);
  EXPECT_TRUE(ok.ok()) << ok.error();

  // Signatures out of key order, a missing signature, a foreign script: all rejected.
  Transaction swapped = tx;
  ScriptBuilder inv2;
  inv2.push_bytes(sig_for(ms->keys[2])).push_bytes(sig_for(ms->keys[0]));
  swapped.witnesses[0].invocation = inv2.bytes();
  EXPECT_EQ(verify_witnesses(swapped, kTestNetMagic).error().message(),
            "neo tx: witness 0: multisig signatures do not verify");
  Transaction one = tx;
  one.witnesses[0].invocation.resize(66);
  EXPECT_EQ(verify_witnesses(one, kTestNetMagic).error().message(),
            "neo tx: witness 0: invocation script is not 2 64-byte signature pushes");
  Transaction foreign = tx;
  foreign.witnesses[0].verification = signature_redeem_script(pubs[0]).value();
  EXPECT_NE(verify_witnesses(foreign, kTestNetMagic).error().message().find("does not match"),
            std::string::npos);
  EXPECT_NE(estimate_network_fee(foreign).error().message().find("does not hash"),
            std::string::npos);
  Transaction custom = tx;
  custom.witnesses[0].verification = {0x11};  // PUSH1: some contract, not a standard account
  custom.signers[0].account = script_hash(custom.witnesses[0].verification);
  EXPECT_NE(verify_witnesses(custom, kTestNetMagic).error().message().find("unsupported"),
            std::string::npos);
  EXPECT_NE(estimate_network_fee(custom).error().message().find("neither"), std::string::npos);
}

TEST(NeoTx, FeeRules) {
  EXPECT_EQ(signature_contract_cost(), 32784);  // 2 * PUSHDATA1 (8) + SYSCALL (0) + CheckSig
  EXPECT_EQ(multisig_contract_cost(1, 1), 8 * 2 + 2 + 32768);
  const auto v = testing::load_vectors("neo_tx.json");
  auto tx = deserialize(hex(v[2]["raw_tx"].get<std::string>()));  // has HighPriority
  ASSERT_TRUE(tx.ok());
  FeePolicy p;
  p.attribute_fee = 5;
  auto base = estimate_network_fee(*tx).value();
  auto with_attr = estimate_network_fee(*tx, p).value();
  EXPECT_EQ(with_attr.total - base.total, 5);
  tx->attributes.push_back(TransactionAttribute::notary_assisted(3));
  tx->attributes.push_back(TransactionAttribute::conflicts_with(UInt256{}));
  auto na = estimate_network_fee(*tx, p).value();
  // NotaryAssisted: (3 + 1) * 10000000; Conflicts: 2 signers * 5; HighPriority: 5.
  EXPECT_EQ(na.attribute_fee, 4 * 10000000 + 2 * 5 + 5);
  p.exec_fee_factor = 0;
  EXPECT_FALSE(estimate_network_fee(*tx, p).ok());
  p.exec_fee_factor = 101;
  EXPECT_FALSE(estimate_network_fee(*tx, p).ok());
  const Bytes none[] = {Bytes{}};
  EXPECT_NE(estimate_network_fee(*tx, std::span<const Bytes>(none, 1))
                .error()
                .message()
                .find("1 verification scripts for 2 signers"),
            std::string::npos);
}

}  // namespace
}  // namespace nsl::neo
