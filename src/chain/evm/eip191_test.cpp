#include "chain/evm/eip191.hpp"

#include <gtest/gtest.h>

#include "chain/evm/hex.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::evm {
namespace {

using crypto::testing::hex;
using crypto::testing::load_vectors;
using nlohmann::json;

TEST(Eip191, PublishedVectors) {
  const json cases = load_vectors("eip191_personal_sign.json");
  ASSERT_TRUE(cases.is_array());
  int passed = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const Bytes message = hex(c["message_hex"].get<std::string>());
    if (c["message_utf8"].is_string()) {
      EXPECT_EQ(to_0x_hex(crypto::as_bytes(c["message_utf8"].get<std::string>())),
                c["message_hex"]);
    }
    EXPECT_EQ(to_0x_hex(personal_message_prefixed(message)), c["prefixed_message_hex"]);
    EXPECT_EQ(to_0x_hex(personal_message_hash(message)), c["hash"]);

    const auto key = SecretBytes::copy_of(hex(c["private_key"].get<std::string>()));
    auto sig = personal_sign(key, message);
    ASSERT_TRUE(sig.ok()) << sig.error();
    EXPECT_EQ(to_0x_hex(*sig), c["signature"]);
    EXPECT_EQ(to_0x_hex(ByteSpan(*sig).first(32)), c["r"]);
    EXPECT_EQ(to_0x_hex(ByteSpan(*sig).subspan(32, 32)), c["s"]);
    EXPECT_EQ((*sig)[64], c["v"].get<int>());

    auto who = personal_recover(message, hex(c["signature"].get<std::string>()));
    ASSERT_TRUE(who.ok()) << who.error();
    EXPECT_EQ(who->to_checksum(), c["address"]);
    EXPECT_EQ(address_from_private_key(key)->to_checksum(), c["address"]);
    if (!HasFailure()) ++passed;
  }
  EXPECT_EQ(passed, 4);
  std::printf("[ eip191_personal_sign.json ] %d/%zu cases passed\n", passed, cases.size());
}

TEST(Eip191, RecoveryIsStrict) {
  const Bytes msg = {'h', 'i'};
  const auto key =
      SecretBytes::copy_of(hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4ff2f80"));
  const Signature65 sig = personal_sign(key, msg).value();
  const Address signer = address_from_private_key(key).value();
  EXPECT_EQ(personal_recover(msg, sig).value(), signer);

  Signature65 v01 = sig;  // v as 0/1 (some hardware wallets)
  v01[64] = static_cast<std::uint8_t>(v01[64] - 27);
  EXPECT_EQ(personal_recover(msg, v01).value(), signer);

  Signature65 bad_v = sig;
  bad_v[64] = 29;
  EXPECT_EQ(personal_recover(msg, bad_v).error().message(),
            "signature v must be 27 or 28 (or 0 or 1), got 29");
  EXPECT_EQ(personal_recover(msg, ByteSpan(sig).first(64)).error().message(),
            "signature must be 65 bytes (r || s || v), got 64");

  Signature65 zero_r = sig;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  EXPECT_FALSE(personal_recover(msg, zero_r).ok());

  // High-S twin: s' = n - s with the other parity.
  const Bytes n = hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  Signature65 high = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const auto idx = static_cast<std::size_t>(i);
    int d = n[idx] - sig[32 + idx] - borrow;
    borrow = d < 0 ? 1 : 0;
    high[32 + idx] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  high[64] = static_cast<std::uint8_t>(sig[64] == 27 ? 28 : 27);
  EXPECT_EQ(personal_recover(msg, high).error().message(),
            "signature s is in the upper half of the curve order (high-S)");

  // A different message recovers a different address (or fails), never the signer.
  auto other = personal_recover(Bytes{'h', 'o'}, sig);
  if (other.ok()) {
    EXPECT_NE(*other, signer);
  }
}

}  // namespace
}  // namespace nsl::evm
