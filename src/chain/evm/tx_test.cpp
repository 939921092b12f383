#include "chain/evm/tx.hpp"

#include <gtest/gtest.h>

#include <string>

#include "chain/evm/hex.hpp"
#include "chain/evm/signature.hpp"
#include "chain/evm/tx_json.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::evm {
namespace {

using crypto::testing::hex;
using crypto::testing::load_vectors;
using nlohmann::json;

Hash32 h32(std::string_view s) {
  const Bytes b = hex(s);
  Hash32 out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

U256 dec(const json& j) { return U256::from_decimal(j.get<std::string>()).value(); }

Transaction tx_from_fields(const json& f) {
  Transaction tx;
  tx.type = f["type"].get<int>() == 0 ? TxType::legacy : TxType::eip1559;
  tx.chain_id = f["chain_id"].get<std::uint64_t>();
  tx.nonce = f["nonce"].get<std::uint64_t>();
  tx.gas_limit = std::stoull(f["gas_limit"].get<std::string>());
  if (!f["to"].is_null()) tx.to = parse_address(f["to"].get<std::string>()).value();
  tx.value = dec(f["value"]);
  tx.data = hex(f["data"].get<std::string>());
  if (tx.type == TxType::legacy) {
    tx.gas_price = dec(f["gas_price"]);
  } else {
    tx.max_priority_fee_per_gas = dec(f["max_priority_fee_per_gas"]);
    tx.max_fee_per_gas = dec(f["max_fee_per_gas"]);
    for (const auto& e : f["access_list"]) {
      AccessListEntry entry{parse_address(e["address"].get<std::string>()).value(), {}};
      for (const auto& k : e["storageKeys"])
        entry.storage_keys.push_back(h32(k.get<std::string>()));
      tx.access_list.push_back(std::move(entry));
    }
  }
  return tx;
}

TEST(EvmTx, NeoXChainIds) {
  EXPECT_EQ(kNeoXMainNetChainId, 47763u);
  EXPECT_EQ(kNeoXTestNetChainId, 12227332u);
  EXPECT_EQ(kMaxChainId, 9223372036854775771u);
}

TEST(EvmTx, PublishedVectors) {
  const json cases = load_vectors("evm_tx.json");
  ASSERT_TRUE(cases.is_array());
  int passed = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const Transaction tx = tx_from_fields(c["fields"]);
    const auto key = SecretBytes::copy_of(hex(c["private_key"].get<std::string>()));

    EXPECT_EQ(to_0x_hex(signing_payload(tx).value()), c["signing_payload"]);
    EXPECT_EQ(to_0x_hex(signing_hash(tx).value()), c["signing_hash"]);

    auto signed_tx = sign_transaction(tx, key);
    ASSERT_TRUE(signed_tx.ok()) << signed_tx.error();
    const U256 v = tx.type == TxType::legacy ? legacy_v(tx.chain_id, signed_tx->sig.y_parity)
                                             : U256::from_u64(signed_tx->sig.y_parity);
    EXPECT_EQ(v, U256::from_u64(c["v"].get<std::uint64_t>()));
    EXPECT_EQ(signed_tx->sig.y_parity, c["y_parity"].get<int>());
    EXPECT_EQ(to_0x_hex(signed_tx->sig.r), c["r"]);
    EXPECT_EQ(to_0x_hex(signed_tx->sig.s), c["s"]);
    EXPECT_EQ(to_0x_hex(signed_tx->raw), c["signed_raw_tx"]);
    EXPECT_EQ(to_0x_hex(signed_tx->hash), c["tx_hash"]);
    EXPECT_EQ(signed_tx->from.to_checksum(), c["sender"]);

    const Bytes raw = hex(c["signed_raw_tx"].get<std::string>());
    auto decoded = decode_signed_transaction(raw, {.expected_chain_id = tx.chain_id});
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded->tx, tx);
    EXPECT_EQ(decoded->sig, signed_tx->sig);
    EXPECT_EQ(decoded->from.to_checksum(), c["sender"]);
    EXPECT_EQ(to_0x_hex(decoded->hash), c["tx_hash"]);
    EXPECT_EQ(decoded->raw, raw);
    EXPECT_EQ(encode_signed_transaction(decoded->tx, decoded->sig).value(), raw);
    EXPECT_EQ(recover_sender(decoded->tx, decoded->sig)->to_checksum(), c["sender"]);

    // JSON view: same field conventions as the vector file (snake_case storage_keys).
    const json j = decode_json(*decoded);
    const json& f = c["fields"];
    EXPECT_EQ(j["type"], f["type"]);
    EXPECT_EQ(j["chain_id"], f["chain_id"]);
    EXPECT_EQ(j["nonce"], f["nonce"]);
    EXPECT_EQ(j["to"], f["to"]);
    EXPECT_EQ(j["value"], f["value"]);
    EXPECT_EQ(j["gas_limit"], f["gas_limit"]);
    EXPECT_EQ(j["data"], f["data"]);
    EXPECT_EQ(j["v"], std::to_string(c["v"].get<std::uint64_t>()));
    EXPECT_EQ(j["r"], c["r"]);
    EXPECT_EQ(j["s"], c["s"]);
    EXPECT_EQ(j["hash"], c["tx_hash"]);
    EXPECT_EQ(j["from"], c["sender"]);
    if (tx.type == TxType::legacy) {
      EXPECT_EQ(j["gas_price"], f["gas_price"]);
      EXPECT_FALSE(j.contains("access_list"));
    } else {
      EXPECT_EQ(j["max_priority_fee_per_gas"], f["max_priority_fee_per_gas"]);
      EXPECT_EQ(j["max_fee_per_gas"], f["max_fee_per_gas"]);
      ASSERT_EQ(j["access_list"].size(), f["access_list"].size());
      for (std::size_t i = 0; i < f["access_list"].size(); ++i) {
        EXPECT_EQ(j["access_list"][i]["address"], f["access_list"][i]["address"]);
        EXPECT_EQ(j["access_list"][i]["storage_keys"], f["access_list"][i]["storageKeys"]);
      }
    }
    if (!HasFailure()) ++passed;
  }
  EXPECT_EQ(passed, 6);
  std::printf("[ evm_tx.json ] %d/%zu cases passed\n", passed, cases.size());
}

