#include "chain/evm/rlp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/testing/vectors.hpp"

namespace nsl::evm {
namespace {

using crypto::testing::hex;
using crypto::testing::hex_of;

RlpItem str(std::string_view s) { return RlpItem::bytes(crypto::as_bytes(s)); }

// A fixed xorshift64 sequence: the randomised tests below see the same inputs on every run.
struct Xorshift {
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  std::uint64_t operator()() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

// Examples from the Ethereum RLP specification (ethereum.org "Recursive-length prefix").
TEST(Rlp, EncodesSpecExamples) {
  EXPECT_EQ(hex_of(rlp_encode(str("dog"))), "83646f67");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::list({str("cat"), str("dog")}))), "c88363617483646f67");
  EXPECT_EQ(hex_of(rlp_encode(str(""))), "80");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::list())), "c0");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::u64(0))), "80");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::bytes(Bytes{0x00}))), "00");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::bytes(Bytes{0x0f}))), "0f");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::u64(15))), "0f");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::u64(1024))), "820400");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::bytes(Bytes{0x80}))), "8180");
  // The set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ].
  const RlpItem e = RlpItem::list();
  const RlpItem one = RlpItem::list({e});
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::list({e, one, RlpItem::list({e, one})}))),
            "c7c0c1c0c3c0c1c0");
  const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  EXPECT_EQ(hex_of(rlp_encode(str(lorem))), "b838" + hex_of(crypto::as_bytes(lorem)));
}

TEST(Rlp, LengthBoundaries) {
  for (std::size_t n : {0u, 1u, 55u, 56u, 255u, 256u, 65535u, 65536u}) {
    const Bytes payload(n, 0xaa);
    const Bytes enc = rlp_encode(RlpItem::bytes(payload));
    auto dec = rlp_decode(enc);
    ASSERT_TRUE(dec.ok()) << n << ": " << dec.error();
    EXPECT_EQ(dec->data(), payload);
    const Bytes list_enc = rlp_encode(RlpItem::list({RlpItem::bytes(payload)}));
    auto list_dec = rlp_decode(list_enc);
    ASSERT_TRUE(list_dec.ok()) << n;
    EXPECT_EQ(list_dec->items().at(0).data(), payload);
  }
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::bytes(Bytes(55, 1)))).substr(0, 2), "b7");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::bytes(Bytes(56, 1)))).substr(0, 4), "b838");
  EXPECT_EQ(hex_of(rlp_encode(RlpItem::bytes(Bytes(256, 1)))).substr(0, 6), "b90100");
}

TEST(Rlp, RoundTripsNestedTrees) {
  RlpItem tree = RlpItem::list({str("a"), RlpItem::list({RlpItem::u64(1024), RlpItem::list()}),
                                RlpItem::bytes(Bytes(100, 7)), RlpItem::u256(U256::from_u64(0))});
  const Bytes enc = rlp_encode(tree);
  auto dec = rlp_decode(enc);
  ASSERT_TRUE(dec.ok()) << dec.error();
  EXPECT_EQ(*dec, tree);
}

void expect_reject(std::string_view hexstr, std::string_view fragment, RlpLimits limits = {}) {
  auto r = rlp_decode(hex(hexstr), limits);
  ASSERT_FALSE(r.ok()) << hexstr;
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message().find(fragment), std::string::npos)
      << hexstr << " -> " << r.error().message();
}

TEST(Rlp, RejectsNonCanonicalAndMalformed) {
  expect_reject("", "empty input");
  expect_reject("8100", "single byte below 0x80");
  expect_reject("817f", "single byte below 0x80");
  expect_reject("b801aa", "long-form length used for a payload under 56 bytes");
  expect_reject("b837" + std::string(55 * 2, 'a'), "under 56 bytes");
  expect_reject("f801c0", "long-form length used");
  expect_reject("f800", "length field has leading zero bytes");
  expect_reject("b90038" + std::string(56 * 2, 'a'), "leading zero bytes");
  expect_reject("f90038" + std::string(56 * 2, 'a'), "leading zero bytes");
  expect_reject("83646f", "runs past the end");
  expect_reject("b8", "length field runs past the end");
  expect_reject("bf0102", "length field runs past the end");
  expect_reject("bfffffffffffffffff00", "payload runs past the end");
  expect_reject("c3836162", "runs past the end");  // child longer than the list
  expect_reject("c2836162", "runs past the end");
  expect_reject("83646f6700", "1 trailing bytes after the item at offset 4");
  expect_reject("c0c0", "trailing bytes");
  expect_reject("0000", "trailing bytes");
}

