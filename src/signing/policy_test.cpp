#include "signing/policy.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace nsl::signing {
namespace {

constexpr std::string_view kFull = R"({
  "networks": {"neo": [894710606, 860833102], "evm": [47763, 1]},
  "neo_contracts": [
    {"hash": "0xEF4073A0F2B305A38EC4050E4D3D28BC40EA63F5"},
    {"hash": "0xd2a4cff31913016155e38e474a2c06d08be276cf", "methods": ["transfer", "balanceOf"]}
  ],
  "evm_recipients": ["0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", "0x1111111111111111111111111111111111111111"],
  "evm_selectors": ["none", "0xA9059CBB"],
  "max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "100000000", "evm:native": "0"},
  "max_value_per_24h": {"evm:0x1111111111111111111111111111111111111111":
      "115792089237316195423570985008687907853269984665640564039457584007913129639935"},
  "time_windows": [{"days": ["sun", "mon"], "start": "09:00", "end": "24:00"},
                   {"days": ["tue"], "start": "00:00", "end": "00:01"}],
  "allow_raw_digest": true,
  "allow_messages": false,
  "approvals_required": 0
})";

TEST(SigningPolicy, ParsesEveryField) {
  auto p = parse_policy(kFull);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(*p->neo_networks, (std::vector<std::uint32_t>{860833102, 894710606}));
  EXPECT_EQ(*p->evm_chain_ids, (std::vector<std::uint64_t>{1, 47763}));
  ASSERT_EQ(p->neo_contracts->size(), 2u);
  EXPECT_EQ((*p->neo_contracts)[0].hash, "0xd2a4cff31913016155e38e474a2c06d08be276cf");
  EXPECT_EQ((*p->neo_contracts)[0].methods, (std::vector<std::string>{"balanceOf", "transfer"}));
  EXPECT_EQ((*p->neo_contracts)[1].hash, "0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5");
  EXPECT_TRUE((*p->neo_contracts)[1].methods.empty());
  EXPECT_EQ(*p->evm_recipients, (std::vector<std::string>{"0x1111111111111111111111111111111111111111",
                                                          "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"}));
  EXPECT_EQ(*p->evm_selectors, (std::vector<std::string>{"0xa9059cbb", "none"}));
  EXPECT_EQ(p->max_value_per_tx->at("neo:0xd2a4cff31913016155e38e474a2c06d08be276cf").to_decimal(), "100000000");
  EXPECT_TRUE(p->max_value_per_tx->at("evm:native").is_zero());
  EXPECT_EQ(p->max_value_per_24h->at("evm:0x1111111111111111111111111111111111111111").bit_length(), 256u);
  ASSERT_EQ(p->time_windows->size(), 2u);
  EXPECT_EQ((*p->time_windows)[0].days, 0x02);  // tue
  EXPECT_EQ((*p->time_windows)[0].end_minute, 1);
  EXPECT_EQ((*p->time_windows)[1].days, 0x41);  // mon + sun
  EXPECT_EQ((*p->time_windows)[1].start_minute, 540);
  EXPECT_EQ((*p->time_windows)[1].end_minute, 1440);
  EXPECT_TRUE(p->allow_raw_digest);
  EXPECT_FALSE(p->allow_messages);
}

TEST(SigningPolicy, CanonicalFormRoundTripsAndIsStable) {
  auto p = parse_policy(kFull);
  ASSERT_TRUE(p.ok()) << p.error();
  const std::string canon = canonical_json(*p);
  auto again = parse_policy(canon);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*again, *p);
  EXPECT_EQ(canonical_json(*again), canon);
  EXPECT_EQ(canon.find(' '), std::string::npos);
  EXPECT_EQ(canon.find("approvals_required"), std::string::npos);
  EXPECT_NE(canon.find(R"("days":["mon","sun"],"end":"24:00","start":"09:00")"), std::string::npos) << canon;
  // Order and case of the input do not matter.
  auto reordered = parse_policy(R"({"allow_messages": false, "evm_selectors": ["0xa9059cbb", "none"],
      "networks": {"evm": [1, 47763]}})");
  auto plain = parse_policy(R"({"networks": {"evm": [47763, 1]}, "evm_selectors": ["none", "0xA9059cbb"],
      "allow_messages": false})");
  ASSERT_TRUE(reordered.ok() && plain.ok());
  EXPECT_EQ(canonical_json(*reordered), canonical_json(*plain));
  EXPECT_EQ(canonical_json(*plain),
            R"({"allow_messages":false,"allow_raw_digest":false,"evm_selectors":["0xa9059cbb","none"],)"
            R"("networks":{"evm":[1,47763]}})");
}

