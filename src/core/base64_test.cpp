#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nsl {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }
std::string text_of(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

// RFC 4648 §10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kCases) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
    auto d = base64_decode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(text_of(*d), plain);
    // base64url of the same bytes: the same text without padding (no + or / in these).
    std::string unpadded(encoded);
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    EXPECT_EQ(base64url_encode(bytes_of(plain)), unpadded);
    auto u = base64url_decode(unpadded);
    ASSERT_TRUE(u.has_value()) << unpadded;
    EXPECT_EQ(text_of(*u), plain);
  }
}

TEST(Base64, AlphabetsDiffer) {
  const std::vector<std::uint8_t> b{0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encode(b), "+/+/");
  EXPECT_EQ(base64url_encode(b), "-_-_");
  EXPECT_EQ(*base64url_decode("-_-_"), b);
  EXPECT_FALSE(base64url_decode("+/+/").has_value());
  EXPECT_FALSE(base64_decode("-_-_").has_value());
}

TEST(Base64, StandardRequiresPadding) {
  EXPECT_FALSE(base64_decode("Zg").has_value());
  EXPECT_FALSE(base64_decode("Zg=").has_value());
  EXPECT_FALSE(base64_decode("Zm8").has_value());
  EXPECT_FALSE(base64_decode("Z===").has_value());
  EXPECT_FALSE(base64_decode("Zg=a").has_value());
  EXPECT_FALSE(base64_decode("Zg==Zg==").has_value());  // padding only at the end
}

TEST(Base64, UrlRejectsPaddingWhitespaceAndLengthMod4Eq1) {
  EXPECT_FALSE(base64url_decode("Zg==").has_value());
  EXPECT_FALSE(base64url_decode("Zg=").has_value());
  EXPECT_FALSE(base64url_decode("Zm9v ").has_value());
  EXPECT_FALSE(base64url_decode("Zm\n9v").has_value());
  EXPECT_FALSE(base64url_decode("Z").has_value());
  EXPECT_FALSE(base64url_decode("Zm9vY").has_value());
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  // "Zg" is canonical for "f"; "Zh".."Zv" carry non-zero unused bits and would alias it.
  EXPECT_TRUE(base64url_decode("Zg").has_value());
  EXPECT_FALSE(base64url_decode("Zh").has_value());
  EXPECT_FALSE(base64url_decode("Zm9=").has_value());
  EXPECT_TRUE(base64url_decode("Zm8").has_value());
  EXPECT_FALSE(base64url_decode("Zm9").has_value());
  EXPECT_FALSE(base64_decode("Zh==").has_value());
  EXPECT_FALSE(base64_decode("Zm9=").has_value());
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    std::vector<std::uint8_t> part(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(*base64_decode(base64_encode(part)), part);
    EXPECT_EQ(*base64url_decode(base64url_encode(part)), part);
  }
}

}  // namespace
}  // namespace nsl
