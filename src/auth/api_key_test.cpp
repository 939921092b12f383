#include "auth/api_key.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace nsl::auth {
namespace {

bool in_alphabet(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }

TEST(ApiKey, GeneratedShape) {
  const NewApiKey k = generate_api_key();
  const std::string_view t = k.token.reveal();
  ASSERT_EQ(t.size(), 69u);
  EXPECT_TRUE(t.starts_with("nsl_"));
  EXPECT_EQ(t[16], '_');
  EXPECT_EQ(k.prefix, t.substr(4, 12));
  for (const char c : t.substr(4, 12)) EXPECT_TRUE(in_alphabet(c)) << c;
  for (const char c : t.substr(17)) EXPECT_TRUE(in_alphabet(c)) << c;
  EXPECT_EQ(k.hash.size(), 64u);
  EXPECT_EQ(k.hash, api_key_hash(t));
  EXPECT_TRUE(looks_like_api_key(t));
  auto parsed = parse_api_key(t);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->prefix, k.prefix);
  EXPECT_TRUE(api_key_matches(k.hash, t));
}

TEST(ApiKey, KeysAreUnique) {
  std::set<std::string> prefixes, hashes;
  for (int i = 0; i < 200; ++i) {
    const NewApiKey k = generate_api_key();
    EXPECT_TRUE(parse_api_key(k.token.reveal()).ok());
    prefixes.insert(k.prefix);
    hashes.insert(k.hash);
  }
  EXPECT_EQ(prefixes.size(), 200u);
  EXPECT_EQ(hashes.size(), 200u);
}

TEST(ApiKey, HashIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2.
  EXPECT_EQ(api_key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKey, MatchesIsExact) {
  const NewApiKey k = generate_api_key();
  std::string t(k.token.reveal());
  EXPECT_TRUE(api_key_matches(k.hash, t));
  std::string upper_hash = k.hash;
  for (auto& c : upper_hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(api_key_matches(upper_hash, t));  // hex case is not significant
  std::string flipped = t;
  flipped.back() = flipped.back() == 'a' ? 'q' : 'a';
  EXPECT_FALSE(api_key_matches(k.hash, flipped));
  EXPECT_FALSE(api_key_matches(k.hash, t + "x"));
  EXPECT_FALSE(api_key_matches(k.hash, ""));
  EXPECT_FALSE(api_key_matches("", t));
  EXPECT_FALSE(api_key_matches(k.hash.substr(0, 63), t));
  EXPECT_FALSE(api_key_matches(std::string(64, 'g'), t));
  EXPECT_FALSE(api_key_matches(generate_api_key().hash, t));
}

TEST(ApiKey, ParseIsStrict) {
  const NewApiKey k = generate_api_key();
  const std::string t(k.token.reveal());
  std::vector<std::string> bad = {
      "",
      "nsl_",
      t.substr(0, 68),
      t + "a",
      "NSL_" + t.substr(4),  // case of the start
      "nsk_" + t.substr(4),
      t.substr(0, 16) + "-" + t.substr(17),  // separator
      " " + t.substr(1),
      t.substr(0, 68) + "b",  // non-canonical last character
      t.substr(0, 68) + "7",
      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
  };
  // An out-of-alphabet character at every position of prefix and secret.
  for (std::size_t i = 4; i < t.size(); ++i) {
    if (i == 16) continue;
    for (const char c : {'A', '1', '8', '0', '_', '=', '\0'}) {
      std::string s = t;
      s[i] = c;
      bad.push_back(s);
    }
  }
  for (const auto& s : bad) {
    auto r = parse_api_key(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().code(), ErrorCode::unauthenticated);
    EXPECT_EQ(r.error().message(), "malformed API key");
  }
}

TEST(ApiKey, LooksLikeRouting) {
  EXPECT_TRUE(looks_like_api_key("nsl_whatever"));
  EXPECT_FALSE(looks_like_api_key("eyJhbGciOiJFUzI1NiJ9.e30.sig"));
  EXPECT_FALSE(looks_like_api_key("NSL_abc"));
  EXPECT_FALSE(looks_like_api_key(""));
}

}  // namespace
}  // namespace nsl::auth
