#include "crypto/ecdsa.hpp"

#include <gtest/gtest.h>

#include <string>
#include <set>
#include <thread>
#include <vector>

#include "core/strings.hpp"
#include "crypto/hash.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::crypto {
namespace {

using testing::hex;
using testing::hex_of;

constexpr Curve kCurves[] = {Curve::secp256r1, Curve::secp256k1};

SecretBytes secret(std::string_view h) { return SecretBytes::copy_of(hex(h)); }

class EcdsaBothCurves : public ::testing::TestWithParam<Curve> {};
INSTANTIATE_TEST_SUITE_P(Curves, EcdsaBothCurves, ::testing::ValuesIn(kCurves),
                         [](const auto& p) { return std::string(curve_name(p.param)); });

TEST_P(EcdsaBothCurves, SignVerifyRoundTrip) {
  const Curve c = GetParam();
  const SecretBytes d = ec_generate_private_key(c);
  ASSERT_TRUE(ec_check_private_key(c, d).ok());
  const auto pub = ec_public_key(c, d).value();
  const auto pub_u = ec_public_key_uncompressed(c, d).value();
  const auto digest = sha256(as_bytes("neo"));
  for (int i = 0; i < 16; ++i) {
    const auto sig = ecdsa_sign(c, d, digest).value();
    EXPECT_TRUE(ecdsa_is_low_s(c, sig));
    EXPECT_TRUE(ecdsa_verify(c, pub, digest, sig));
    EXPECT_TRUE(ecdsa_verify(c, pub_u, digest, sig));
    EXPECT_TRUE(ecdsa_verify_der(c, pub, digest, ecdsa_p1363_to_der(sig).value()));
    // Wrong digest, wrong key, flipped bits: all rejected.
    EXPECT_FALSE(ecdsa_verify(c, pub, sha256(as_bytes("neo!")), sig));
    const auto other = ec_public_key(c, ec_generate_private_key(c)).value();
    EXPECT_FALSE(ecdsa_verify(c, other, digest, sig));
    auto bad = sig;
    bad[i] ^= 0x40;
    EXPECT_FALSE(ecdsa_verify(c, pub, digest, bad));
  }
}

TEST_P(EcdsaBothCurves, HighSVerifiesAndNormalizes) {
  const Curve c = GetParam();
  const SecretBytes d = ec_generate_private_key(c);
  const auto pub = ec_public_key(c, d).value();
  const auto digest = sha256(as_bytes("malleable"));
  const auto low = ecdsa_sign(c, d, digest).value();
  // The malleated twin (r, n - s), computed here independently of ecdsa_normalize_s.
  EcdsaSignature high = low;
  {
    const Bytes n = c == Curve::secp256k1
                        ? hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                        : hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    unsigned borrow = 0;
    for (int i = 31; i >= 0; --i) {
      const unsigned v = unsigned{n[i]} - low[32 + i] - borrow;
      high[32 + i] = static_cast<std::uint8_t>(v);
      borrow = (v >> 8) & 1u;
    }
  }
  EXPECT_FALSE(ecdsa_is_low_s(c, high));
  EXPECT_TRUE(ecdsa_verify(c, pub, digest, high)) << "verify must accept high-S";
  EXPECT_EQ(ecdsa_normalize_s(c, high).value(), low);
  EXPECT_EQ(ecdsa_normalize_s(c, low).value(), low);
}

TEST_P(EcdsaBothCurves, RejectsOutOfRangeScalars) {
  const Curve c = GetParam();
  const std::string n = c == Curve::secp256k1
                            ? "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
                            : "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
  std::string n_minus_1 = n;
  n_minus_1.back() = static_cast<char>(n_minus_1.back() - 1);
  std::string n_plus_1 = n;
  n_plus_1.back() = static_cast<char>(n_plus_1.back() + 1);
  EXPECT_FALSE(ec_check_private_key(c, SecretBytes(32)).ok());  // zero
  EXPECT_FALSE(ec_check_private_key(c, secret(n)).ok());
  EXPECT_FALSE(ec_check_private_key(c, secret(n_plus_1)).ok());
  EXPECT_FALSE(ec_check_private_key(c, secret(std::string(64, 'f'))).ok());
  EXPECT_FALSE(ec_check_private_key(c, SecretBytes::random(31)).ok());
  EXPECT_FALSE(ec_check_private_key(c, SecretBytes::random(33)).ok());
  EXPECT_TRUE(ec_check_private_key(c, secret(n_minus_1)).ok());
  EXPECT_TRUE(ec_check_private_key(c, secret(std::string(63, '0') + "1")).ok());
  EXPECT_FALSE(ecdsa_sign(c, SecretBytes(32), Bytes(32)).ok());

  const SecretBytes d = ec_generate_private_key(c);
  const auto pub = ec_public_key(c, d).value();
  const auto digest = sha256(as_bytes("x"));
  const auto sig = ecdsa_sign(c, d, digest).value();
  // r = 0, s = 0, r = n, s = n: malformed, never verify.
  for (int half = 0; half < 2; ++half) {
    auto z = sig;
    std::fill(z.begin() + 32 * half, z.begin() + 32 * (half + 1), 0);
    EXPECT_FALSE(ecdsa_verify(c, pub, digest, z));
    EXPECT_FALSE(ecdsa_check_signature(c, z).ok());
    auto big = sig;
    const Bytes nb = hex(n);
    std::copy(nb.begin(), nb.end(), big.begin() + 32 * half);
    EXPECT_FALSE(ecdsa_verify(c, pub, digest, big));
    EXPECT_FALSE(ecdsa_normalize_s(c, big).ok());
  }
  // Digest and signature sizes.
  EXPECT_FALSE(ecdsa_sign(c, d, Bytes(31)).ok());
  EXPECT_FALSE(ecdsa_sign(c, d, Bytes(33)).ok());
  EXPECT_FALSE(ecdsa_verify(c, pub, Bytes(31), sig));
  EXPECT_FALSE(ecdsa_verify(c, pub, digest, ByteSpan(sig).first(63)));
  EXPECT_FALSE(ecdsa_verify(c, pub, digest, Bytes(65)));
}

TEST_P(EcdsaBothCurves, PublicKeyCompressionRoundTrip) {
  const Curve c = GetParam();
  for (int i = 0; i < 8; ++i) {
    const SecretBytes d = ec_generate_private_key(c);
    const auto comp = ec_public_key(c, d).value();
    const auto unc = ec_public_key_uncompressed(c, d).value();
    EXPECT_EQ(ec_decompress(c, comp).value(), unc);
    EXPECT_EQ(ec_compress(c, unc).value(), comp);
    EXPECT_EQ(ec_compress(c, comp).value(), comp);
    EXPECT_EQ(ec_decompress(c, unc).value(), unc);
    EXPECT_EQ(comp[0], 0x02 | (unc[64] & 1));
  }
}

TEST_P(EcdsaBothCurves, PublicKeyValidationRejects) {
  const Curve c = GetParam();
  const auto unc = ec_public_key_uncompressed(c, ec_generate_private_key(c)).value();
  const auto comp = ec_compress(c, unc).value();
  // Verification must refuse every such key too, even with a signature that is otherwise well
  // formed.
  const SecretBytes d = ec_generate_private_key(c);
  const auto digest = sha256(as_bytes("k"));
  const auto sig = ecdsa_sign(c, d, digest).value();
  auto rejects = [&](ByteSpan k, const char* why) {
    EXPECT_FALSE(ec_check_public_key(c, k).ok()) << why;
    EXPECT_FALSE(ec_compress(c, k).ok()) << why;
    EXPECT_FALSE(ec_decompress(c, k).ok()) << why;
    EXPECT_FALSE(ecdsa_verify(c, k, digest, sig)) << why;
  };
  EXPECT_TRUE(ec_check_public_key(c, unc).ok());
  EXPECT_TRUE(ec_check_public_key(c, comp).ok());
  auto off = unc;
  off[64] ^= 1;
  rejects(off, "uncompressed point off the curve");
  auto hybrid = unc;
  hybrid[0] = static_cast<std::uint8_t>(0x06 | (unc[64] & 1));
  rejects(hybrid, "hybrid 06/07 prefix");
  auto wrong_prefix = comp;
  wrong_prefix[0] = 0x04;
  rejects(wrong_prefix, "04 prefix on 33 bytes");
  auto unc_prefix = unc;
  unc_prefix[0] = 0x02;
  rejects(unc_prefix, "02 prefix on 65 bytes");
  Bytes zero_prefix(comp.begin(), comp.end());
  zero_prefix[0] = 0x00;
  rejects(zero_prefix, "00 prefix");
  rejects(Bytes{0x00}, "identity (single 00 byte)");
  Bytes origin(65, 0);
  origin[0] = 0x04;
  rejects(origin, "(0, 0)");
  rejects(ByteSpan(comp).first(32), "short");
  rejects(ByteSpan(unc).first(64), "short uncompressed");
  rejects(Bytes{}, "empty");
  Bytes longer(unc.begin(), unc.end());
  longer.push_back(0);
  rejects(longer, "trailing byte");
  // x = p (the field prime) is not a field element.
  const Bytes p = c == Curve::secp256k1
                      ? hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
                      : hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
  Bytes x_is_p{0x02};
  x_is_p.insert(x_is_p.end(), p.begin(), p.end());
  rejects(x_is_p, "x = p");
  Bytes y_is_big(unc.begin(), unc.end());
  std::copy(p.begin(), p.end(), y_is_big.begin() + 33);
  rejects(y_is_big, "y = p");
  // About half of all x have no point; whatever is accepted must round-trip.
  int accepted = 0;
  for (int x = 1; x <= 24; ++x) {
    Bytes k(33, 0);
    k[0] = 0x02;
    k[32] = static_cast<std::uint8_t>(x);
    if (auto u = ec_decompress(c, k); u.ok()) {
      ++accepted;
      EXPECT_EQ(Bytes(u->begin() + 1, u->begin() + 33), Bytes(k.begin() + 1, k.end()));
      EXPECT_EQ(ec_compress(c, *u).value()[0], 0x02);
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 24);
}

TEST(Ecdsa, CurvesDoNotShareKeys) {
  // A random P-256 point is on secp256k1 with negligible probability.
  const auto p256 =
      ec_public_key_uncompressed(Curve::secp256r1, ec_generate_private_key(Curve::secp256r1))
          .value();
  EXPECT_FALSE(ec_check_public_key(Curve::secp256k1, p256).ok());
}

TEST(Ecdsa, P256RawHighSOptionStillVerifies) {
  const SecretBytes d = ec_generate_private_key(Curve::secp256r1);
  const auto pub = ec_public_key(Curve::secp256r1, d).value();
  const auto digest = sha256(as_bytes("raw"));
  int high = 0;
  for (int i = 0; i < 64; ++i) {
    const auto sig = ecdsa_sign(Curve::secp256r1, d, digest, {.low_s = false}).value();
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, sig));
    high += ecdsa_is_low_s(Curve::secp256r1, sig) ? 0 : 1;
  }
  EXPECT_GT(high, 0) << "64 random-nonce signatures, none high-S: probability 2^-64";
}

