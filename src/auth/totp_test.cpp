#include "auth/totp.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/secret_string.hpp"

namespace nsl::auth {
namespace {

SecretBytes ascii_key(std::string_view s) {
  return SecretBytes::copy_of({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

const SecretBytes& seed(TotpAlgorithm a) {
  static const SecretBytes k1 = ascii_key("12345678901234567890");
  static const SecretBytes k256 = ascii_key("12345678901234567890123456789012");
  static const SecretBytes k512 =
      ascii_key("1234567890123456789012345678901234567890123456789012345678901234");
  return a == TotpAlgorithm::sha1 ? k1 : a == TotpAlgorithm::sha256 ? k256 : k512;
}

// RFC 6238 Appendix B: every listed time, all three hashes, 8 digits.
TEST(Totp, Rfc6238AppendixB) {
  struct Row {
    std::int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Row rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const auto& r : rows) {
    const std::pair<TotpAlgorithm, const char*> per_alg[] = {
        {TotpAlgorithm::sha1, r.sha1},
        {TotpAlgorithm::sha256, r.sha256},
        {TotpAlgorithm::sha512, r.sha512},
    };
    for (const auto& [alg, expected] : per_alg) {
      const TotpParams p{alg, 8, 30};
      auto code = totp_code(seed(alg), r.time, p);
      ASSERT_TRUE(code.ok()) << code.error();
      EXPECT_EQ(*code, expected) << r.time << " " << totp_algorithm_name(alg);
      auto step = totp_verify(seed(alg), expected, r.time, p, 0);
      ASSERT_TRUE(step.ok()) << step.error();
      EXPECT_EQ(*step, static_cast<std::uint64_t>(r.time) / 30);
    }
  }
}

TEST(Totp, SixDigitsIsTheLowDigitsOfEight) {
  // RFC 4226 truncation: the 6-digit code is the 8-digit one mod 10^6.
  EXPECT_EQ(totp_code(seed(TotpAlgorithm::sha1), 59).value(), "287082");
  EXPECT_EQ(totp_code(seed(TotpAlgorithm::sha1), 1111111109).value(), "081804");
}

TEST(Totp, WindowAcceptsOneStepEitherSide) {
  const auto& k = seed(TotpAlgorithm::sha1);
  const std::int64_t now = 1'700'000'000;
  const std::uint64_t step = now / 30;
  const auto prev = totp_code(k, now - 30).value();
  const auto next = totp_code(k, now + 30).value();
  const auto far = totp_code(k, now - 60).value();
  EXPECT_EQ(totp_verify(k, prev, now).value(), step - 1);
  EXPECT_EQ(totp_verify(k, next, now).value(), step + 1);
  EXPECT_EQ(totp_verify(k, far, now).error().code(), ErrorCode::unauthenticated);
  EXPECT_EQ(totp_verify(k, far, now, {}, 2).value(), step - 2);
  EXPECT_EQ(totp_verify(k, prev, now, {}, 0).error().code(), ErrorCode::unauthenticated);
}

TEST(Totp, ReplayOfSameOrEarlierStepIsRefused) {
  const auto& k = seed(TotpAlgorithm::sha1);
  const std::int64_t now = 1'700'000'000;
  const auto code = totp_code(k, now).value();
  auto step = totp_verify(k, code, now);
  ASSERT_TRUE(step.ok());
  auto again = totp_verify(k, code, now, {}, 1, *step);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::unauthenticated);
  // The previous step's code is also refused once a later step was used.
  const auto prev = totp_code(k, now - 30).value();
  EXPECT_FALSE(totp_verify(k, prev, now, {}, 1, *step).ok());
  // The next step's code is still fine.
  const auto next = totp_code(k, now + 30).value();
  EXPECT_EQ(totp_verify(k, next, now, {}, 1, *step).value(), *step + 1);
}

TEST(Totp, MalformedCodesAndBadParams) {
  const auto& k = seed(TotpAlgorithm::sha1);
  for (const char* bad : {"", "12345", "1234567", "12345a", " 12345", "１２３４５６"}) {
    EXPECT_EQ(totp_verify(k, bad, 59).error().code(), ErrorCode::unauthenticated) << bad;
  }
  EXPECT_EQ(totp_code(k, 59, {TotpAlgorithm::sha1, 7, 30}).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(totp_code(k, 59, {TotpAlgorithm::sha1, 6, 0}).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(totp_code(k, -1).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(totp_code(ascii_key("short"), 59).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(totp_verify(k, "287082", 59, {}, 11).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(totp_verify(k, "287082", 59, {}, -1).error().code(), ErrorCode::invalid_argument);
  // Window reaching before the epoch is fine.
  EXPECT_EQ(totp_verify(k, "287082", 59, {}, 3).value(), 1u);
}

TEST(Totp, GeneratedSecretRoundTrips) {
  for (auto [alg, size] :
       {std::pair{TotpAlgorithm::sha1, 20u}, std::pair{TotpAlgorithm::sha256, 32u},
        std::pair{TotpAlgorithm::sha512, 64u}}) {
    auto s = totp_generate_secret(alg);
    EXPECT_EQ(s.key.size(), size);
    EXPECT_EQ(s.base32.size(), (size * 8 + 4) / 5);
    auto back = totp_secret_from_base32(s.base32);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->equals(s.key));
    const TotpParams p{alg, 6, 30};
    EXPECT_TRUE(totp_verify(s.key, totp_code(s.key, 1000, p).value(), 1000, p).ok());
  }
  EXPECT_FALSE(totp_generate_secret().key.equals(totp_generate_secret().key));
  EXPECT_FALSE(totp_secret_from_base32(SecretString("MZXW6YTBOI")).ok());  // 6 bytes: too short
  EXPECT_FALSE(totp_secret_from_base32(SecretString("not base32!")).ok());
  // RFC 6238's SHA-1 seed in base32, as an app would show it.
  auto k = totp_secret_from_base32(SecretString("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->equals(seed(TotpAlgorithm::sha1)));
}

TEST(Totp, Uri) {
  const SecretString secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  auto uri = totp_uri("Neo Service Layer", "alice+1@example.com", secret);
  ASSERT_TRUE(uri.ok()) << uri.error();
  EXPECT_EQ(uri->reveal(),
            "otpauth://totp/Neo%20Service%20Layer:alice%2B1%40example.com"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Neo%20Service%20Layer"
            "&algorithm=SHA1&digits=6&period=30");
  auto uri8 = totp_uri("ACME", "bob", secret, {TotpAlgorithm::sha256, 8, 60});
  ASSERT_TRUE(uri8.ok());
  EXPECT_EQ(uri8->reveal(),
            "otpauth://totp/ACME:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME"
            "&algorithm=SHA256&digits=8&period=60");
  // Non-ASCII is percent-encoded byte by byte (UTF-8).
  EXPECT_EQ(totp_uri("Zürich", "x", secret)->reveal().substr(0, 29),
            "otpauth://totp/Z%C3%BCrich:x?");
  EXPECT_FALSE(totp_uri("", "bob", secret).ok());
  EXPECT_FALSE(totp_uri("ACME", "", secret).ok());
  EXPECT_FALSE(totp_uri("AC:ME", "bob", secret).ok());
  EXPECT_FALSE(totp_uri("ACME", "b:ob", secret).ok());
  EXPECT_FALSE(totp_uri("ACME", "bob", SecretString("")).ok());
  EXPECT_FALSE(totp_uri("ACME", "bob", SecretString("GEZD&x=1")).ok());
}

}  // namespace
}  // namespace nsl::auth
