#include "chain/evm/address.hpp"

#include <gtest/gtest.h>

#include "crypto/ecdsa.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::evm {
namespace {

using crypto::Bytes;
using crypto::testing::hex;

// The examples of the EIP-55 text (ethereum/EIPs EIPS/eip-55.md, "Test Cases").
TEST(Address, Eip55SpecExamples) {
  for (const char* s :
       {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto a = parse_address(s);
    ASSERT_TRUE(a.ok()) << s << ": " << a.error();
    const std::string lower = ascii_lower(std::string_view(s).substr(2));
    EXPECT_EQ(a->to_lower_hex(), "0x" + lower);
  }
  // Mixed-case ones round-trip exactly.
  for (const char* s :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    EXPECT_EQ(parse_address(s)->to_checksum(), s);
  }
}

TEST(Address, RejectsBadInput) {
  auto bad_sum = parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");  // last digit flipped
  ASSERT_FALSE(bad_sum.ok());
  EXPECT_EQ(bad_sum.error().message(), "address has an invalid EIP-55 checksum");
  EXPECT_EQ(parse_address("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").error().message(),
            "address must start with 0x");
  EXPECT_EQ(parse_address("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").error().message(),
            "address must start with 0x");
  EXPECT_EQ(parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA").error().message(),
            "address must have 40 hex digits, got 38");
  EXPECT_EQ(parse_address("0xzaaeb6053f3e94c9b9a09f33669435e7ef1beaed").error().message(),
            "address has a non-hex character");
  EXPECT_FALSE(parse_address("").ok());
  EXPECT_FALSE(parse_address("0x").ok());
  EXPECT_FALSE(address_from_bytes(Bytes(19, 0)).ok());
  EXPECT_FALSE(address_from_bytes(Bytes(21, 0)).ok());
}

TEST(Address, FromKeys) {
  // The EIP-155 example key; its address is well known.
  auto key46 =
      SecretBytes::copy_of(hex("4646464646464646464646464646464646464646464646464646464646464646"));
  auto a = address_from_private_key(key46);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->to_checksum(), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");

  auto pub_u = crypto::ec_public_key_uncompressed(crypto::Curve::secp256k1, key46).value();
  auto pub_c = crypto::ec_public_key(crypto::Curve::secp256k1, key46).value();
  EXPECT_EQ(address_from_public_key(pub_u).value(), *a);
  EXPECT_EQ(address_from_public_key(pub_c).value(), *a);
  EXPECT_FALSE(address_from_public_key(crypto::ByteSpan(pub_u).subspan(1)).ok());  // 64 bytes
  Bytes x_too_big(33, 0xff);                                                       // X >= p
  x_too_big[0] = 0x02;
  EXPECT_FALSE(address_from_public_key(x_too_big).ok());
  Bytes hybrid(pub_u.begin(), pub_u.end());
  hybrid[0] = 0x06;
  EXPECT_FALSE(address_from_public_key(hybrid).ok());
  EXPECT_FALSE(address_from_private_key(SecretBytes(32)).ok());  // zero scalar
}

}  // namespace
}  // namespace nsl::evm
