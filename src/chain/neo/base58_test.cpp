#include "chain/neo/base58.hpp"

#include <gtest/gtest.h>

#include <string>

#include "chain/neo/account.hpp"
#include "chain/neo/testing/neo_testing.hpp"

namespace nsl::neo {
namespace {

using testing::hex;
using testing::hex_of;

// Maps the vector file's error text to the phrase our message must contain.
std::vector<std::string> expected_phrases(const std::string& category) {
  if (category == "invalid base58 character") return {"invalid character"};
  if (category == "checksum mismatch") return {"checksum mismatch"};
  if (category == "too short / checksum mismatch") return {"too short", "checksum mismatch"};
  ADD_FAILURE() << "unknown error category " << category;
  return {};
}

bool contains_any(const std::string& msg, const std::vector<std::string>& phrases) {
  for (const auto& p : phrases) {
    if (msg.find(p) != std::string::npos) return true;
  }
  return false;
}

TEST(Base58, Vectors) {
  const auto v = testing::load_vectors("base58.json");
  ASSERT_TRUE(v.is_array());
  int valid = 0;
  int invalid = 0;
  for (const auto& c : v) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const std::string kind = c["kind"];
    const std::string enc = c["encoded"];
    const bool check = kind == "base58check";
    ASSERT_TRUE(check || kind == "base58");
    if (c["valid"].get<bool>()) {
      const Bytes payload = hex(c[check ? "payload_hex" : "hex"].get<std::string>());
      EXPECT_EQ(check ? base58check_encode(payload) : base58_encode(payload), enc);
      auto back = check ? base58check_decode(enc) : base58_decode(enc);
      ASSERT_TRUE(back.ok()) << back.error();
      EXPECT_EQ(hex_of(*back), hex_of(payload));
      // N3 addresses among the Base58Check cases: 21 bytes with version 0x35.
      if (check && payload.size() == 21) {
        auto sh = address_to_script_hash(enc);
        if (c.value("n3_address_valid", true)) {
          ASSERT_TRUE(sh.ok()) << sh.error();
          EXPECT_EQ(hex_of(sh->bytes), hex_of(ByteSpan(payload).subspan(1)));
          EXPECT_EQ(to_address(*sh), enc);
        } else {
          ASSERT_FALSE(sh.ok());
          EXPECT_NE(sh.error().message().find("version byte 0x17"), std::string::npos)
              << sh.error();
        }
      }
      ++valid;
    } else {
      auto r = check ? base58check_decode(enc) : base58_decode(enc);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
      EXPECT_TRUE(contains_any(r.error().message(), expected_phrases(c["error"]))) << r.error();
      ++invalid;
    }
  }
  EXPECT_EQ(valid + invalid, 39);
  std::printf("base58.json: %d valid, %d invalid cases passed\n", valid, invalid);
}

TEST(Base58, PreciseErrors) {
  auto r = base58_decode("12 3");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "base58: invalid character byte 0x20 at position 2");
  r = base58_decode("abcI");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "base58: invalid character 'I' at position 3");
  r = base58_decode(std::string("1\0", 2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "base58: invalid character byte 0x00 at position 1");
  r = base58check_decode("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "base58check: too short (0 bytes decoded, at least 4 needed for the checksum)");
  r = base58check_decode("THqY");  // 3 bytes
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("too short (3 bytes"), std::string::npos) << r.error();
  // The length cap bounds the quadratic conversion.
  r = base58_decode(std::string(kBase58MaxDecodeInput + 1, '2'));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("exceeds the limit"), std::string::npos);
  EXPECT_TRUE(base58_decode(std::string(kBase58MaxDecodeInput, 'z')).ok());
}

TEST(Base58, RoundTripsEveryLengthAndLeadingZeros) {
  for (std::size_t n = 0; n < 80; ++n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
      b[i] = static_cast<std::uint8_t>(i < n / 3 ? 0 : i * 37 + n);
    auto back = base58_decode(base58_encode(b));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, b) << n;
    auto back2 = base58check_decode(base58check_encode(b));
    ASSERT_TRUE(back2.ok());
    EXPECT_EQ(*back2, b) << n;
  }
}

TEST(Base58Check, EverySingleCharacterChangeIsDetectedOrInvalid) {
  const std::string good = "NPTmAHDxo6Pkyic8Nvu3kwyXoYJCvcCB6i";
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = bad[i] == 'z' ? 'y' : 'z';
    EXPECT_FALSE(base58check_decode(bad).ok()) << i;
  }
}

}  // namespace
}  // namespace nsl::neo