// --- prepared signing keys (secp256r1) -----------------------------------------------------------

TEST(EcSigningKey, SignaturesVerifyAndAreLowS) {
  const SecretBytes d = ec_generate_private_key(Curve::secp256r1);
  const auto pub = ec_public_key(Curve::secp256r1, d).value();
  const auto pub_u = ec_public_key_uncompressed(Curve::secp256r1, d).value();
  const EcSigningKey key = prepare_signing_key(Curve::secp256r1, d).value();
  ASSERT_FALSE(key.empty());
  for (int i = 0; i < 32; ++i) {
    const auto digest = sha256(Bytes(1, static_cast<std::uint8_t>(i)));
    const auto sig = ecdsa_sign(key, digest).value();
    EXPECT_TRUE(ecdsa_is_low_s(Curve::secp256r1, sig));
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, sig));
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub_u, digest, sig));
    EXPECT_FALSE(ecdsa_verify(Curve::secp256r1, pub, sha256(as_bytes("other")), sig));
    // The per-call path signs with the same key (random nonces, so compare by verification).
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest,
                             ecdsa_sign(Curve::secp256r1, d, digest).value()));
  }
  // low_s = false keeps OpenSSL's raw s, as the per-call path does.
  const auto digest = sha256(as_bytes("raw"));
  int high = 0;
  for (int i = 0; i < 64; ++i) {
    const auto sig = ecdsa_sign(key, digest, {.low_s = false}).value();
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, sig));
    high += ecdsa_is_low_s(Curve::secp256r1, sig) ? 0 : 1;
  }
  EXPECT_GT(high, 0) << "64 random-nonce signatures, none high-S: probability 2^-64";
}