TEST(EvmTx, RoundTripWithFreshKeys) {
  for (int i = 0; i < 8; ++i) {
    const SecretBytes key = crypto::ec_generate_private_key(crypto::Curve::secp256k1);
    Transaction tx;
    tx.type = i % 2 == 0 ? TxType::legacy : TxType::eip1559;
    tx.chain_id = i % 4 < 2 ? kNeoXMainNetChainId : kNeoXTestNetChainId;
    tx.nonce = static_cast<std::uint64_t>(i) * 1000003;
    tx.gas_limit = 21000 + static_cast<std::uint64_t>(i);
    if (tx.type == TxType::legacy) {
      tx.gas_price = U256::from_u64(40'000'000'000);
    } else {
      tx.max_priority_fee_per_gas = U256::from_u64(i);
      tx.max_fee_per_gas = U256::from_u64(60'000'000'000);
    }
    if (i != 3) tx.to = address_from_private_key(key).value();
    tx.value = U256::from_u64(1).negated();  // 2^256 - 1 wei
    tx.data = Bytes(static_cast<std::size_t>(i) * 40, static_cast<std::uint8_t>(i));
    auto s = sign_transaction(tx, key);
    ASSERT_TRUE(s.ok()) << s.error();
    auto d = decode_signed_transaction(s->raw, {.expected_chain_id = tx.chain_id});
    ASSERT_TRUE(d.ok()) << d.error();
    EXPECT_EQ(d->tx, tx);
    EXPECT_EQ(d->from, address_from_private_key(key).value());
    EXPECT_EQ(d->hash, s->hash);
  }
}

// ---- rejection of malformed or unacceptable raw transactions
// -------------------------------------

const char* kLegacyRaw =  // neox-mainnet-legacy-transfer
    "f86f808509502f90008252089470997970c51812dc3a010c7d01b50e0d17dc79c888112210f4768db400808301754a"
    "a0d7c481db18472897abdaef3fe01287ac157da68e69f88075c6a577727d57ce94a07d0ffe33d9ec631c62a63b7c75"
    "71315173eb3cb7e5ba6a72fc1a02ebc8d1472a";
const char* kType2Raw =  // neox-testnet-eip1559-transfer
    "02f87683ba930401843b9aca00850ba43b740082520894353535353535353535353535353535353535353588016345"
    "785d8a000080c001a0a60ef81a074129a0e3603fc51f5a91879abb303fde229728d4073d64d4e73b87a06df2bd983d"
    "d4ae5c6d7b9b856b743a92386a523bd9280b681edb9e71283da7e3";

std::string decode_error(const Bytes& raw, const DecodeOptions& options = {}) {
  auto r = decode_signed_transaction(raw, options);
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  return r.error().message();
}

// Decodes `raw` (legacy or type 2) to its RLP list, lets `edit` change it, re-encodes.
template <class Edit>
Bytes edited(const char* raw_hex, Edit edit) {
  Bytes raw = hex(raw_hex);
  const bool typed = raw[0] == 0x02;
  RlpItem list = rlp_decode(ByteSpan(raw).subspan(typed ? 1 : 0)).value();
  edit(list.mutable_items());
  Bytes out;
  if (typed) out.push_back(0x02);
  rlp_append(list, out);
  return out;
}

TEST(EvmTxDecode, RejectsTypesAndFraming) {
  EXPECT_EQ(decode_error({}), "empty transaction");
  EXPECT_EQ(decode_error(Bytes{0x01, 0xc0}),
            "unsupported transaction type 0x01 (EIP-2930 access list)");
  EXPECT_EQ(decode_error(Bytes{0x03, 0xc0}), "unsupported transaction type 0x03 (EIP-4844 blob)");
  EXPECT_EQ(decode_error(Bytes{0x04, 0xc0}),
            "unsupported transaction type 0x04 (EIP-7702 set code)");
  EXPECT_EQ(decode_error(Bytes{0x00, 0xc0}), "unsupported transaction type 0x00");
  EXPECT_EQ(decode_error(Bytes{0x7f}), "unsupported transaction type 0x7f");
  EXPECT_EQ(
      decode_error(Bytes{0x83, 0x01, 0x02, 0x03}),
      "not a transaction: first byte 0x83 is neither a type byte (0x00-0x7f) nor an RLP list");
  EXPECT_EQ(decode_error(Bytes{0x02, 0x80}), "EIP-1559 payload must be an RLP list");
  Bytes trailing = hex(kLegacyRaw);
  trailing.push_back(0x00);
  EXPECT_EQ(decode_error(trailing), "rlp: 1 trailing bytes after the item at offset 113");
  Bytes truncated = hex(kType2Raw);
  truncated.pop_back();
  EXPECT_NE(decode_error(truncated).find("runs past the end"), std::string::npos);
  EXPECT_EQ(decode_error(edited(kLegacyRaw, [](auto& f) { f.pop_back(); })),
            "legacy transaction must have 9 fields, got 8");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f.push_back(RlpItem()); })),
            "EIP-1559 transaction must have 12 fields, got 13");
}