TEST(SigningPolicy, EmptyPolicyHasTheDefaults) {
  auto p = parse_policy("{}");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_FALSE(p->allow_raw_digest);
  EXPECT_TRUE(p->allow_messages);
  EXPECT_FALSE(p->neo_networks || p->evm_chain_ids || p->neo_contracts || p->evm_recipients || p->evm_selectors ||
               p->max_value_per_tx || p->max_value_per_24h || p->time_windows);
  EXPECT_EQ(canonical_json(*p), R"({"allow_messages":true,"allow_raw_digest":false})");
  // Empty lists restrict everything of their kind and survive the round trip.
  auto e = parse_policy(R"({"networks": {"neo": []}, "neo_contracts": []})");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_TRUE(e->neo_networks && e->neo_networks->empty());
  EXPECT_EQ(*parse_policy(canonical_json(*e)), *e);
}

std::string list_of(std::size_t n, const std::function<std::string(std::size_t)>& item) {
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) s += (i ? "," : "") + item(i);
  return s + "]";
}

TEST(SigningPolicy, RefusesEveryInvalidField) {
  const std::string h40 = "0x" + std::string(40, 'a');
  const std::string limit_65 = [] {
    std::string s = "{";
    for (int i = 0; i < 65; ++i) {
      char hex[41];
      std::snprintf(hex, sizeof hex, "%040x", i);
      s += std::string(i ? "," : "") + "\"evm:0x" + hex + "\":\"1\"";
    }
    return s + "}";
  }();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "policy: "},
      {"not json", "policy: "},
      {R"({"colour": 1})", "policy: unknown field 'colour'"},
      {R"({"allow_messages": true, "allow_messages": false})", "duplicate"},
      {R"({"networks": []})", "policy: networks: must be an object"},
      {R"({"networks": {"btc": [1]}})", "policy: networks: unknown field 'btc'"},
      {R"({"networks": {"neo": [-1]}})", "policy: networks.neo[0]: must be an N3 network magic"},
      {R"({"networks": {"neo": [4294967296]}})", "policy: networks.neo[0]:"},
      {R"({"networks": {"neo": ["860833102"]}})", "policy: networks.neo[0]:"},
      {R"({"networks": {"neo": [1, 1]}})", "policy: networks.neo: duplicate entry"},
      {R"({"networks": {"neo": 1}})", "policy: networks.neo: must be a list"},
      {R"({"networks": {"evm": [0]}})", "policy: networks.evm[0]: must be an EVM chain id"},
      {R"({"networks": {"evm": [9223372036854775772]}})", "policy: networks.evm[0]:"},
      {R"({"networks": {"evm": [1.5]}})", "policy: networks.evm[0]:"},
      {R"({"networks": {"evm": )" + list_of(65, [](std::size_t i) { return std::to_string(i + 1); }) + "}}",
       "policy: networks.evm: at most 64 entries"},
      {R"({"neo_contracts": {}})", "policy: neo_contracts: must be a list"},
      {R"({"neo_contracts": ["0xd2a4cff31913016155e38e474a2c06d08be276cf"]})", "policy: neo_contracts[0]: must be an object"},
      {R"({"neo_contracts": [{}]})", "policy: neo_contracts[0].hash: required"},
      {R"({"neo_contracts": [{"hash": "d2a4cff31913016155e38e474a2c06d08be276cf"}]})", "policy: neo_contracts[0].hash: must be 0x"},
      {R"({"neo_contracts": [{"hash": "0xd2a4cff31913016155e38e474a2c06d08be276cg"}]})", "policy: neo_contracts[0].hash:"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "method": ["x"]}]})", "policy: neo_contracts[0]: unknown field 'method'"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "methods": []}]})", "policy: neo_contracts[0].methods: must not be empty"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "methods": ["a b"]}]})", "policy: neo_contracts[0].methods[0]:"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "methods": [""]}]})", "policy: neo_contracts[0].methods[0]:"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "methods": ["a", "a"]}]})", "policy: neo_contracts[0].methods: duplicate entry"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "methods": )" +
           list_of(17, [](std::size_t i) { return "\"m" + std::to_string(i) + "\""; }) + "}]}",
       "policy: neo_contracts[0].methods: at most 16 entries"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"("}, {"hash": "0x)" + std::string(40, 'A') + R"("}]})",
       "policy: neo_contracts: duplicate contract"},
      {R"({"evm_recipients": ["0x123"]})", "policy: evm_recipients[0]:"},
      {R"({"evm_recipients": ["0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4f"]})", "policy: evm_recipients[0]:"},
      {R"({"evm_recipients": [1]})", "policy: evm_recipients[0]: must be an address string"},
      {R"({"evm_recipients": ["0x1111111111111111111111111111111111111111", "0x1111111111111111111111111111111111111111"]})",
       "policy: evm_recipients: duplicate entry"},
      {R"({"evm_selectors": ["0xa9059cb"]})", "policy: evm_selectors[0]: must be 0x + 8 hex digits"},
      {R"({"evm_selectors": ["None"]})", "policy: evm_selectors[0]:"},
      {R"({"evm_selectors": ["none", "none"]})", "policy: evm_selectors: duplicate entry"},
      {R"({"max_value_per_tx": []})", "policy: max_value_per_tx: must be an object"},
      {R"({"max_value_per_tx": {"gas": "1"}})", "policy: max_value_per_tx: asset 'gas' must be"},
      {R"({"max_value_per_tx": {"neo:0xd2a4": "1"}})", "policy: max_value_per_tx: asset"},
      {R"({"max_value_per_tx": {"evm:native": 100}})", "policy: max_value_per_tx.evm:native: must be a decimal string"},
      {R"({"max_value_per_tx": {"evm:native": "-1"}})", "policy: max_value_per_tx.evm:native: must be a non-negative"},
      {R"({"max_value_per_tx": {"evm:native": "01"}})", "policy: max_value_per_tx.evm:native:"},
      {R"({"max_value_per_tx": {"evm:native": "1e9"}})", "policy: max_value_per_tx.evm:native:"},
      {R"({"max_value_per_24h": {"evm:native":
          "115792089237316195423570985008687907853269984665640564039457584007913129639936"}})",
       "policy: max_value_per_24h.evm:native: must be a non-negative decimal integer below 2^256"},
      {R"({"max_value_per_24h": {"evm:0x1111111111111111111111111111111111111111": "1",
                                 "evm:0x1111111111111111111111111111111111111111": "2"}})", "duplicate"},
      {R"({"max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "1",
                                "neo:0xD2A4CFF31913016155E38E474A2C06D08BE276CF": "2"}})",
       "policy: max_value_per_tx: duplicate asset"},
      {R"({"max_value_per_tx": )" + limit_65 + "}", "policy: max_value_per_tx: at most 64 assets"},
      {R"({"time_windows": [{"days": [], "start": "09:00", "end": "10:00"}]})", "policy: time_windows[0].days:"},
      {R"({"time_windows": [{"days": ["monday"], "start": "09:00", "end": "10:00"}]})", "policy: time_windows[0].days:"},
      {R"({"time_windows": [{"days": ["mon", "mon"], "start": "09:00", "end": "10:00"}]})", "duplicate day mon"},
      {R"({"time_windows": [{"days": ["mon"], "start": "24:00", "end": "24:00"}]})", "policy: time_windows[0].start:"},
      {R"({"time_windows": [{"days": ["mon"], "start": "9:00", "end": "10:00"}]})", "policy: time_windows[0].start:"},
      {R"({"time_windows": [{"days": ["mon"], "start": "09:60", "end": "10:00"}]})", "policy: time_windows[0].start:"},
      {R"({"time_windows": [{"days": ["mon"], "start": "09:00", "end": "24:01"}]})", "policy: time_windows[0].end:"},
      {R"({"time_windows": [{"days": ["mon"], "start": "10:00", "end": "10:00"}]})", "policy: time_windows[0]: start must be before end"},
      {R"({"time_windows": [{"days": ["mon"], "start": "22:00", "end": "02:00"}]})", "policy: time_windows[0]: start must be before end"},
      {R"({"time_windows": [{"days": ["mon"], "end": "10:00"}]})", "policy: time_windows[0].start: required"},
      {R"({"time_windows": [{"days": ["mon"], "start": "09:00", "end": "10:00", "tz": "CET"}]})",
       "policy: time_windows[0]: unknown field 'tz'"},
      {R"({"time_windows": [{"days": ["mon"], "start": "09:00", "end": "10:00"},
                            {"days": ["mon"], "start": "09:00", "end": "10:00"}]})", "policy: time_windows: duplicate entry"},
      {R"({"allow_raw_digest": 1})", "policy: allow_raw_digest: must be true or false"},
      {R"({"allow_messages": "yes"})", "policy: allow_messages: must be true or false"},
      {R"({"approvals_required": 2})", "policy: approvals_required: not supported yet"},
      {R"({"approvals_required": "0"})", "policy: approvals_required: must be an integer"},
      {R"({"neo_contracts": [{"hash": ")" + h40 + R"(", "methods": [["deep", ["deeper"]]]}]})", "policy: "},
      {"{\"evm_selectors\": [\"" + std::string(70000, 'a') + "\"]}", "policy: too large"},
  };
  for (const auto& [json, want] : cases) {
    SCOPED_TRACE(json.substr(0, 200));
    auto p = parse_policy(json);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(p.error().message().find(want), std::string::npos) << p.error().message();
  }
}

TEST(SigningPolicy, CanonicalAsset) {
  EXPECT_EQ(*canonical_asset("evm:native"), "evm:native");
  EXPECT_EQ(*canonical_asset("neo:0xD2A4cff31913016155e38e474a2c06d08be276cf"),
            "neo:0xd2a4cff31913016155e38e474a2c06d08be276cf");
  EXPECT_EQ(*canonical_asset("evm:0X1111111111111111111111111111111111111111"),
            "evm:0x1111111111111111111111111111111111111111");
  for (std::string_view bad : {"", "evm:Native", "neo:native", "btc:0x1111111111111111111111111111111111111111",
                               "neo:1111111111111111111111111111111111111111", "evm:0x11"}) {
    EXPECT_FALSE(canonical_asset(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace nsl::signing