TEST(EcSigningKey, KnownKeySignsForItsPublicKey) {
  // Neo N3 test key (see NeoTestKeys below): the prepared key is this scalar, not merely some key.
  const SecretBytes d = secret("7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344");
  const Bytes pub = hex("02028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef");
  const auto key = prepare_signing_key(Curve::secp256r1, d).value();
  const auto digest = sha256(as_bytes("neo"));
  EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, ecdsa_sign(key, digest).value()));
}

TEST(EcSigningKey, RejectsInvalidScalarsAndCurves) {
  const std::string n = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
  std::string n_minus_1 = n;
  n_minus_1.back() = static_cast<char>(n_minus_1.back() - 1);
  std::string n_plus_1 = n;
  n_plus_1.back() = static_cast<char>(n_plus_1.back() + 1);
  auto rejected = [](const SecretBytes& d) {
    auto k = prepare_signing_key(Curve::secp256r1, d);
    return !k.ok() && k.error().code() == ErrorCode::invalid_argument;
  };
  EXPECT_TRUE(rejected(SecretBytes(32))) << "zero";
  EXPECT_TRUE(rejected(secret(n))) << "n";
  EXPECT_TRUE(rejected(secret(n_plus_1))) << "n + 1";
  EXPECT_TRUE(rejected(secret(std::string(64, 'f')))) << "2^256 - 1";
  EXPECT_TRUE(rejected(SecretBytes::random(31))) << "31 bytes";
  EXPECT_TRUE(rejected(SecretBytes::random(33))) << "33 bytes";
  EXPECT_TRUE(rejected(SecretBytes())) << "empty";
  const auto k1 = prepare_signing_key(Curve::secp256k1, ec_generate_private_key(Curve::secp256k1));
  ASSERT_FALSE(k1.ok());
  EXPECT_EQ(k1.error().code(), ErrorCode::invalid_argument);
  // The range ends, 1 and n - 1, are keys.
  const auto digest = sha256(as_bytes("edge"));
  for (const std::string& h : {std::string(63, '0') + "1", n_minus_1}) {
    const SecretBytes d = secret(h);
    const auto key = prepare_signing_key(Curve::secp256r1, d);
    ASSERT_TRUE(key.ok()) << h;
    const auto pub = ec_public_key(Curve::secp256r1, d).value();
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, ecdsa_sign(*key, digest).value())) << h;
  }
}