TEST(EvmTxDecode, ChainIdAndV) {
  EXPECT_EQ(decode_error(hex(kLegacyRaw), {.expected_chain_id = kNeoXTestNetChainId}),
            "transaction is for chain id 47763, expected 12227332");
  EXPECT_EQ(decode_error(hex(kType2Raw), {.expected_chain_id = kNeoXMainNetChainId}),
            "transaction is for chain id 12227332, expected 47763");
  for (std::uint64_t v : {0u, 1u, 26u, 29u, 35u, 36u}) {
    EXPECT_EQ(
        decode_error(edited(kLegacyRaw, [v](auto& f) { f[6] = RlpItem::u64(v); })),
        "v = " + std::to_string(v) +
            " is neither 27/28 nor an EIP-155 value chainId*2+35/36 with a non-zero chain id");
  }
  EXPECT_EQ(decode_error(edited(kLegacyRaw, [](auto& f) { f[6] = RlpItem::u64(~0ull); })),
            "v encodes a chain id above the EIP-2294 maximum");
  EXPECT_EQ(decode_error(edited(
                kLegacyRaw, [](auto& f) { f[6] = RlpItem::u256(U256::from_u64(1).negated()); })),
            "v is out of range");
  // v for chain 47764 with the mainnet signature: decodes, but recovers someone else.
  auto other = decode_signed_transaction(
      edited(kLegacyRaw, [](auto& f) { f[6] = RlpItem::u64(47764 * 2 + 36); }));
  ASSERT_TRUE(other.ok()) << other.error();
  EXPECT_EQ(other->tx.chain_id, 47764u);
  EXPECT_NE(other->from.to_checksum(), "0xE6DFA56335B116b7D6Ed176c8Bfa5ce73402582D");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[9] = RlpItem::u64(2); })),
            "y_parity must be 0 or 1");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[0] = RlpItem(); })),
            "chain_id must not be zero");
}

