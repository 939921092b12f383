#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include "crypto/testing/vectors.hpp"

namespace nsl::crypto {
namespace {

using testing::hex;
using testing::hex_of;

const Bytes kMsg = {'s', 'e', 'a', 'l', 'e', 'd', ' ', 'k', 'e', 'y'};
const Bytes kAad = {'t', 'e', 'n', 'a', 'n', 't', '/', 'k', '1', '/', 'v', '1'};

void expect_auth_failure(const Result<Bytes>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message(), "aead: authentication failed");
}

TEST(Aead, SealOpenRoundTripAndLayout) {
  const SecretBytes key = SecretBytes::random(32);
  auto sealed = aes256gcm_seal(key, kMsg, kAad);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmNonceSize + kMsg.size() + kGcmTagSize);
  auto opened = aes256gcm_open(key, *sealed, kAad);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kMsg);
  // The layout is nonce || ct || tag: the explicit API opens the same bytes.
  const ByteSpan s(*sealed);
  auto explicit_open =
      aes_gcm_decrypt(key, s.first(12), kAad, s.subspan(12, kMsg.size()), s.last(16));
  ASSERT_TRUE(explicit_open.ok());
  EXPECT_EQ(*explicit_open, kMsg);
}

TEST(Aead, FreshNonceEachSeal) {
  const SecretBytes key = SecretBytes::random(32);
  auto a = aes256gcm_seal(key, kMsg, kAad);
  auto b = aes256gcm_seal(key, kMsg, kAad);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Bytes(a->begin(), a->begin() + 12), Bytes(b->begin(), b->begin() + 12));
  EXPECT_NE(*a, *b);
}

TEST(Aead, EmptyPlaintextAndAad) {
  const SecretBytes key = SecretBytes::random(32);
  auto sealed = aes256gcm_seal(key, ByteSpan{}, ByteSpan{});
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmOverhead);
  auto opened = aes256gcm_open(key, *sealed, {});
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->empty());
}

TEST(Aead, EveryTamperIsRejected) {
  const SecretBytes key = SecretBytes::random(32);
  const Bytes sealed = aes256gcm_seal(key, kMsg, kAad).value();
  for (std::size_t i = 0; i < sealed.size(); ++i) {  // each byte: nonce, ciphertext and tag
    Bytes t = sealed;
    t[i] ^= 0x01;
    expect_auth_failure(aes256gcm_open(key, t, kAad));
    EXPECT_FALSE(aes256gcm_open_secret(key, t, kAad).ok());
  }
  Bytes aad = kAad;
  aad.back() ^= 0x80;
  expect_auth_failure(aes256gcm_open(key, sealed, aad));
  expect_auth_failure(aes256gcm_open(key, sealed, {}));
  expect_auth_failure(
      aes256gcm_open(key, ByteSpan(sealed).first(sealed.size() - 1), kAad));  // truncated tag
  expect_auth_failure(
      aes256gcm_open(key, ByteSpan(sealed).first(kGcmOverhead - 1), kAad));  // too short
  Bytes extended = sealed;
  extended.push_back(0);
  expect_auth_failure(aes256gcm_open(key, extended, kAad));
  expect_auth_failure(aes256gcm_open(SecretBytes::random(32), sealed, kAad));  // wrong key
}

TEST(Aead, SecretPlaintextStaysSecret) {
  const SecretBytes key = SecretBytes::random(32);
  const SecretBytes private_key = SecretBytes::random(32);
  auto sealed = aes256gcm_seal(key, private_key, kAad);
  ASSERT_TRUE(sealed.ok());
  auto back = aes256gcm_open_secret(key, *sealed, kAad);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->equals(private_key));
}

TEST(Aead, RejectsWrongKeySizes) {
  for (std::size_t n : {0u, 16u, 24u, 31u, 33u}) {
    auto r = aes256gcm_seal(SecretBytes(n), kMsg, {});
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
    EXPECT_FALSE(aes256gcm_open(SecretBytes(n), Bytes(40), {}).ok());
  }
}

TEST(Aead, ExplicitApiParameterChecks) {
  const SecretBytes key = SecretBytes::random(16);
  EXPECT_FALSE(aes_gcm_encrypt(key, {}, {}, kMsg).ok());             // empty IV
  EXPECT_FALSE(aes_gcm_encrypt(key, Bytes(12), {}, kMsg, 11).ok());  // tag too short
  EXPECT_FALSE(aes_gcm_encrypt(key, Bytes(12), {}, kMsg, 17).ok());  // tag too long
  EXPECT_FALSE(aes_gcm_encrypt(SecretBytes(20), Bytes(12), {}, kMsg).ok());
  EXPECT_FALSE(aes_gcm_encrypt(key, Bytes(65537), {}, kMsg).ok());
  // Truncated tags (12..16) round-trip, and a 16-byte tag's prefix is the 12-byte tag.
  auto full = aes_gcm_encrypt(key, Bytes(12, 7), kAad, kMsg, 16);
  auto short_tag = aes_gcm_encrypt(key, Bytes(12, 7), kAad, kMsg, 12);
  ASSERT_TRUE(full.ok() && short_tag.ok());
  EXPECT_EQ(Bytes(full->tag.begin(), full->tag.begin() + 12), short_tag->tag);
  EXPECT_TRUE(aes_gcm_decrypt(key, Bytes(12, 7), kAad, short_tag->ciphertext, short_tag->tag).ok());
}

// IVs past OpenSSL's EVP limit (128 bytes) take the CRYPTO_gcm128 path. Here: both sides of the
// seam round-trip and reject tampering; known answers for both paths (IVs of 128 and 257 bytes)
// come from Wycheproof.
TEST(Aead, LongIvRoundTrip) {
  const SecretBytes key = SecretBytes::random(32);
  for (std::size_t iv_len : {1u, 8u, 12u, 16u, 128u, 129u, 257u, 1000u}) {
    const Bytes iv(iv_len, static_cast<std::uint8_t>(iv_len));
    auto sealed = aes_gcm_encrypt(key, iv, kAad, kMsg);
    ASSERT_TRUE(sealed.ok()) << iv_len;
    auto opened = aes_gcm_decrypt(key, iv, kAad, sealed->ciphertext, sealed->tag);
    ASSERT_TRUE(opened.ok()) << iv_len;
    EXPECT_EQ(*opened, kMsg);
    Bytes bad_tag = sealed->tag;
    bad_tag[0] ^= 1;
    expect_auth_failure(aes_gcm_decrypt(key, iv, kAad, sealed->ciphertext, bad_tag));
    Bytes bad_ct = sealed->ciphertext;
    bad_ct[0] ^= 1;
    expect_auth_failure(aes_gcm_decrypt(key, iv, kAad, bad_ct, sealed->tag));
  }
}

// NIST GCM spec (McGrew & Viega) test case 16: AES-256, 96-bit IV, AAD, 60-byte plaintext.
TEST(Aead, McGrewViegaTestCase16) {
  const SecretBytes key =
      SecretBytes::copy_of(hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"));
  const Bytes iv = hex("cafebabefacedbaddecaf888");
  const Bytes pt =
      hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
          "49a6b525b16aedf5aa0de6"
          "57ba637b39");
  const Bytes aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  auto r = aes_gcm_encrypt(key, iv, aad, pt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(hex_of(r->ciphertext),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b"
            "1056828838c5f61e63"
            "93ba7a0abcc9f662");
  EXPECT_EQ(hex_of(r->tag), "76fc6ece0f4e1768cddf8853bb2d551b");
}

}  // namespace
}  // namespace nsl::crypto