TEST(EcSigningKey, EmptyMovedAndBadDigests) {
  const auto digest = sha256(as_bytes("m"));
  const EcSigningKey none;
  EXPECT_TRUE(none.empty());
  auto r = ecdsa_sign(none, digest);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::failed_precondition);

  const SecretBytes d = ec_generate_private_key(Curve::secp256r1);
  const auto pub = ec_public_key(Curve::secp256r1, d).value();
  EcSigningKey a = prepare_signing_key(Curve::secp256r1, d).value();
  EcSigningKey b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from key is empty
  EXPECT_FALSE(ecdsa_sign(a, digest).ok());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, ecdsa_sign(b, digest).value()));
  for (const std::size_t size : {0, 31, 33, 64}) {
    auto s = ecdsa_sign(b, Bytes(size));
    ASSERT_FALSE(s.ok()) << size;
    EXPECT_EQ(s.error().code(), ErrorCode::invalid_argument) << size;
  }
}

TEST(EcSigningKey, ConcurrentSigningWithOneKey) {
  const SecretBytes d = ec_generate_private_key(Curve::secp256r1);
  const auto pub = ec_public_key(Curve::secp256r1, d).value();
  const EcSigningKey key = prepare_signing_key(Curve::secp256r1, d).value();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  struct Signed {
    EcdsaSignature sig{};
    bool ok = false;
  };
  std::vector<std::vector<Signed>> out(kThreads, std::vector<Signed>(kPerThread));
  auto digest_of = [](int t, int i) {
    return sha256(as_bytes("thread " + std::to_string(t) + " message " + std::to_string(i)));
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto sig = ecdsa_sign(key, digest_of(t, i));
        out[t][i].ok = sig.ok();
        if (sig.ok()) out[t][i].sig = *sig;
      }
    });
  }
  for (auto& th : pool) th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_TRUE(out[t][i].ok) << t << "/" << i;
      EXPECT_TRUE(ecdsa_is_low_s(Curve::secp256r1, out[t][i].sig)) << t << "/" << i;
      EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest_of(t, i), out[t][i].sig))
          << t << "/" << i;
    }
  }
}

