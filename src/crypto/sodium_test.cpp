#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/ed25519.hpp"
#include "crypto/testing/vectors.hpp"
#include "crypto/x25519.hpp"

namespace nsl::crypto {
namespace {

using testing::hex;
using testing::hex_of;

// RFC 8032 §7.1, TEST 1 and TEST 2.
TEST(Ed25519, Rfc8032) {
  struct Case {
    const char *seed, *pub, *msg, *sig;
  };
  const Case cases[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf"
       "9b46bd25bf5f0595bbe"
       "24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f"
       "11d8c387b2eaeb4302a"
       "eeb00d291612bb0c00"},
  };
  for (const auto& c : cases) {
    auto kp = ed25519_from_seed(SecretBytes::copy_of(hex(c.seed)));
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(hex_of(kp->public_key), c.pub);
    const Bytes msg = hex(c.msg);
    EXPECT_EQ(hex_of(ed25519_sign(kp->secret_key, msg).value()), c.sig);
    EXPECT_TRUE(ed25519_verify(kp->public_key, msg, hex(c.sig)));
  }
}

TEST(Ed25519, GenerateSignVerifyAndReject) {
  const auto kp = ed25519_generate();
  EXPECT_EQ(kp.secret_key.size(), 64u);
  const Bytes msg = {1, 2, 3};
  const auto sig = ed25519_sign(kp.secret_key, msg).value();
  EXPECT_TRUE(ed25519_verify(kp.public_key, msg, sig));
  EXPECT_FALSE(ed25519_verify(kp.public_key, Bytes{1, 2, 4}, sig));
  for (std::size_t i = 0; i < sig.size(); i += 7) {
    auto bad = sig;
    bad[i] ^= 1;
    EXPECT_FALSE(ed25519_verify(kp.public_key, msg, bad)) << i;
  }
  EXPECT_FALSE(ed25519_verify(ByteSpan(kp.public_key).first(31), msg, sig));
  EXPECT_FALSE(ed25519_verify(kp.public_key, msg, ByteSpan(sig).first(63)));
  EXPECT_FALSE(ed25519_sign(SecretBytes(32), msg).ok());
  EXPECT_FALSE(ed25519_from_seed(SecretBytes(31)).ok());
  // Non-canonical S (S + L) is malleability and must be rejected.
  const Bytes l =
      hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");  // L, little-endian
  auto mall = sig;
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned v = mall[32 + i] + l[i] + carry;
    mall[32 + i] = static_cast<std::uint8_t>(v);
    carry = v >> 8;
  }
  EXPECT_FALSE(ed25519_verify(kp.public_key, msg, mall));
}

// RFC 7748 §6.1 (Alice and Bob) and §5.2's single-iteration vector.
TEST(X25519, Rfc7748) {
  const SecretBytes alice =
      SecretBytes::copy_of(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  const SecretBytes bob =
      SecretBytes::copy_of(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  const auto alice_pub = x25519_public_key(alice).value();
  const auto bob_pub = x25519_public_key(bob).value();
  EXPECT_EQ(hex_of(alice_pub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(hex_of(bob_pub), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const auto k1 = x25519(alice, bob_pub).value();
  const auto k2 = x25519(bob, alice_pub).value();
  EXPECT_TRUE(k1.equals(k2));
  EXPECT_EQ(hex_of(k1.reveal(SecretAccess::grant())),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  const auto single = x25519(
      SecretBytes::copy_of(hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")),
      hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  EXPECT_EQ(hex_of(single.value().reveal(SecretAccess::grant())),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

TEST(X25519, GenerateAgreeAndRejectLowOrder) {
  const auto a = x25519_generate();
  const auto b = x25519_generate();
  EXPECT_TRUE(x25519(a.private_key, b.public_key)
                  .value()
                  .equals(x25519(b.private_key, a.public_key).value()));
  // Low-order points force an all-zero secret: u = 0 and u = 1.
  for (const char* u : {"0000000000000000000000000000000000000000000000000000000000000000",
                        "0100000000000000000000000000000000000000000000000000000000000000"}) {
    auto r = x25519(a.private_key, hex(u));
    ASSERT_FALSE(r.ok()) << u;
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  }
  EXPECT_FALSE(x25519(a.private_key, Bytes(31, 9)).ok());
  EXPECT_FALSE(x25519(SecretBytes(31), b.public_key).ok());
  EXPECT_FALSE(x25519_public_key(SecretBytes(33)).ok());
}

TEST(Sodium, ConcurrentFirstUseIsSafe) {
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([] {
      const auto kp = ed25519_generate();
      const auto sig = ed25519_sign(kp.secret_key, Bytes{9}).value();
      if (!ed25519_verify(kp.public_key, Bytes{9}, sig)) std::abort();
    });
  }
  for (auto& t : ts) t.join();
}

}  // namespace
}  // namespace nsl::crypto
