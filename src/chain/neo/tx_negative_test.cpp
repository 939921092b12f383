// Rejections of the transaction codec (one test per rule in tx.hpp) and round trips of every
// field type.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "chain/neo/internal/tx_codec.hpp"
#include "chain/neo/testing/neo_testing.hpp"
#include "chain/neo/tx.hpp"
#include "chain/neo/tx_json.hpp"

namespace nsl::neo {
namespace {

using testing::hex;
using testing::hex_of;
using Type = WitnessConditionType;

const PublicKey kKey = [] {
  PublicKey k{};
  const Bytes b = hex("02028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef");
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}();

UInt160 account(std::uint8_t seed) {
  UInt160 h;
  h.bytes.fill(seed);
  return h;
}

Transaction base() {
  Transaction tx;
  tx.nonce = 1;
  tx.system_fee = 10;
  tx.network_fee = 20;
  tx.valid_until_block = 30;
  tx.signers.push_back({account(1)});
  tx.script = {0x11};
  tx.witnesses.push_back({Bytes(66, 0x0c), Bytes(40, 0x0c)});
  return tx;
}

// Encodes without validation, as an attacker could.
Bytes encode(const Transaction& tx) {
  internal::Writer w;
  internal::write_unsigned(w, tx);
  internal::write_witnesses(w, tx);
  return std::move(w).take();
}

WitnessCondition boolean(bool v) {
  WitnessCondition c;
  c.value = v;
  return c;
}
WitnessCondition composite(Type t, std::vector<WitnessCondition> e) {
  WitnessCondition c;
  c.type = t;
  c.expressions = std::move(e);
  return c;
}
Transaction with_rule(WitnessCondition c, WitnessRuleAction action = WitnessRuleAction::Allow) {
  Transaction tx = base();
  tx.signers[0].scopes = static_cast<std::uint8_t>(WitnessScope::WitnessRules);
  tx.signers[0].rules.push_back({action, std::move(c)});
  return tx;
}

bool has(const Error& e, std::string_view phrase) {
  return e.message().find(phrase) != std::string::npos;
}

// The encoded model must fail to decode with `wire`, and the model must fail to serialize with
// `model` (the same phrase unless the wire reader catches it first with its own words).
void expect_rejected(const Transaction& tx, std::string_view wire, std::string_view model = {}) {
  auto d = deserialize(encode(tx));
  ASSERT_FALSE(d.ok()) << wire;
  EXPECT_EQ(d.error().code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(has(d.error(), wire)) << d.error() << "\n  expected: " << wire;
  auto s = serialize(tx);
  ASSERT_FALSE(s.ok()) << wire;
  const std::string_view m = model.empty() ? wire : model;
  EXPECT_TRUE(has(s.error(), m)) << s.error() << "\n  expected: " << m;
}

void expect_accepted(const Transaction& tx) {
  auto s = serialize(tx);
  ASSERT_TRUE(s.ok()) << s.error();
  auto d = deserialize(*s);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(*d, tx);
  EXPECT_EQ(serialize(*d).value(), *s);
}

TEST(NeoTxReject, HeaderAndFees) {
  expect_accepted(base());
  Transaction tx = base();
  tx.version = 1;
  expect_rejected(tx, "neo tx: version 1 is not 0");
  tx = base();
  tx.system_fee = -1;
  expect_rejected(tx, "negative system_fee -1");
  tx = base();
  tx.network_fee = -5;
  expect_rejected(tx, "negative network_fee -5");
  tx = base();
  tx.system_fee = INT64_MAX;
  tx.network_fee = 1;
  expect_rejected(tx, "system_fee + network_fee overflows int64");
}

TEST(NeoTxReject, Signers) {
  Transaction tx = base();
  tx.signers.clear();
  tx.witnesses.clear();
  expect_rejected(tx, "no signers");
  tx = base();
  tx.signers.clear();
  tx.witnesses.clear();
  for (int i = 0; i < 17; ++i) {
    tx.signers.push_back({account(static_cast<std::uint8_t>(i))});
    tx.witnesses.push_back({});
  }
  expect_rejected(tx, "signer count: 17 exceeds the maximum 16 at offset 25",
                  "17 signers exceed the maximum 16");
  tx.signers.pop_back();
  tx.witnesses.pop_back();
  expect_accepted(tx);  // 16 signers are fine
  tx = base();
  tx.signers.push_back({account(1)});
  tx.witnesses.push_back({});
  expect_rejected(tx, "signer 1: duplicate account 0x0101010101010101010101010101010101010101");
  tx = base();
  tx.signers[0].scopes = 0x02;
  expect_rejected(tx, "signer 0: scopes 0x02 contain unknown bits 0x02");
  tx.signers[0].scopes = 0x81;
  expect_rejected(tx, "signer 0: Global scope combined with other scopes");
  tx.signers[0].scopes = 0x00;  // None: a fee-only signer
  expect_accepted(tx);
  tx.signers[0].scopes = 0x80;
  expect_accepted(tx);
}

TEST(NeoTxReject, SignerLists) {
  Transaction tx = base();
  tx.signers[0].scopes = 0x10;
  for (int i = 0; i < 17; ++i) tx.signers[0].allowed_contracts.push_back(account(9));
  expect_rejected(tx, "allowed contracts count: 17 exceeds the maximum 16",
                  "17 allowed contracts exceed the maximum 16");
  tx.signers[0].allowed_contracts.pop_back();
  expect_accepted(tx);
  tx = base();
  tx.signers[0].scopes = 0x20;
  tx.signers[0].allowed_groups.push_back(kKey);
  expect_accepted(tx);
  tx.signers[0].allowed_groups[0][32] ^= 0x01;  // off the curve
  expect_rejected(tx, "signer 0: allowed group 0 is not a valid compressed secp256r1 point");
  tx = base();
  tx.signers[0].scopes = 0x40;
  for (int i = 0; i < 17; ++i) tx.signers[0].rules.push_back({});
  expect_rejected(tx, "rules count: 17 exceeds the maximum 16", "17 rules exceed the maximum 16");
  tx = base();
  tx.signers[0].allowed_contracts.push_back(account(9));  // without CustomContracts
  auto s = serialize(tx);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(has(s.error(), "allowed contracts given without the CustomContracts scope"));
  tx = base();
  tx.signers[0].rules.push_back({});
  EXPECT_TRUE(has(serialize(tx).error(), "rules given without the WitnessRules scope"));
}

TEST(NeoTxReject, RulesAndConditions) {
  expect_rejected(with_rule(boolean(true), static_cast<WitnessRuleAction>(2)),
                  "signer 0 rule 0: action 0x02 is not Deny/Allow",
                  "signer 0 rule 0: action is not Deny/Allow");
  // Depth: the top condition, its children and grandchildren; no deeper.
  expect_accepted(with_rule(composite(Type::And, {composite(Type::And, {boolean(true)})})));
  expect_accepted(with_rule(composite(Type::Not, {composite(Type::Not, {boolean(false)})})));
  expect_rejected(with_rule(composite(
                      Type::And, {composite(Type::And, {composite(Type::And, {boolean(true)})})})),
                  "conditions nested deeper than MaxNestingDepth 3");
  expect_rejected(with_rule(composite(
                      Type::Not, {composite(Type::Or, {composite(Type::Not, {boolean(true)})})})),
                  "conditions nested deeper than MaxNestingDepth 3");
  expect_rejected(with_rule(composite(Type::And, {})), "And/Or condition without expressions",
                  "And/Or condition needs 1..16 expressions, has 0");
  expect_rejected(with_rule(composite(Type::Or, std::vector<WitnessCondition>(17, boolean(true)))),
                  "expression count: 17 exceeds the maximum 16", "needs 1..16 expressions, has 17");
  expect_accepted(with_rule(composite(Type::Or, std::vector<WitnessCondition>(16, boolean(true)))));
  WitnessCondition unknown;
  unknown.type = static_cast<Type>(0x04);
  expect_rejected(with_rule(unknown), "unknown condition type 0x04");
  WitnessCondition group;
  group.type = Type::CalledByGroup;
  group.group = kKey;
  expect_accepted(with_rule(group));
  group.group[32] ^= 0x01;
  expect_rejected(with_rule(group), "group is not a valid compressed secp256r1 point");
  // Model-only shapes.
  EXPECT_TRUE(
      has(serialize(with_rule(composite(Type::Not, {boolean(true), boolean(false)}))).error(),
          "Not condition needs exactly one expression"));
  EXPECT_TRUE(has(serialize(with_rule(composite(Type::Boolean, {boolean(true)}))).error(),
                  "Boolean condition has expressions"));
}

TEST(NeoTxReject, Attributes) {
  Transaction tx = base();
  for (int i = 0; i < 16; ++i) tx.attributes.push_back(TransactionAttribute::conflicts_with({}));
  expect_rejected(tx, "attribute count: 16 exceeds the maximum 15",
                  "16 attributes exceed the maximum 15 (16 minus 1 signers)");
  tx.attributes.pop_back();
  expect_accepted(tx);  // Conflicts may repeat
  for (const auto& a :
       {TransactionAttribute::high_priority(), TransactionAttribute::not_valid_before(5),
        TransactionAttribute::notary_assisted(2),
        TransactionAttribute::oracle_response(1, OracleResponseCode::Success, {})}) {
    tx = base();
    tx.attributes = {a, a};
    expect_rejected(tx, "attribute 1: duplicate " + std::string(to_string(a.type)) + " attribute");
  }
  tx = base();
  TransactionAttribute unknown;
  unknown.type = static_cast<AttributeType>(0x02);
  tx.attributes = {unknown};
  expect_rejected(tx, "attribute 0: unknown attribute type 0x02");
  tx.attributes = {
      TransactionAttribute::oracle_response(1, static_cast<OracleResponseCode>(1), {})};
  expect_rejected(tx, "attribute 0: undefined oracle response code 0x01");
  tx.attributes = {TransactionAttribute::oracle_response(1, OracleResponseCode::Timeout, {0x01})};
  expect_rejected(tx, "attribute 0: oracle result must be empty for code Timeout");
  tx.attributes = {
      TransactionAttribute::oracle_response(1, OracleResponseCode::Success, Bytes(65536))};
  expect_rejected(tx, "attribute 0 result length: 65536 exceeds the maximum 65535",
                  "oracle result of 65536 bytes exceeds 65535");
}

TEST(NeoTxReject, ScriptAndWitnesses) {
  Transaction tx = base();
  tx.script.clear();
  expect_rejected(tx, "neo tx: empty script");
  tx.script.assign(65536, 0x21);
  expect_rejected(tx, "script length: 65536 exceeds the maximum 65535",
                  "script of 65536 bytes exceeds 65535");
  tx.script.assign(65535, 0x21);
  expect_accepted(tx);
  tx = base();
  tx.witnesses.clear();
  expect_rejected(tx, "0 witnesses for 1 signers");
  tx = base();
  tx.witnesses.push_back({});
  expect_rejected(tx, "witness count: 2 exceeds the maximum 1", "2 witnesses for 1 signers");
  tx = base();
  tx.witnesses[0].invocation.assign(1025, 0);
  expect_rejected(tx, "witness 0 invocation script length: 1025 exceeds the maximum 1024",
                  "witness 0: invocation script of 1025 bytes exceeds 1024");
  tx.witnesses[0].invocation.assign(1024, 0);
  expect_accepted(tx);
  tx = base();
  tx.witnesses[0].verification.assign(1025, 0);
  expect_rejected(tx, "witness 0 verification script length: 1025 exceeds the maximum 1024",
                  "witness 0: verification script of 1025 bytes exceeds 1024");
}

TEST(NeoTxReject, MaximumSize) {
  Transaction tx = base();
  tx.script.assign(65535, 0x21);
  tx.signers.clear();
  tx.witnesses.clear();
  for (int i = 0; i < 16; ++i) {
    Signer signer{account(static_cast<std::uint8_t>(i))};
    signer.scopes = 0x10;
    signer.allowed_contracts.assign(16, account(0xEE));
    tx.signers.push_back(signer);
    tx.witnesses.push_back({Bytes(1024, 0), Bytes(1024, 0)});
  }
  const Bytes raw = encode(tx);
  ASSERT_GT(raw.size(), kMaxTransactionSize);
  EXPECT_TRUE(
      has(deserialize(raw).error(),
          std::to_string(raw.size()) + " bytes exceed the maximum transaction size 102400"));
  EXPECT_TRUE(has(serialize(tx).error(), "exceed the maximum transaction size 102400"));
}

TEST(NeoTxReject, WireOnlyProblems) {
  const Bytes good = encode(base());
  ASSERT_TRUE(deserialize(good).ok());
  EXPECT_EQ(deserialize({}).error().message(), "neo tx: empty input");
  Bytes b = good;
  b.push_back(0);
  EXPECT_EQ(
      deserialize(b).error().message(),
      "neo tx: 1 trailing bytes after the transaction at offset " + std::to_string(good.size()));
  // Non-minimal var-int: the signer count 1 written as fd 01 00.
  b = good;
  b[25] = 0xFD;
  b.insert(b.begin() + 26, {0x01, 0x00});
  EXPECT_EQ(deserialize(b).error().message(),
            "neo tx: signer count: var-int is not minimally encoded at offset 25");
  // Group keys: uncompressed and bad prefixes.
  Transaction tx = base();
  tx.signers[0].scopes = 0x20;
  tx.signers[0].allowed_groups.push_back(kKey);
  const Bytes with_group = encode(tx);
  const std::size_t key_at = 25 + 1 + 20 + 1 + 1;  // count, account, scopes, list count
  ASSERT_EQ(with_group[key_at], 0x02);
  b = with_group;
  b[key_at] = 0x04;
  EXPECT_TRUE(has(deserialize(b).error(), "allowed group 0: uncompressed point"));
  b[key_at] = 0x05;
  EXPECT_TRUE(has(deserialize(b).error(), "invalid point prefix 0x05"));
  // A Boolean condition byte other than 0/1.
  Bytes with_bool = encode(with_rule(boolean(true)));
  const std::size_t bool_at = 25 + 1 + 20 + 1 + 1 + 1 + 1;  // ..., rule count, action, type
  ASSERT_EQ(with_bool[bool_at], 0x01);
  with_bool[bool_at] = 0x02;
  EXPECT_TRUE(has(deserialize(with_bool).error(), "boolean byte 0x02 is not 0 or 1"));
}

TEST(NeoTxReject, TruncationsAndMutationsOfVectors) {
  const auto v = testing::load_vectors("neo_tx.json");
  int accepted_mutations = 0;
  for (const auto& c : v) {
    const Bytes raw = hex(c["raw_tx"].get<std::string>());
    for (std::size_t n = 0; n < raw.size(); ++n) {
      EXPECT_FALSE(deserialize(ByteSpan(raw).first(n)).ok()) << n;
    }
    // Any accepted mutation must re-encode to exactly the mutated bytes (canonical decoding).
    for (std::size_t i = 0; i < raw.size(); ++i) {
      for (std::uint8_t x : {0x01, 0x80, 0xFF}) {
        Bytes m = raw;
        m[i] ^= x;
        auto tx = deserialize(m);
        if (!tx.ok()) continue;
        ++accepted_mutations;
        auto again = serialize(*tx);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, m) << i;
      }
    }
  }
  EXPECT_GT(accepted_mutations, 0);
}

TEST(NeoTxRoundTrip, EveryFieldType) {
  Transaction tx = base();
  tx.nonce = 0xFFFFFFFF;
  tx.system_fee = INT64_MAX - 1;
  tx.network_fee = 1;
  tx.valid_until_block = 0xFFFFFFFF;
  Signer s{account(7)};
  s.scopes = 0x71;  // CalledByEntry | CustomContracts | CustomGroups | WitnessRules
  s.allowed_contracts = {account(8), account(9)};
  s.allowed_groups = {kKey};
  WitnessCondition hash;
  hash.type = Type::ScriptHash;
  hash.hash = account(3);
  WitnessCondition by_contract = hash;
  by_contract.type = Type::CalledByContract;
  WitnessCondition group;
  group.type = Type::Group;
  group.group = kKey;
  WitnessCondition entry;
  entry.type = Type::CalledByEntry;
  s.rules.push_back({WitnessRuleAction::Deny,
                     composite(Type::Or, {composite(Type::Not, {hash}), by_contract, group})});
  s.rules.push_back({WitnessRuleAction::Allow, composite(Type::And, {entry, boolean(false)})});
  tx.signers.push_back(s);
  tx.witnesses.push_back({Bytes{0x0c, 0x00}, Bytes(300, 0x21)});  // var-int fd 2c 01
  UInt256 conflict;
  conflict.bytes.fill(0xAB);
  tx.attributes = {
      TransactionAttribute::high_priority(),
      TransactionAttribute::oracle_response(42, OracleResponseCode::Success, Bytes(300, 7)),
      TransactionAttribute::not_valid_before(123456),
      TransactionAttribute::conflicts_with(conflict),
      TransactionAttribute::conflicts_with(UInt256{}),
      TransactionAttribute::notary_assisted(3)};
  tx.script.assign(300, 0x21);
  expect_accepted(tx);
  auto unsigned_only = deserialize_unsigned(serialize_unsigned(tx).value());
  ASSERT_TRUE(unsigned_only.ok()) << unsigned_only.error();
  EXPECT_TRUE(unsigned_only->witnesses.empty());

  const auto j = decode_json(tx, 5195086);
  ASSERT_TRUE(j["valid"].get<bool>());
  const auto& js = j["signers"][1];
  EXPECT_EQ(js["scopes"], "CalledByEntry, CustomContracts, CustomGroups, WitnessRules");
  EXPECT_EQ(js["allowed_groups"][0], hex_of(kKey));
  EXPECT_EQ(js["rules"][0]["action"], "Deny");
  EXPECT_EQ(js["rules"][0]["condition"]["type"], "Or");
  EXPECT_EQ(js["rules"][0]["condition"]["expressions"][0]["expression"]["hash"],
            account(3).to_string());
  EXPECT_EQ(js["rules"][1]["condition"]["expressions"][1]["expression"], false);
  EXPECT_EQ(j["attributes"][1]["id"], 42);
  EXPECT_EQ(j["attributes"][1]["code"], "Success");
  EXPECT_EQ(j["attributes"][2]["height"], 123456);
  EXPECT_EQ(j["attributes"][3]["hash"], conflict.to_string());
  EXPECT_EQ(j["attributes"][5]["nkeys"], 3);
  EXPECT_EQ(j["network_fee_gas"], "0.00000001");
}

}  // namespace
}  // namespace nsl::neo