// A prepared P-256 key reuses its signing contexts: every signature still verifies, and each draws
// a fresh random nonce (OpenSSL's, as documented above), so no two signatures of one digest repeat.
TEST(EcSigningKey, ReusedContextsKeepFreshNonces) {
  const SecretBytes d = ec_generate_private_key(Curve::secp256r1);
  const auto pub = ec_public_key(Curve::secp256r1, d).value();
  const EcSigningKey key = prepare_signing_key(Curve::secp256r1, d).value();
  const auto digest = sha256(as_bytes("one message"));
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto sig = ecdsa_sign(key, digest);
    ASSERT_TRUE(sig.ok()) << i;
    EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, digest, *sig)) << i;
    EXPECT_TRUE(seen.insert(std::string(sig->begin(), sig->end())).second) << "signature " << i << " repeats";
  }
}

// Neo N3 test keys (neo-go internal/keytestcases @4b67ae6e, neon-js testKeys.json @4cd13894).
TEST(Ecdsa, NeoTestKeys) {
  struct Case {
    const char *d, *pub, *pub_u;
  };
  const Case cases[] = {
      {"7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344",
       "02028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef",
       "04028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef"
       "35787439bef71cafeebeb4dfd8954d13470d3c383d59f491d98b079c5edbcc2e"},
      {"9ab7e154840daca3a2efadaf0df93cd3a5b51768c632f5433f86909d9b994a69",
       "031d8e1630ce640966967bc6d95223d21f44304133003140c3b52004dc981349c9",
       "041d8e1630ce640966967bc6d95223d21f44304133003140c3b52004dc981349c9"
       "4617303f7408d9abfedfb6fbb00dd07e3e7735d918bbea7a7e2c1895ea1bc9b9"},
      {"3edee7036b8fd9cef91de47386b191dd76db2888a553e7736bb02808932a915b",
       "02232ce8d2e2063dce0451131851d47421bfc4fc1da4db116fca5302c0756462fa",
       "04232ce8d2e2063dce0451131851d47421bfc4fc1da4db116fca5302c0756462fa"
       "48f1440bdc147c4e588b60678a44d7c7326ea18bd1d6b033f1328dd50f4b7496"},
  };
  for (const auto& k : cases) {
    const SecretBytes d = secret(k.d);
    EXPECT_EQ(hex_of(ec_public_key(Curve::secp256r1, d).value()), k.pub);
    EXPECT_EQ(hex_of(ec_public_key_uncompressed(Curve::secp256r1, d).value()), k.pub_u);
    EXPECT_EQ(hex_of(ec_decompress(Curve::secp256r1, hex(k.pub)).value()), k.pub_u);
  }
}

// Witness of real N3 MainNet transaction 0xaba1eda6…: signature over SHA-256(magic LE ||
// SHA-256(unsigned tx)).
TEST(Ecdsa, NeoMainnetWitnessVerifies) {
  const Bytes sign_data =
      hex("4e454f33fa1e96af551570ec915e0e5cbbab91c2dddd6a80ede2e3fab6c8548ba6eda1ab");
  const Bytes sig =
      hex("52264d69ee0e4d2bb610e196fba7f0b252c8a55b1ccce011f68e91efdead15fd"
          "8a1be9cbcecef4f6d090ecd10b64e43bcd4cdf175f400cbbc7fde7cd4f8bfd2f");
  const Bytes pub = hex("0353f7aff015d3d204eecd508f4aa67f447df4d15ec4ba649f4fa91bdb7a78a354");
  EXPECT_TRUE(ecdsa_verify(Curve::secp256r1, pub, sha256(sign_data), sig));
  Bytes testnet = sign_data;  // same transaction under the TestNet magic 894710606 must fail
  testnet[0] = 0x4e;
  testnet[1] = 0x74;
  testnet[2] = 0x54;
  testnet[3] = 0x35;
  EXPECT_FALSE(ecdsa_verify(Curve::secp256r1, pub, sha256(testnet), sig));
}