TEST(EvmTxDecode, PreEip155OnlyWhenAllowed) {
  const auto key =
      SecretBytes::copy_of(hex("4646464646464646464646464646464646464646464646464646464646464646"));
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = 0;
  tx.nonce = 1;
  tx.gas_price = U256::from_u64(1'000'000'000);
  tx.gas_limit = 21000;
  tx.to = parse_address("0x3535353535353535353535353535353535353535").value();
  tx.value = U256::from_u64(10);
  EXPECT_EQ(sign_transaction(tx, key).error().message(),
            "refusing to sign without replay protection: chain_id is zero");
  // Pre-EIP-155 signing payload: the six fields only.
  EXPECT_EQ(signing_payload(tx).value(),
            rlp_encode(RlpItem::list({RlpItem::u64(1), RlpItem::u256(tx.gas_price),
                                      RlpItem::u64(21000), RlpItem::bytes(ByteSpan(tx.to->bytes)),
                                      RlpItem::u64(10), RlpItem()})));
  const Signature65 sig65 = sign_hash_65(key, signing_hash(tx).value()).value();
  TxSignature sig;
  std::copy(sig65.begin(), sig65.begin() + 32, sig.r.begin());
  std::copy(sig65.begin() + 32, sig65.begin() + 64, sig.s.begin());
  sig.y_parity = static_cast<std::uint8_t>(sig65[64] - 27);
  const Bytes raw = encode_signed_transaction(tx, sig).value();
  EXPECT_EQ(decode_error(raw),
            "pre-EIP-155 transaction (v = 27/28, no chain id, replayable) is not accepted");
  auto ok = decode_signed_transaction(raw, {.allow_pre_eip155 = true});
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->tx, tx);
  EXPECT_EQ(ok->from.to_checksum(), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  EXPECT_TRUE(decode_json(*ok)["chain_id"].is_null());
  EXPECT_EQ(decode_json(*ok)["v"], std::to_string(27 + sig.y_parity));
}

// n - s for a 32-byte big-endian s (secp256k1 group order n).
Hash32 negate_mod_n(const Hash32& s) {
  const Bytes n = hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  Hash32 out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[static_cast<std::size_t>(i)] - s[static_cast<std::size_t>(i)] - borrow;
    borrow = d < 0 ? 1 : 0;
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

TEST(EvmTxDecode, SignatureChecks) {
  const SignedTx good = decode_signed_transaction(hex(kType2Raw)).value();
  // The malleated twin (r, n - s, flipped parity) is a valid ECDSA signature of the same signer,
  // and must be rejected (EIP-2).
  TxSignature high = good.sig;
  high.s = negate_mod_n(good.sig.s);
  high.y_parity ^= 1;
  const Bytes high_raw = encode_signed_transaction(good.tx, high).value();
  EXPECT_EQ(decode_error(high_raw), "signature s is in the upper half of the curve order (high-S)");

  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[10] = RlpItem(); })),
            "signature r is zero");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[11] = RlpItem(); })),
            "signature s is zero");
  EXPECT_EQ(
      decode_error(edited(kType2Raw, [](auto& f) { f[10] = RlpItem::bytes(Bytes(32, 0xff)); })),
      "ecdsa: r or s out of range");
  // r/s with a leading zero byte are not canonical RLP integers.
  EXPECT_EQ(decode_error(edited(kType2Raw,
                                [](auto& f) {
                                  Bytes r = f[10].data();
                                  r.insert(r.begin(), 0x00);
                                  f[10] = RlpItem::bytes(r);
                                })),
            "rlp: r has leading zeros");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[11] = RlpItem::bytes(Bytes(33, 1)); })),
            "rlp: s does not fit in 256 bits");
  // A changed field still decodes (the signature is over other bytes) but names another sender.
  auto tampered =
      decode_signed_transaction(edited(kType2Raw, [](auto& f) { f[6] = RlpItem::u64(1); }));
  if (tampered.ok()) {
    EXPECT_NE(tampered->from, good.from);
  }
}

