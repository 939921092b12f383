#include "signing/evaluate.hpp"

#include <gtest/gtest.h>

#include <string>

#include "signing/test_support.hpp"

namespace nsl::signing {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test builders

constexpr std::int64_t kMonday = 1704067200;  // 2024-01-01T00:00:00Z, a Monday
const std::string kGas = "neo:0xd2a4cff31913016155e38e474a2c06d08be276cf";
const std::string kToken = "evm:0x1111111111111111111111111111111111111111";

Policy policy(std::string_view json) {
  auto p = parse_policy(json);
  EXPECT_TRUE(p.ok()) << p.error();
  return p.ok() ? *p : Policy{};
}

Decoded decode(Format f, const Bytes& payload, std::uint32_t magic = neo::kMainNetMagic) {
  auto d = inspect(f, payload, {.network_magic = magic});
  EXPECT_TRUE(d.ok()) << d.error();
  return d.ok() ? *d : Decoded{};
}

Decoded neo_decoded(const Bytes& script) { return decode(Format::neo_tx, neo_payload(script)); }
Decoded evm_decoded(const evm::Transaction& tx) { return decode(Format::evm_tx, evm_payload(tx)); }

Context ctx(std::int64_t now = kMonday + 12 * 3600, Moves spent = {}) {
  return {.now_unix = now, .network_magic = neo::kMainNetMagic, .spent_24h = std::move(spent)};
}

void expect_allowed(const Policy& p, const Decoded& d, const Context& c = ctx()) {
  auto r = evaluate(p, d, c);
  EXPECT_TRUE(r.ok()) << r.error();
}

void expect_denied(const Policy& p, const Decoded& d, std::string_view message, const Context& c = ctx()) {
  auto r = evaluate(p, d, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);
  EXPECT_NE(r.error().message().find(message), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().rfind("signing policy: ", 0), 0u) << r.error().message();
}

TEST(SigningEvaluate, RawDigestsOnlyWhenAllowed) {
  const Decoded d = decode(Format::raw_digest, Bytes(32, 1));
  expect_denied(policy("{}"), d, "signing policy: allow_raw_digest: raw digests are opaque");
  expect_allowed(policy(R"({"allow_raw_digest": true})"), d);
}

TEST(SigningEvaluate, MessagesUnlessForbidden) {
  const Policy no = policy(R"({"allow_messages": false})");
  for (const Decoded& d : {decode(Format::neo_message, bytes_of("hi")), decode(Format::eip191, bytes_of("hi")),
                           decode(Format::eip712, bytes_of(kTypedData))}) {
    expect_allowed(policy("{}"), d);
    expect_denied(no, d, "signing policy: allow_messages: message signing is not allowed");
    auto m = evaluate(policy("{}"), d, ctx());
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->empty());
  }
}

TEST(SigningEvaluate, TimeWindowsAtTheirBoundaries) {
  const Policy p = policy(R"({"allow_raw_digest": true, "time_windows": [
      {"days": ["mon"], "start": "09:00", "end": "17:00"}, {"days": ["sun"], "start": "23:00", "end": "24:00"}]})");
  const Decoded d = decode(Format::raw_digest, Bytes(32, 1));
  expect_allowed(p, d, ctx(kMonday + 9 * 3600));
  expect_allowed(p, d, ctx(kMonday + 17 * 3600 - 1));
  expect_denied(p, d, "signing policy: time_windows: Mon 08:59 UTC is outside every signing window",
                ctx(kMonday + 9 * 3600 - 1));
  expect_denied(p, d, "Mon 17:00 UTC", ctx(kMonday + 17 * 3600));
  expect_denied(p, d, "Tue 10:00 UTC", ctx(kMonday + 86400 + 10 * 3600));
  expect_allowed(p, d, ctx(kMonday - 1));  // Sunday 23:59:59
  expect_denied(p, d, "Sun 22:59 UTC", ctx(kMonday - 3601));
  expect_allowed(p, d, ctx(kMonday + 7 * 86400 + 9 * 3600));  // the next Monday
}

TEST(SigningEvaluate, Networks) {
  const Policy p = policy(R"({"networks": {"neo": [860833102], "evm": [47763]}})");
  const Decoded n = neo_decoded(transfer_script(gas(), "1"));
  expect_allowed(p, n);
  Context testnet = ctx();
  testnet.network_magic = neo::kTestNetMagic;
  expect_denied(p, n, "signing policy: networks: N3 network 894710606 is not allowed", testnet);
  expect_allowed(p, evm_decoded(evm_tx(carol(), 1)));
  expect_denied(p, evm_decoded(evm_tx(carol(), 1, {}, 1)), "signing policy: networks: EVM chain id 1 is not allowed");
  expect_allowed(p, decode(Format::eip712, bytes_of(kTypedData)));
  std::string other(kTypedData);
  other.replace(other.find("47763"), 5, "5");
  expect_denied(p, decode(Format::eip712, bytes_of(other)), "EVM chain id 5 is not allowed");
  // Only the EVM list: N3 networks are unrestricted.
  expect_allowed(policy(R"({"networks": {"evm": [1]}})"), n, testnet);
}