// RFC 6979 on secp256k1: libsecp256k1's default nonce function must reproduce signatures made by
// ethers@6.17.0 (noble-curves, RFC 6979 HMAC-SHA256, no extra entropy). The first case is the
// EIP-155 example key (EIPS/eip-155.md @02e4eda4); the others are NeoX transactions with well-known
// public test keys.
struct Rfc6979Case {
  const char *d, *hash, *r, *s;
  int y_parity;
  const char* sender;
};
const Rfc6979Case kRfc6979[] = {
    {"4646464646464646464646464646464646464646464646464646464646464646",
     "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53",
     "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276",
     "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83", 0,
     "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"},
    {"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4ff2f80",
     "c7ecab6cd556a71ff6ab3722b4d09f56ab824f832c8384adae6c5e0399cf71a2",
     "d7c481db18472897abdaef3fe01287ac157da68e69f88075c6a577727d57ce94",
     "7d0ffe33d9ec631c62a63b7c7571315173eb3cb7e5ba6a72fc1a02ebc8d1472a", 1,
     "e6dfa56335b116b7d6ed176c8bfa5ce73402582d"},
    {"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4ff2f80",
     "74769bbf0aa926843a104e5750578612fa134d2a1b6535addf1bc896bc921fd7",
     "aa009c69e9acadfe8e000b90897c098ed925f497ab51308b780efb4a2f5a312d",
     "7e69deda11a5d3eb02e0a398eabbee040c606bf1d75bf0a437c14dccf6b1ff2a", 1,
     "e6dfa56335b116b7d6ed176c8bfa5ce73402582d"},
    {"4646464646464646464646464646464646464646464646464646464646464646",
     "8339f87ea7785e845e7538be185b9fc649170e3862d4f2a4bce8df2b6f759ba6",
     "a60ef81a074129a0e3603fc51f5a91879abb303fde229728d4073d64d4e73b87",
     "6df2bd983dd4ae5c6d7b9b856b743a92386a523bd9280b681edb9e71283da7e3", 1,
     "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"},
    {"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4ff2f80",
     "d8819d47b3685d0940edb2f74433d693069c91596a0f84ff2ab21477187290f4",
     "f60e46ad21ae8ca033e65f9f975ed5c48e79f51d9582bac9922ef14b522b40dd",
     "31af2dde620ab2016ca45948850f426fdb67682d56cf2c70fcfc5b3533ef26bb", 1,
     "e6dfa56335b116b7d6ed176c8bfa5ce73402582d"},
    {"4646464646464646464646464646464646464646464646464646464646464646",
     "70709d93733ff96e610472bd90e28cc44cfb09e4e9dda8a4a846b68c6b591203",
     "da76e6ea39e66d00f7c8b91ac4e9ca24fd7537766da3035dd1551202ace861cb",
     "470d9b06d5fc0bb4a37ba0dee6cfc520e96f2ec793ed702fcae688a4ff0a5d37", 0,
     "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"},
};

TEST(Secp256k1, Rfc6979MatchesPublishedSignatures) {
  for (const auto& v : kRfc6979) {
    const SecretBytes d = secret(v.d);
    const Bytes hash = hex(v.hash);
    const auto sig = ecdsa_sign(Curve::secp256k1, d, hash).value();
    EXPECT_EQ(hex_of(ByteSpan(sig).first(32)), v.r);
    EXPECT_EQ(hex_of(ByteSpan(sig).last(32)), v.s);
    const auto rec = secp256k1_sign_recoverable(d, hash).value();
    EXPECT_EQ(rec.rs, sig);
    EXPECT_EQ(rec.recovery_id, v.y_parity);
    // recover -> Ethereum address = last 20 bytes of keccak256(X || Y).
    const auto pub = secp256k1_recover(hash, sig, v.y_parity).value();
    const auto h = keccak256(ByteSpan(pub).subspan(1));
    EXPECT_EQ(hex_of(ByteSpan(h).last(20)), v.sender);
    EXPECT_EQ(pub, ec_public_key_uncompressed(Curve::secp256k1, d).value());
  }
}

