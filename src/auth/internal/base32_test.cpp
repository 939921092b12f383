#include "auth/internal/base32.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nsl::auth::internal {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// RFC 4648 §10, with the padding removed (we never emit or accept it).
TEST(Base32, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, enc] : cases) {
    EXPECT_EQ(base32_encode(bytes_of(plain)), enc);
    EXPECT_EQ(base32_encoded_size(std::string_view(plain).size()), std::string_view(enc).size());
    auto dec = base32_decode(enc);
    ASSERT_TRUE(dec.has_value()) << enc;
    EXPECT_EQ(*dec, bytes_of(plain));
    // Lowercase round-trips too.
    const std::string lower = base32_encode(bytes_of(plain), Base32Case::lower);
    EXPECT_EQ(base32_decode(lower), bytes_of(plain));
    EXPECT_TRUE(is_base32_lower(lower));
  }
}

TEST(Base32, AllByteValuesRoundTrip) {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  for (std::size_t n = 0; n <= all.size(); n += 7) {
    const std::vector<std::uint8_t> part(all.begin(), all.begin() + static_cast<long>(n));
    EXPECT_EQ(base32_decode(base32_encode(part)), part);
  }
}

TEST(Base32, StrictDecoding) {
  const char* bad[] = {
      "MY======",  // padding
      "M",         // impossible lengths: 1, 3, 6 mod 8
      "MZX",      "MZXW6Y",
      "MZ",       // 'Z' leaves non-zero unused bits ("MY" is the canonical "f")
      "MZXW6YR",  // same, last char
      "MZxW6",    // mixed case
      "MZXW 6",   // whitespace
      "MZXW1",    // '1' is not in the alphabet
      "MZXW8",    "MZXW-",
  };
  for (const char* s : bad) EXPECT_FALSE(base32_decode(s).has_value()) << s;
  EXPECT_FALSE(is_base32_lower("abcA"));
  EXPECT_FALSE(is_base32_lower("ab1"));
  EXPECT_TRUE(is_base32_lower("az27"));
}

}  // namespace
}  // namespace nsl::auth::internal