// `levels` lists, each holding the next; the innermost is empty.
Bytes nested_lists(int levels) {
  Bytes out = {0xc0};
  for (int i = 1; i < levels; ++i) {
    Bytes next;
    rlp_append_list_header(out.size(), next);
    next.insert(next.end(), out.begin(), out.end());
    out = std::move(next);
  }
  return out;
}

TEST(Rlp, EnforcesLimits) {
  EXPECT_TRUE(rlp_decode(nested_lists(64)).ok());
  auto r = rlp_decode(nested_lists(65));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("nested deeper than 64"), std::string::npos);

  RlpLimits small;
  small.max_input_size = 4;
  expect_reject("8461626364", "exceeds the limit of 4", small);
  RlpLimits few;
  few.max_items = 3;
  expect_reject("c3010203", "more than 3 items", few);
  EXPECT_TRUE(rlp_decode(hex("c20102"), few).ok());
}

TEST(Rlp, IntegerFields) {
  EXPECT_EQ(rlp_to_u64(RlpItem::u64(0), "n").value(), 0u);
  EXPECT_EQ(rlp_to_u64(RlpItem::u64(~0ull), "n").value(), ~0ull);
  auto lz = rlp_to_u64(RlpItem::bytes(Bytes{0x00, 0x01}), "nonce");
  ASSERT_FALSE(lz.ok());
  EXPECT_EQ(lz.error().message(), "rlp: nonce has leading zeros");
  auto zero_byte = rlp_to_u64(RlpItem::bytes(Bytes{0x00}), "nonce");
  EXPECT_FALSE(zero_byte.ok());  // zero must be the empty string
  auto big = rlp_to_u64(RlpItem::bytes(Bytes(9, 1)), "gas");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message(), "rlp: gas does not fit in 64 bits");
  EXPECT_FALSE(rlp_to_u64(RlpItem::list(), "n").ok());
  EXPECT_FALSE(rlp_to_u256(RlpItem::bytes(Bytes(33, 1)), "value").ok());
  EXPECT_EQ(rlp_to_u256(RlpItem::bytes(Bytes(32, 0xff)), "value")->to_hex_quantity(),
            "0x" + std::string(64, 'f'));
}

// ---- U256
// ----------------------------------------------------------------------------------------

TEST(U256, DecimalRoundTrip) {
  const char* max =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  for (const char* s : {"0", "1", "255", "256", "18446744073709551615", "18446744073709551616",
                        "1000000000000000000", max}) {
    auto v = U256::from_decimal(s);
    ASSERT_TRUE(v.ok()) << s;
    EXPECT_EQ(v->to_decimal(), s);
  }
  EXPECT_EQ(U256::from_decimal(max).value(), U256::from_u64(1).negated());
  EXPECT_EQ(U256::from_decimal(max)->to_hex_quantity(), "0x" + std::string(64, 'f'));
  EXPECT_EQ(U256::from_decimal("1000000000000000000")->to_hex_quantity(), "0xde0b6b3a7640000");
  EXPECT_EQ(hex_of(U256::from_decimal("1000000000000000000")->to_minimal_be()), "0de0b6b3a7640000");
  EXPECT_TRUE(U256().to_minimal_be().empty());
}