TEST(Secp256k1, DeterministicAndRecoverable) {
  const SecretBytes d = ec_generate_private_key(Curve::secp256k1);
  const auto pub = ec_public_key_uncompressed(Curve::secp256k1, d).value();
  for (int i = 0; i < 16; ++i) {
    const auto digest = sha256(Bytes(1, static_cast<std::uint8_t>(i)));
    const auto a = secp256k1_sign_recoverable(d, digest).value();
    const auto b = secp256k1_sign_recoverable(d, digest).value();
    EXPECT_EQ(a.rs, b.rs);  // RFC 6979: same key and digest, same signature
    EXPECT_LE(a.recovery_id, 1);
    EXPECT_EQ(secp256k1_recover(digest, a.rs, a.recovery_id).value(), pub);
    // The other parity recovers a different key (or none).
    auto wrong = secp256k1_recover(digest, a.rs, a.recovery_id ^ 1);
    if (wrong.ok()) {
      EXPECT_NE(*wrong, pub);
    }
    // Recovery over another digest gives another key.
    auto other = secp256k1_recover(sha256(as_bytes("other")), a.rs, a.recovery_id);
    if (other.ok()) {
      EXPECT_NE(*other, pub);
    }
  }
  const auto digest = sha256(as_bytes("m"));
  const auto sig = secp256k1_sign_recoverable(d, digest).value();
  EXPECT_FALSE(secp256k1_recover(digest, sig.rs, 4).ok());
  EXPECT_FALSE(secp256k1_recover(digest, sig.rs, -1).ok());
  EXPECT_FALSE(secp256k1_recover(Bytes(31), sig.rs, 0).ok());
  EXPECT_FALSE(secp256k1_recover(digest, EcdsaSignature{}, 0).ok());
}

// --- DER <-> P1363 -------------------------------------------------------------------------------

TEST(EcdsaDer, RoundTripEdgeValues) {
  const std::string cases[] = {
      std::string(63, '0') + "1" + std::string(63, '0') + "1",  // r = s = 1: one-byte integers
      "80" + std::string(62, '0') + "7f" +
          std::string(62, 'f'),  // high bit r needs a 00 pad, s doesn't
      "0000000000000000000000000000000000000000000000000000000000000080" +  // short r with pad
          std::string(64, 'f'),
      "00ff" + std::string(60, '1') + "0000" + std::string(60, '2'),
  };
  for (const auto& h : cases) {
    const Bytes rs = hex(h);
    const auto der = ecdsa_p1363_to_der(rs).value();
    const auto back = ecdsa_der_to_p1363(der).value();
    EXPECT_EQ(Bytes(back.begin(), back.end()), rs) << h;
  }
  EXPECT_EQ(hex_of(ecdsa_p1363_to_der(hex(cases[0])).value()), "3006020101020101");
  EXPECT_EQ(hex_of(ecdsa_p1363_to_der(hex(cases[1])).value()).substr(0, 10), "3045022100");
  EXPECT_FALSE(ecdsa_p1363_to_der(Bytes(63)).ok());
  EXPECT_FALSE(ecdsa_p1363_to_der(Bytes(65)).ok());
}

TEST(EcdsaDer, StrictParsingRejects) {
  EXPECT_TRUE(ecdsa_der_to_p1363(hex("3006020101020101")).ok());
  EXPECT_TRUE(
      ecdsa_der_to_p1363(hex("3006020100020100")).ok());  // zero is valid DER; verify rejects it
  const Bytes full33 = hex("3046022100" + std::string("80") + std::string(62, '1') + "022100" +
                           "ff" + std::string(62, '2'));
  EXPECT_TRUE(ecdsa_der_to_p1363(full33).ok());
  const char* bad[] = {
      "",                        // empty
      "30",                      // no length
      "3000",                    // no integers
      "300602010102010100",      // trailing byte after the sequence
      "300702010102010100",      // extra byte inside the sequence
      "3007020101020101",        // sequence length too long
      "3005020101020101",        // sequence length too short
      "308106020101020101",      // long-form length (non-minimal)
      "310602010102010101",      // wrong outer tag
      "3006030101020101",        // wrong integer tag
      "3006020181020101",        // negative r
      "3006020101020181",        // negative s
      "300702020001020101",      // r with superfluous leading zero
      "30050200020101",          // zero-length integer
      "3009020101020101020101",  // three integers
      "3003020101",              // one integer
      "30080281010102810101",    // long-form integer lengths
  };
  for (const char* h : bad) {
    EXPECT_FALSE(ecdsa_der_to_p1363(hex(h)).ok()) << h;
  }
  // 33 significant bytes (> 2^256) cannot be a scalar of a 256-bit curve.
  const Bytes too_big =
      hex("3046022101" + std::string(64, '1') + "022100" + "ff" + std::string(62, '2'));
  EXPECT_FALSE(ecdsa_der_to_p1363(too_big).ok());
}

}  // namespace
}  // namespace nsl::crypto