TEST(SigningEvaluate, NeoContracts) {
  const Policy p = policy(R"({"neo_contracts": [
      {"hash": "0xd2a4cff31913016155e38e474a2c06d08be276cf", "methods": ["transfer"]},
      {"hash": "0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5"}]})");
  expect_allowed(p, neo_decoded(transfer_script(gas(), "1", true)));
  expect_allowed(p, neo_decoded(transfer_script(neo_token(), "1")));
  neo::ScriptBuilder vote;
  vote.contract_call(neo_token(), "vote", neo::CallFlags::All, {});
  expect_allowed(p, neo_decoded(vote.bytes()));
  neo::ScriptBuilder other;
  other.contract_call(bob(), "transfer", neo::CallFlags::All, {});
  expect_denied(p, neo_decoded(other.bytes()),
                "signing policy: neo_contracts: contract 0x0202020202020202020202020202020202020202 is not allowed");
  neo::ScriptBuilder approve;
  approve.contract_call(gas(), "approve", neo::CallFlags::All, {});
  expect_denied(p, neo_decoded(approve.bytes()),
                "signing policy: neo_contracts: method 'approve' of contract "
                "0xd2a4cff31913016155e38e474a2c06d08be276cf is not allowed");
  // A second call to a forbidden contract after an allowed one.
  Bytes two = transfer_script(gas(), "1");
  two.insert(two.end(), other.bytes().begin(), other.bytes().end());
  expect_denied(p, neo_decoded(two), "contract 0x0202020202020202020202020202020202020202 is not allowed");
}

TEST(SigningEvaluate, OpaqueScripts) {
  Bytes opaque = transfer_script(gas(), "1");
  opaque.insert(opaque.begin(), {0x22, 0x02});  // JMP
  const Decoded d = neo_decoded(opaque);
  ASSERT_TRUE(d.neo && !d.neo->script.understood);
  expect_denied(policy(R"({"neo_contracts": [{"hash": "0xd2a4cff31913016155e38e474a2c06d08be276cf"}]})"), d,
                "signing policy: neo_contracts: script not understood");
  expect_denied(policy(R"({"max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "5"}})"), d,
                "signing policy: max_value_per_tx: script not understood");
  expect_denied(policy(R"({"max_value_per_24h": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "5"}})"), d,
                "signing policy: max_value_per_24h: script not understood");
  // A policy that restricts neither contracts nor N3 values lets it through; so does no policy at all.
  expect_allowed(policy(R"({"max_value_per_tx": {"evm:native": "5"}, "networks": {"neo": [860833102]}})"), d);
  auto moves = moves_of(d);
  ASSERT_TRUE(moves.ok());
  EXPECT_TRUE(moves->empty());
}

TEST(SigningEvaluate, EvmRecipients) {
  const Policy p = policy(R"({"evm_recipients": ["0x1111111111111111111111111111111111111111",
                                                 "0x2222222222222222222222222222222222222222"]})");
  expect_allowed(p, evm_decoded(evm_tx(carol(), 1)));
  expect_allowed(p, evm_decoded(evm_tx(token_addr(), 0, erc20_transfer(carol(), 5))));
  expect_denied(p, evm_decoded(evm_tx(dave(), 1)),
                "signing policy: evm_recipients: 0x3333333333333333333333333333333333333333 is not an allowed recipient");
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, erc20_transfer(dave(), 5))),
                "signing policy: evm_recipients: token recipient 0x3333333333333333333333333333333333333333");
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, erc20_approve(dave(), evm::U256::from_u64(1)))),
                "token recipient 0x3333");
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, erc20_transfer_from(carol(), dave(), 1))),
                "token recipient 0x3333");
  expect_allowed(p, evm_decoded(evm_tx(token_addr(), 0, erc20_transfer_from(dave(), carol(), 1))));
  Bytes longer = erc20_transfer(carol(), 1);
  longer.push_back(0);
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, longer)), "evm_recipients: token call arguments not understood");
  expect_denied(p, evm_decoded(evm_tx(std::nullopt, 0, {0x60, 0x00})),
                "signing policy: evm_recipients: contract creation is not allowed");
}

TEST(SigningEvaluate, EvmSelectors) {
  const Policy p = policy(R"({"evm_selectors": ["none", "0xa9059cbb"]})");
  expect_allowed(p, evm_decoded(evm_tx(carol(), 1)));
  expect_allowed(p, evm_decoded(evm_tx(token_addr(), 0, erc20_transfer(dave(), 5))));
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, erc20_approve(dave(), evm::U256::from_u64(1)))),
                "signing policy: evm_selectors: selector 0x095ea7b3 is not allowed");
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, {0xa9, 0x05, 0x9c})),
                "signing policy: evm_selectors: data is shorter than a 4-byte selector");
  expect_denied(p, evm_decoded(evm_tx(std::nullopt, 0, {0x60, 0x00})),
                "signing policy: evm_selectors: contract creation is not allowed");
  expect_denied(policy(R"({"evm_selectors": ["0xa9059cbb"]})"), evm_decoded(evm_tx(carol(), 1)),
                "signing policy: evm_selectors: plain value transfers (\"none\") are not allowed");
}