// Around the powers of ten where to_decimal's nine-digit chunks meet, and random values of every length,
// against an independent reference (repeated division of the decimal string by 256 would be circular; the
// reference is from_decimal, whose digit-by-digit multiply shares nothing with to_decimal's division).
TEST(U256, DecimalRoundTripAtChunkEdgesAndAtRandom) {
  std::vector<std::string> cases;
  for (int n = 1; n <= 77; ++n) {
    cases.push_back("1" + std::string(static_cast<std::size_t>(n), '0'));         // 10^n
    cases.push_back(std::string(static_cast<std::size_t>(n), '9'));               // 10^n - 1
    cases.push_back("1" + std::string(static_cast<std::size_t>(n - 1), '0') + "1");  // 10^n + 1
  }
  Xorshift next;
  for (int i = 0; i < 2000; ++i) {
    const std::size_t len = 1 + next() % 77;
    std::string s(1, static_cast<char>('1' + next() % 9));
    while (s.size() < len) s.push_back(static_cast<char>('0' + next() % 10));
    cases.push_back(s);
  }
  for (const std::string& s : cases) {
    auto v = U256::from_decimal(s);
    ASSERT_TRUE(v.ok()) << s;
    EXPECT_EQ(v->to_decimal(), s);
  }
}

TEST(U256, DecimalRejects) {
  auto over = U256::from_decimal(
      "115792089237316195423570985008687907853269984665640564039457584007913129639936");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message(), "decimal number does not fit in 256 bits");
  EXPECT_EQ(U256::from_decimal("").error().message(), "empty decimal number");
  EXPECT_EQ(U256::from_decimal("01").error().message(), "decimal number has leading zeros");
  EXPECT_FALSE(U256::from_decimal("-1").ok());
  EXPECT_FALSE(U256::from_decimal("+1").ok());
  EXPECT_FALSE(U256::from_decimal("1 ").ok());
  EXPECT_FALSE(U256::from_decimal("1e3").ok());
  EXPECT_FALSE(U256::from_decimal(std::string(200, '9')).ok());
}

TEST(U256, HexAndHelpers) {
  EXPECT_EQ(U256::from_hex("0x0")->to_decimal(), "0");
  EXPECT_EQ(U256::from_hex("0x00ff")->to_decimal(), "255");
  EXPECT_EQ(U256::from_hex("0xBA93")->to_decimal(), "47763");
  EXPECT_TRUE(U256::from_hex("0x" + std::string(64, 'f')).ok());
  EXPECT_TRUE(U256::from_hex("0x00" + std::string(64, 'f')).ok());
  EXPECT_FALSE(U256::from_hex("0x1" + std::string(64, '0')).ok());
  EXPECT_FALSE(U256::from_hex("0x").ok());
  EXPECT_FALSE(U256::from_hex("ff").ok());
  EXPECT_FALSE(U256::from_hex("0xfg").ok());
  EXPECT_EQ(U256::from_u64(1).negated().to_hex_quantity(), "0x" + std::string(64, 'f'));
  EXPECT_TRUE(U256().negated().is_zero());
  EXPECT_EQ(U256::from_u64(256).bit_length(), 9u);
  EXPECT_EQ(U256().bit_length(), 0u);
  EXPECT_EQ(U256::from_u64(~0ull).to_u64().value(), ~0ull);
  EXPECT_FALSE(U256::from_decimal("18446744073709551616")->to_u64().has_value());
  EXPECT_LT(U256::from_u64(5), U256::from_u64(6));
  EXPECT_LT(U256::from_u64(~0ull), U256::from_decimal("18446744073709551616").value());
  EXPECT_FALSE(U256::from_be_bytes(Bytes(33, 0)).ok());
  EXPECT_EQ(U256::from_be_bytes(Bytes{0x01, 0x00})->to_decimal(), "256");
}

// Canonical decoding means decode is injective: whatever decodes must re-encode to the same bytes.
TEST(Rlp, DecodedInputsReencodeIdentically) {
  Xorshift next;
  const Bytes seed = rlp_encode(RlpItem::list(
      {RlpItem::u64(1024), str("dog"), RlpItem::list({RlpItem(), RlpItem::bytes(Bytes(60, 0x81))}),
       RlpItem::bytes(Bytes{0x7f})}));
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = seed;
    const int edits = 1 + static_cast<int>(next() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = next() % b.size();
      switch (next() % 3) {
        case 0:
          b[pos] = static_cast<std::uint8_t>(next());
          break;
        case 1:
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos));
          break;
        default:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::uint8_t>(next()));
      }
      if (b.empty()) b.push_back(0xc0);
    }
    auto d = rlp_decode(b);
    if (!d.ok()) continue;
    ++accepted;
    ASSERT_EQ(hex_of(rlp_encode(*d)), hex_of(b));
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace nsl::evm