TEST(EvmTxDecode, FieldShapes) {
  EXPECT_EQ(decode_error(edited(kType2Raw,
                                [](auto& f) {
                                  f[1] = RlpItem::bytes(Bytes{0, 1});
                                })),
            "rlp: nonce has leading zeros");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[5] = RlpItem::bytes(Bytes(19, 1)); })),
            "to must be empty or 20 bytes, got 19");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[7] = RlpItem::list(); })),
            "data must be a byte string");
  EXPECT_EQ(decode_error(edited(kType2Raw, [](auto& f) { f[8] = RlpItem(); })),
            "access_list must be a list");
  EXPECT_EQ(decode_error(edited(
                kType2Raw, [](auto& f) { f[8] = RlpItem::list({RlpItem::list({RlpItem()})}); })),
            "access_list[0] must be a list [address, storage_keys]");
  EXPECT_EQ(decode_error(edited(kType2Raw,
                                [](auto& f) {
                                  f[8] = RlpItem::list({RlpItem::list(
                                      {RlpItem::bytes(Bytes(20, 1)),
                                       RlpItem::list({RlpItem::bytes(Bytes(31, 1))})})});
                                })),
            "access_list[0].storage_keys entries must be 32-byte strings");
  EXPECT_EQ(decode_error(edited(kType2Raw,
                                [](auto& f) {
                                  f[2] = RlpItem::u64(2);
                                  f[3] = RlpItem::u64(1);
                                })),
            "max_priority_fee_per_gas exceeds max_fee_per_gas");
  EXPECT_EQ(decode_error(edited(kLegacyRaw, [](auto& f) { f[2] = RlpItem::bytes(Bytes(9, 1)); })),
            "rlp: gas_limit does not fit in 64 bits");
}

// Every single-byte change of a valid raw transaction is either rejected or decodes to a
// transaction that serializes back to exactly those bytes (no second encoding is accepted).
TEST(EvmTxDecode, MutationsAreRejectedOrCanonical) {
  for (const char* raw_hex : {kLegacyRaw, kType2Raw}) {
    const Bytes raw = hex(raw_hex);
    int accepted = 0;
    for (std::size_t pos = 0; pos < raw.size(); ++pos) {
      for (std::uint8_t delta : {0x01, 0x80, 0xff}) {
        Bytes m = raw;
        m[pos] = static_cast<std::uint8_t>(m[pos] ^ delta);
        auto d = decode_signed_transaction(m);
        if (!d.ok()) continue;
        ++accepted;
        EXPECT_EQ(encode_signed_transaction(d->tx, d->sig).value(), m) << "byte " << pos;
      }
    }
    EXPECT_LT(accepted, static_cast<int>(raw.size()) * 3);
  }
}

TEST(EvmTx, ValidationOfUnsignedFields) {
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = 1;
  tx.access_list.push_back({});
  EXPECT_EQ(validate_transaction(tx).error().message(),
            "a legacy transaction cannot carry an access_list");
  tx.access_list.clear();
  tx.max_fee_per_gas = U256::from_u64(1);
  EXPECT_FALSE(validate_transaction(tx).ok());
  tx = Transaction{};
  tx.chain_id = 1;
  tx.gas_price = U256::from_u64(1);
  EXPECT_FALSE(validate_transaction(tx).ok());  // type 2 with gas_price
  tx.gas_price = U256();
  tx.chain_id = kMaxChainId + 1;
  EXPECT_FALSE(validate_transaction(tx).ok());
  tx.chain_id = kMaxChainId;
  EXPECT_TRUE(validate_transaction(tx).ok());
  EXPECT_EQ(legacy_v(kMaxChainId, 1).to_decimal(), "18446744073709551578");
}

}  // namespace
}  // namespace nsl::evm