TEST(SigningEvaluate, MaxValuePerTransaction) {
  const Policy p = policy(R"({"max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "100000000",
      "evm:native": "1000", "evm:0x1111111111111111111111111111111111111111": "50"}})");
  auto m = evaluate(p, neo_decoded(transfer_script(gas(), "100000000")), ctx());
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->at(kGas).to_decimal(), "100000000");
  expect_denied(p, neo_decoded(transfer_script(gas(), "5000000000")),
                "signing policy: max_value_per_tx: 5000000000 of " + kGas + " exceeds 100000000");
  // Two transfers in one script are summed.
  Bytes two = transfer_script(gas(), "60000000");
  const Bytes second = transfer_script(gas(), "40000001", true);
  two.insert(two.end(), second.begin(), second.end());
  expect_denied(p, neo_decoded(two), "100000001 of " + kGas + " exceeds 100000000");
  // Unlimited assets pass and are still reported.
  m = evaluate(p, neo_decoded(transfer_script(neo_token(), "99999999999")), ctx());
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->at("neo:0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5").to_decimal(), "99999999999");
  // A "transfer" of a limited contract that is not NEP-17-shaped.
  neo::ScriptBuilder odd;
  const neo::ContractParam args[] = {neo::ContractParam::hash160(bob()), neo::ContractParam::integer(1),
                                     neo::ContractParam::null()};
  odd.contract_call(gas(), "transfer", neo::CallFlags::All, args);
  expect_denied(p, neo_decoded(odd.bytes()), "signing policy: max_value_per_tx: transfer call of " + kGas +
                                                 " not understood");

  expect_allowed(p, evm_decoded(evm_tx(carol(), 1000)));
  expect_denied(p, evm_decoded(evm_tx(carol(), 1001)), "signing policy: max_value_per_tx: 1001 of evm:native exceeds 1000");
  m = evaluate(p, evm_decoded(evm_tx(token_addr(), 7, erc20_transfer(carol(), 50))), ctx());
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->at(kToken).to_decimal(), "50");
  EXPECT_EQ(m->at("evm:native").to_decimal(), "7");
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, erc20_transfer_from(dave(), carol(), 51))),
                "51 of " + kToken + " exceeds 50");
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, erc20_approve(carol(), evm::U256::from_u64(51)))),
                "51 of " + kToken + " exceeds 50");
  m = evaluate(p, evm_decoded(evm_tx(token_addr(), 0, erc20_approve(carol(), evm::U256::from_u64(50)))), ctx());
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_TRUE(m->empty());  // an allowance is not a move
  expect_denied(p, evm_decoded(evm_tx(token_addr(), 0, {0x39, 0x50, 0x93, 0x51, 0, 0})),
                "signing policy: max_value_per_tx: call of " + kToken + " not understood");
}

TEST(SigningEvaluate, MaxValuePer24HoursIsRolling) {
  const Policy p = policy(R"({"max_value_per_24h": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "1000",
                                                    "evm:native": "10"}})");
  const Decoded d = neo_decoded(transfer_script(gas(), "400"));
  expect_allowed(p, d);
  expect_allowed(p, d, ctx(kMonday, {{kGas, evm::U256::from_u64(600)}}));
  expect_denied(p, d,
                "signing policy: max_value_per_24h: 1001 of " + kGas + " in 24 hours (601 already) exceeds 1000",
                ctx(kMonday, {{kGas, evm::U256::from_u64(601)}}));
  // Spending of other assets does not count.
  expect_allowed(p, d, ctx(kMonday, {{"evm:native", evm::U256::from_u64(10000)}}));
  expect_denied(p, evm_decoded(evm_tx(carol(), 3)), "max_value_per_24h: 11 of evm:native",
                ctx(kMonday, {{"evm:native", evm::U256::from_u64(8)}}));
}

TEST(SigningEvaluate, MovesWithoutPolicy) {
  auto m = moves_of(evm_decoded(evm_tx(token_addr(), 0, erc20_transfer(carol(), 9))));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ(m->at(kToken).to_decimal(), "9");
  m = moves_of(decode(Format::eip191, bytes_of("x")));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
  Moves big;
  ASSERT_TRUE(add_move(big, "evm:native", evm::U256::from_be32(std::array<std::uint8_t, 32>{0xff})).ok());
  EXPECT_FALSE(add_move(big, "evm:native", evm::U256::from_be32(std::array<std::uint8_t, 32>{0x01})).ok());
}

}  // namespace
}  // namespace nsl::signing
