#include "chain/neo/nep2.hpp"

#include <gtest/gtest.h>

#include <string>

#include "chain/neo/base58.hpp"
#include "chain/neo/testing/neo_testing.hpp"

namespace nsl::neo {
namespace {

using testing::hex;
using testing::hex_of;

ScryptParams params_of(const nlohmann::json& c) {
  return {c["scrypt"]["n"].get<std::uint64_t>(), c["scrypt"]["r"].get<std::uint32_t>(),
          c["scrypt"]["p"].get<std::uint32_t>()};
}

constexpr ScryptParams kFast{256, 1, 1};

TEST(Nep2, Vectors) {
  const auto v = testing::load_vectors("nep2.json");
  ASSERT_TRUE(v.is_array());
  int valid = 0;
  int invalid = 0;
  for (const auto& c : v) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const std::string pass = c["passphrase"];
    EXPECT_EQ(hex_of(crypto::as_bytes(pass)), c["passphrase_utf8_hex"].get<std::string>());
    const ScryptParams params = params_of(c);
    if (c["valid"].get<bool>()) {
      const SecretBytes key = SecretBytes::copy_of(hex(c["private_key"].get<std::string>()));
      auto enc = nep2_encrypt(key, pass, testing::access(), params);
      ASSERT_TRUE(enc.ok()) << enc.error();
      EXPECT_EQ(*enc, c["nep2"].get<std::string>());
      auto dec = nep2_decrypt(c["nep2"].get<std::string>(), pass, testing::access(), params);
      ASSERT_TRUE(dec.ok()) << dec.error();
      EXPECT_TRUE(dec->equals(key));
      auto from_wif = wif_decode(c["wif"].get<std::string>());
      ASSERT_TRUE(from_wif.ok());
      EXPECT_TRUE(from_wif->equals(key));
      auto pub = crypto::ec_public_key(crypto::Curve::secp256r1, key);
      ASSERT_TRUE(pub.ok());
      EXPECT_EQ(public_key_to_address(*pub).value(), c["address"].get<std::string>());
      ++valid;
    } else {
      auto dec = nep2_decrypt(c["nep2"].get<std::string>(), pass, testing::access(), params);
      ASSERT_FALSE(dec.ok());
      EXPECT_EQ(dec.error().code(), ErrorCode::invalid_argument);
      const std::string category = c["error"];
      if (category == "address hash mismatch (wrong passphrase)") {
        EXPECT_TRUE(nep2_is_wrong_passphrase(dec.error())) << dec.error();
      } else if (category == "base58check checksum mismatch") {
        EXPECT_FALSE(nep2_is_wrong_passphrase(dec.error()));
        EXPECT_EQ(dec.error().message(), "nep2: base58check: checksum mismatch");
      } else {
        ADD_FAILURE() << "unknown category " << category;
      }
      ++invalid;
    }
  }
  EXPECT_EQ(valid, 7);
  EXPECT_EQ(invalid, 3);
  std::printf("nep2.json: %d valid cases (both directions), %d must-fail cases passed\n", valid,
              invalid);
}

TEST(Nep2, PassphraseIsNormalizedToNfc) {
  const SecretBytes key =
      SecretBytes::copy_of(hex("7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344"));
  const std::string composed = "caf\xc3\xa9";     // "café", U+00E9
  const std::string decomposed = "cafe\xcc\x81";  // "cafe" + U+0301 COMBINING ACUTE ACCENT
  auto a = nep2_encrypt(key, composed, testing::access(), kFast);
  auto b = nep2_encrypt(key, decomposed, testing::access(), kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto back = nep2_decrypt(*a, decomposed, testing::access(), kFast);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->equals(key));
  // Hangul: NFC composes the jamo sequence U+1100 U+1161 into U+AC00.
  auto c = nep2_encrypt(key, "\xea\xb0\x80", testing::access(), kFast);
  auto d = nep2_encrypt(key, "\xe1\x84\x80\xe1\x85\xa1", testing::access(), kFast);
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_EQ(*c, *d);
  // Different passphrases still differ.
  auto e = nep2_encrypt(key, "cafe", testing::access(), kFast);
  ASSERT_TRUE(e.ok());
  EXPECT_NE(*a, *e);
}

TEST(Nep2, MalformedInputsAreNotWrongPassphrase) {
  const SecretBytes key =
      SecretBytes::copy_of(hex("7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344"));
  auto good = nep2_encrypt(key, "pw", testing::access(), kFast);
  ASSERT_TRUE(good.ok());
  auto raw = base58check_decode(*good).value();
  ASSERT_EQ(raw.size(), 39u);

  auto expect_malformed = [&](const std::string& nep2, const std::string& message) {
    auto r = nep2_decrypt(nep2, "pw", testing::access(), kFast);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
    EXPECT_FALSE(nep2_is_wrong_passphrase(r.error()));
    EXPECT_EQ(r.error().message(), message);
  };
  Bytes m = raw;
  m[1] = 0x43;
  expect_malformed(base58check_encode(m), "nep2: prefix 0x01 0x43 is not 0x01 0x42");
  m = raw;
  m[2] = 0xc0;  // the uncompressed flag of BIP38
  expect_malformed(base58check_encode(m),
                   "nep2: flag byte 0xc0 is not 0xe0 (only non-EC-multiply, compressed keys)");
  m = raw;
  m.pop_back();
  expect_malformed(base58check_encode(m), "nep2: decoded payload is 38 bytes, expected 39");
  expect_malformed("6PYUUUFei9PBBfVkSn8q7hFCnewWFRBKPxcn6Kz6Bmk3FqWyLyuTQE2XF0",
                   "nep2: base58: invalid character '0' at position 57");
  expect_malformed("",
                   "nep2: base58check: too short (0 bytes decoded, at least 4 needed for the "
                   "checksum)");

  // Wrong passphrase, and a tampered address hash, are the other category.
  auto wrong = nep2_decrypt(*good, "pW", testing::access(), kFast);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(nep2_is_wrong_passphrase(wrong.error()));
  m = raw;
  m[3] ^= 1;
  auto tampered = nep2_decrypt(base58check_encode(m), "pw", testing::access(), kFast);
  ASSERT_FALSE(tampered.ok());
  EXPECT_TRUE(nep2_is_wrong_passphrase(tampered.error()));
  // The right passphrase with other scrypt parameters is a wrong key too.
  auto other_params = nep2_decrypt(*good, "pw", testing::access(), ScryptParams{512, 1, 1});
  ASSERT_FALSE(other_params.ok());
  EXPECT_TRUE(nep2_is_wrong_passphrase(other_params.error()));
}

TEST(Nep2, ParameterAndPassphraseChecks) {
  const SecretBytes key =
      SecretBytes::copy_of(hex("7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344"));
  auto r = nep2_encrypt(key, "pw", testing::access(), ScryptParams{3, 1, 1});  // N not 2^k
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message().rfind("nep2: scrypt: ", 0), 0u) << r.error();
  r = nep2_encrypt(key, "\xff\xfe", testing::access(), kFast);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "nep2: passphrase is not valid UTF-8");
  r = nep2_encrypt(key, std::string(kNep2MaxPassphrase + 1, 'a'), testing::access(), kFast);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "nep2: passphrase longer than 1024 bytes");
  EXPECT_TRUE(nep2_encrypt(key, "", testing::access(), kFast).ok());  // empty is legal
  r = nep2_encrypt(SecretBytes(32), "pw", testing::access(), kFast);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "nep2: not a valid secp256r1 private key");
}

}  // namespace
}  // namespace nsl::neo
