#include "crypto/mac.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ct.hpp"
#include "crypto/hash.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::crypto {
namespace {

using testing::hex;
using testing::hex_of;

std::string reveal_hex(const SecretBytes& s) { return hex_of(s.reveal(SecretAccess::grant())); }

// RFC 4231 test cases 1, 2 and 6 (key longer than the block size).
TEST(Hmac, Rfc4231) {
  const Bytes k1(20, 0x0b);
  EXPECT_EQ(hex_of(hmac_sha256(k1, as_bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex_of(hmac_sha512(k1, as_bytes("Hi There"))),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(hex_of(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_of(hmac_sha512(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  const Bytes k6(131, 0xaa);
  const auto m6 = as_bytes("Test Using Larger Than Block-Size Key - Hash Key First");
  EXPECT_EQ(hex_of(hmac_sha256(k6, m6)),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex_of(hmac_sha512(k6, m6)),
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
            "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
  // Secret-key overloads agree.
  EXPECT_EQ(hmac_sha256(SecretBytes::copy_of(k6), m6), hmac_sha256(k6, m6));
  EXPECT_EQ(hmac_sha512(SecretBytes::copy_of(k6), m6), hmac_sha512(k6, m6));
}

// RFC 2202 §3: HMAC-SHA-1 test cases 1-7 (TOTP's default PRF).
TEST(Hmac, Sha1Rfc2202) {
  struct Case {
    Bytes key;
    std::string data;
    const char* mac;
  };
  const std::string dd(50, '\xdd');
  const std::string cd(50, '\xcd');
  Bytes k4;
  for (std::uint8_t i = 1; i <= 25; ++i) k4.push_back(i);
  const Case cases[] = {
      {Bytes(20, 0x0b), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
      {Bytes{'J', 'e', 'f', 'e'}, "what do ya want for nothing?",
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {Bytes(20, 0xaa), dd, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {k4, cd, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {Bytes(20, 0x0c), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      {Bytes(80, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First",
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {Bytes(80, 0xaa), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(hex_of(hmac_sha1(c.key, as_bytes(c.data))), c.mac) << c.data;
    EXPECT_EQ(hmac_sha1(SecretBytes::copy_of(c.key), as_bytes(c.data)),
              hmac_sha1(c.key, as_bytes(c.data)));
  }
}

TEST(Hmac, EmptyKeyAndMessage) {
  EXPECT_EQ(hex_of(hmac_sha256(ByteSpan{}, ByteSpan{})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(ConstantTime, Equal) {
  const Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  EXPECT_TRUE(ct_equal(a, b));
  EXPECT_FALSE(ct_equal(a, c));
  EXPECT_FALSE(ct_equal(a, d));
  EXPECT_TRUE(ct_equal({}, {}));
}

// RFC 5869 A.1 and A.3 (zero-length salt and info).
TEST(Hkdf, Rfc5869) {
  const Bytes ikm(22, 0x0b);
  const Bytes salt = hex("000102030405060708090a0b0c");
  const Bytes info = hex("f0f1f2f3f4f5f6f7f8f9");
  auto okm = hkdf_sha256(ikm, salt, info, 42);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(reveal_hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  auto okm3 = hkdf_sha256(SecretBytes::copy_of(ikm), {}, {}, 42);
  ASSERT_TRUE(okm3.ok());
  EXPECT_EQ(reveal_hex(*okm3),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// The per-digest HMAC contexts are shared by every thread (each call duplicates one): many threads
// at once get the single-threaded answers (run under ThreadSanitizer in the tsan preset).
TEST(Hkdf, ConcurrentCallsAgreeWithTheVectors) {
  const Bytes ikm(22, 0x0b);
  const Bytes salt = hex("000102030405060708090a0b0c");
  const Bytes info = hex("f0f1f2f3f4f5f6f7f8f9");
  const std::string want =
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
  const auto mac_want = hmac_sha256(as_bytes("key"), as_bytes("message"));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto okm = hkdf_sha256(ikm, salt, info, 42);
        if (!okm.ok() || reveal_hex(*okm) != want) ++wrong;
        if (hmac_sha256(as_bytes("key"), as_bytes("message")) != mac_want) ++wrong;
        (void)hmac_sha1(as_bytes("key"), as_bytes("message"));
        (void)hmac_sha512(as_bytes("key"), as_bytes("message"));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Hkdf, RejectsBadLengths) {
  EXPECT_EQ(hkdf_sha256(as_bytes("k"), {}, {}, 0).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(hkdf_sha256(as_bytes("k"), {}, {}, 8161).error().code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(hkdf_sha256(as_bytes("k"), {}, {}, 8160).ok());
  EXPECT_EQ(hkdf_sha256(as_bytes("k"), {}, Bytes(1025, 1), 32).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_TRUE(hkdf_sha256(as_bytes("k"), {}, Bytes(1024, 1), 32).ok());
}

// RFC 7914 §12.
TEST(Scrypt, Rfc7914) {
  auto a = scrypt(ByteSpan{}, ByteSpan{}, 16, 1, 1, 64);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(reveal_hex(*a),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  auto b = scrypt(as_bytes("password"), as_bytes("NaCl"), 1024, 8, 16, 64);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(reveal_hex(*b),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  auto c = scrypt(SecretBytes::copy_of(as_bytes("pleaseletmein")), as_bytes("SodiumChloride"),
                  16384, 8, 1, 64);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(reveal_hex(*c),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

TEST(Scrypt, RejectsBadParameters) {
  const auto code = [](Result<SecretBytes> r) {
    return r.ok() ? ErrorCode::internal : r.error().code();
  };
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 0, 8, 1, 32)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 1, 8, 1, 32)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 1000, 8, 1, 32)),
            ErrorCode::invalid_argument);  // not a power of two
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 16, 0, 1, 32)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 16, 8, 0, 32)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 16, 8, 1, 0)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 1u << 16, 1, 1, 32)),
            ErrorCode::invalid_argument);  // N >= 2^(16r)
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 1u << 21, 8, 1, 32)),
            ErrorCode::invalid_argument);  // 2 GiB > cap
  EXPECT_EQ(code(scrypt(ByteSpan{}, ByteSpan{}, 1ull << 40, 8, 1, 32)),
            ErrorCode::invalid_argument);
}

// --- NEP-2 end to end: scrypt with Neo's N=16384, r=8, p=8 (16 MiB), checked against a published
// NEP-2 string. Vector: neo-go internal/keytestcases @4b67ae6e / neon-js testKeys.json @4cd13894,
// key "a".
Bytes base58_decode(std::string_view s) {
  static constexpr std::string_view kAlphabet =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  Bytes num;  // big-endian base-256
  for (char ch : s) {
    const auto digit = kAlphabet.find(ch);
    EXPECT_NE(digit, std::string_view::npos);
    unsigned carry = static_cast<unsigned>(digit);
    for (auto it = num.rbegin(); it != num.rend(); ++it) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry);
      carry >>= 8;
    }
    while (carry > 0) {
      num.insert(num.begin(), static_cast<std::uint8_t>(carry));
      carry >>= 8;
    }
  }
  for (char ch : s) {
    if (ch != '1') break;
    num.insert(num.begin(), 0);
  }
  return num;
}

TEST(Scrypt, Nep2NeoParameters) {
  const std::string address = "NPTmAHDxo6Pkyic8Nvu3kwyXoYJCvcCB6i";
  const Bytes nep2 = base58_decode("6PYUUUFei9PBBfVkSn8q7hFCnewWFRBKPxcn6Kz6Bmk3FqWyLyuTQE2XFH");
  ASSERT_EQ(nep2.size(), 43u);
  const ByteSpan payload = ByteSpan(nep2).first(39);
  const auto checksum = hash256(payload);
  ASSERT_EQ(Bytes(nep2.end() - 4, nep2.end()), Bytes(checksum.begin(), checksum.begin() + 4));
  ASSERT_EQ(hex_of(payload.first(3)), "0142e0");
  const ByteSpan address_hash = payload.subspan(3, 4);
  EXPECT_EQ(hex_of(address_hash), hex_of(ByteSpan(hash256(as_bytes(address))).first(4)));

  auto dk = scrypt(as_bytes("city of zion"), address_hash, 16384, 8, 8, 64);
  ASSERT_TRUE(dk.ok()) << dk.error();
  const ByteSpan key = dk->reveal(SecretAccess::grant());

  // AES-256-ECB decrypt the two halves with derivedhalf2, then XOR with derivedhalf1.
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ASSERT_EQ(EVP_DecryptInit_ex(ctx, EVP_aes_256_ecb(), nullptr, key.data() + 32, nullptr), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  Bytes plain(32);
  int len = 0;
  ASSERT_EQ(EVP_DecryptUpdate(ctx, plain.data(), &len, payload.data() + 7, 32), 1);
  ASSERT_EQ(len, 32);
  EVP_CIPHER_CTX_free(ctx);
  for (std::size_t i = 0; i < 32; ++i) plain[i] ^= key[i];
  EXPECT_EQ(hex_of(plain), "7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344");
}

}  // namespace
}  // namespace nsl::crypto
