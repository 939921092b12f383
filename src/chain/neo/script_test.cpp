#include "chain/neo/script.hpp"

#include <gtest/gtest.h>

#include <string>

#include "chain/neo/account.hpp"
#include "chain/neo/testing/neo_testing.hpp"

namespace nsl::neo {
namespace {

using testing::hex;
using testing::hex_of;

std::string int_script(std::int64_t v) {
  ScriptBuilder sb;
  sb.push_int(v);
  return hex_of(sb.bytes());
}

std::string dec_script(std::string_view d) {
  auto v = VmInteger::from_decimal(d);
  if (!v) return "error: " + v.error().message();
  ScriptBuilder sb;
  sb.push_int(*v);
  return hex_of(sb.bytes());
}

// Expected bytes follow ScriptBuilder.EmitPush(BigInteger) in neo-vm (see script.hpp).
TEST(ScriptBuilder, PushIntegersMinimal) {
  EXPECT_EQ(int_script(-1), "0f");
  EXPECT_EQ(int_script(0), "10");
  EXPECT_EQ(int_script(1), "11");
  EXPECT_EQ(int_script(16), "20");
  EXPECT_EQ(int_script(17), "0011");
  EXPECT_EQ(int_script(127), "007f");
  EXPECT_EQ(int_script(128), "018000");
  EXPECT_EQ(int_script(255), "01ff00");
  EXPECT_EQ(int_script(-2), "00fe");
  EXPECT_EQ(int_script(-128), "0080");
  EXPECT_EQ(int_script(-129), "017fff");
  EXPECT_EQ(int_script(32767), "01ff7f");
  EXPECT_EQ(int_script(32768), "0200800000");
  EXPECT_EQ(int_script(-32769), "02ff7fffff");
  EXPECT_EQ(int_script(200000000), "0200c2eb0b");
  EXPECT_EQ(int_script(2147483648), "030000008000000000");
  EXPECT_EQ(int_script(INT64_MAX), "03ffffffffffffff7f");
  EXPECT_EQ(int_script(INT64_MIN), "030000000000000080");
  EXPECT_EQ(dec_script("9223372036854775808"),
            "04"
            "0000000000000080"
            "0000000000000000");
  EXPECT_EQ(dec_script("-9223372036854775809"),
            "04"
            "ffffffffffffff7f"
            "ffffffffffffffff");
  // 2^255 - 1 and -2^255 are the PUSHINT256 extremes.
  const std::string max256 =
      "57896044618658097711785492504343953926634992332820282019728792003956564819967";
  const std::string min256 =
      "-57896044618658097711785492504343953926634992332820282019728792003956564819968";
  EXPECT_EQ(dec_script(max256), "05" + std::string(62, 'f') + "7f");
  EXPECT_EQ(dec_script(min256), "05" + std::string(62, '0') + "80");
  EXPECT_EQ(
      dec_script("57896044618658097711785492504343953926634992332820282019728792003956564819968"),
      "error: integer: out of the 256-bit range");
  EXPECT_EQ(dec_script(std::string(79, '9')), "error: integer: out of the 256-bit range");
}

TEST(ScriptBuilder, DecimalParsingIsStrict) {
  for (const char* bad : {"", "-", "01", "-0", "+1", "1a", " 1", "1 ", "--1", "0x10", "1.5"}) {
    EXPECT_FALSE(VmInteger::from_decimal(bad).ok()) << bad;
  }
  for (const char* good : {"0", "1", "-1", "16", "17", "-129", "123456789012345678901234567890"}) {
    auto v = VmInteger::from_decimal(good);
    ASSERT_TRUE(v.ok()) << good;
    EXPECT_EQ(v->to_decimal(), good);
  }
  EXPECT_EQ(VmInteger::from_decimal("-9223372036854775808")->to_i64(), INT64_MIN);
  EXPECT_TRUE(VmInteger::from_decimal("-9223372036854775808")->fits_i64());
  EXPECT_FALSE(VmInteger::from_decimal("9223372036854775808")->fits_i64());
  EXPECT_EQ(VmInteger::from_i64(-5).to_decimal(), "-5");
  EXPECT_EQ(VmInteger::from_i64(0).le_bytes().size(), 0u);
}

TEST(ScriptBuilder, PushBytesAndOthers) {
  auto data_script = [](std::size_t n) {
    ScriptBuilder sb;
    sb.push_bytes(Bytes(n, 0xAB));
    return std::move(sb).take();
  };
  EXPECT_EQ(hex_of(data_script(0)), "0c00");
  Bytes s = data_script(255);
  EXPECT_EQ(hex_of(ByteSpan(s).first(2)), "0cff");
  EXPECT_EQ(s.size(), 257u);
  s = data_script(256);
  EXPECT_EQ(hex_of(ByteSpan(s).first(3)), "0d0001");
  s = data_script(65535);
  EXPECT_EQ(hex_of(ByteSpan(s).first(3)), "0dffff");
  s = data_script(65536);
  EXPECT_EQ(hex_of(ByteSpan(s).first(5)), "0e00000100");
  EXPECT_EQ(s.size(), 65541u);

  ScriptBuilder sb;
  sb.push_bool(true).push_bool(false).push_null().push_string("transfer");
  EXPECT_EQ(hex_of(sb.bytes()), "08090b0c087472616e73666572");
  ScriptBuilder utf8;
  utf8.push_string("\xe6\x88\x91");  // UTF-8 bytes as given
  EXPECT_EQ(hex_of(utf8.bytes()), "0c03e68891");
}

TEST(ScriptBuilder, Arrays) {
  ScriptBuilder empty;
  empty.push_array({});
  EXPECT_EQ(hex_of(empty.bytes()), "c2");  // NEWARRAY0
  const ContractParam items[] = {ContractParam::integer(1), ContractParam::string("a"),
                                 ContractParam::boolean(true)};
  ScriptBuilder sb;
  sb.push_array(items);
  // Reverse order, count, PACK.
  EXPECT_EQ(hex_of(sb.bytes()),
            "08"
            "0c0161"
            "11"
            "13"
            "c0");
  const ContractParam nested[] = {
      ContractParam::array({ContractParam::null(), ContractParam::bytes({0x01, 0x02})}),
      ContractParam::array({})};
  ScriptBuilder sb2;
  sb2.push_array(nested);
  EXPECT_EQ(hex_of(sb2.bytes()),
            "c2"
            "0c020102"
            "0b"
            "12"
            "c0"
            "12"
            "c0");
}

// Every neo_tx.json case with a `nep17_transfer` description must rebuild its script exactly;
// the Global-scope case is a plain balanceOf call.
TEST(ScriptBuilder, Nep17TransferMatchesVectors) {
  const auto v = testing::load_vectors("neo_tx.json");
  ASSERT_TRUE(v.is_array());
  int checked = 0;
  for (const auto& c : v) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const std::string expected = c["fields"]["script"];
    if (!c.contains("nep17_transfer")) {
      auto neo = UInt160::parse("0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5");
      ASSERT_TRUE(neo.ok());
      auto account = UInt160::parse(c["fields"]["signers"][0]["account"].get<std::string>());
      ASSERT_TRUE(account.ok());
      const ContractParam args[] = {ContractParam::hash160(*account)};
      ScriptBuilder sb;
      sb.contract_call(*neo, "balanceOf", CallFlags::All, args);
      EXPECT_EQ(hex_of(sb.bytes()), expected);
      ++checked;
      continue;
    }
    const auto& t = c["nep17_transfer"];
    ASSERT_TRUE(t["data"].is_null());
    auto token = UInt160::parse(t["contract"].get<std::string>());
    auto from = address_to_script_hash(t["from"].get<std::string>());
    auto to = address_to_script_hash(t["to"].get<std::string>());
    ASSERT_TRUE(token.ok() && from.ok() && to.ok());
    const std::int64_t amount = t["amount"].get<std::int64_t>();
    // The real MainNet transfer was made by N3's Wallet.MakeTransaction, which appends ASSERT;
    // the neon-js ones have none.
    const Nep17Options options{.assert_result = c.value("real_mainnet", false)};
    auto by_int = nep17_transfer(*token, *from, *to, amount, ContractParam::null(), options);
    ASSERT_TRUE(by_int.ok()) << by_int.error();
    EXPECT_EQ(hex_of(*by_int), expected);
    auto by_dec =
        nep17_transfer(*token, *from, *to, std::to_string(amount), ContractParam::null(), options);
    ASSERT_TRUE(by_dec.ok());
    EXPECT_EQ(hex_of(*by_dec), expected);
    ++checked;
  }
  EXPECT_EQ(checked, 4);
  std::printf("neo_tx.json: %d scripts rebuilt by ScriptBuilder\n", checked);
}

TEST(ScriptBuilder, Nep17Rejections) {
  const UInt160 h{};
  EXPECT_EQ(nep17_transfer(h, h, h, -1).error().message(), "nep17 amount: must not be negative");
  EXPECT_EQ(nep17_transfer(h, h, h, "-5").error().message(), "nep17 amount: must not be negative");
  EXPECT_EQ(nep17_transfer(h, h, h, "1e8").error().message(),
            "nep17 amount: integer: not a decimal number");
  // data may be any parameter; a big amount becomes PUSHINT128.
  auto s = nep17_transfer(h, h, h, "100000000000000000000", ContractParam::string("memo"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(hex_of(ByteSpan(*s).first(6)), "0c046d656d6f");
  EXPECT_EQ((*s)[6], 0x04);
}

}  // namespace
}  // namespace nsl::neo
