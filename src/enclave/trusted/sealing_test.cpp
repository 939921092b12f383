#include "enclave/trusted/sealing.hpp"

#include <gtest/gtest.h>

#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"
#include "enclave/protocol/import_wrap.hpp"
#include "enclave/trusted/test_support.hpp"

namespace nsl::enclave::trusted {
namespace {

using testing::binding;
using testing::str_bytes;

const Bytes kMeasurement(32, 0xaa);
const Bytes kSigner(32, 0xbb);

Sealer make_sealer(const SecretBytes& root, SealPolicy policy = SealPolicy::signer,
                   const Bytes& identity = kSigner) {
  auto s = Sealer::create(root, policy, identity);
  EXPECT_TRUE(s.ok());
  return std::move(s).value();
}

Bytes reveal(const SecretBytes& s) {
  auto v = s.reveal(SecretAccess::grant());
  return {v.begin(), v.end()};
}

class SealingTest : public ::testing::Test {
 protected:
  SecretBytes root_ = SecretBytes::random(32);
  Sealer sealer_ = make_sealer(root_);
  SecretBytes key_ = SecretBytes::random(32);
};

TEST_F(SealingTest, KeyBlobLayout) {
  auto blob = sealer_.seal_key(binding(), KeyCurve::secp256k1, key_);
  ASSERT_TRUE(blob.ok()) << blob.error();
  ASSERT_EQ(blob->size(), kSealedOverhead + 32);
  EXPECT_EQ((*blob)[0], 1);  // version
  EXPECT_EQ((*blob)[1], 1);  // kind: private key
  EXPECT_EQ((*blob)[2], static_cast<std::uint8_t>(KeyCurve::secp256k1));
  EXPECT_EQ((*blob)[3], 2);  // policy: signer

  // The fingerprint is SHA-256("nsl-seal-fp-v1" || sealing key)[0,8), the sealing key as
  // documented.
  Bytes info = str_bytes("nsl-seal-v1");
  info.push_back(2);
  auto key = crypto::hkdf_sha256(root_, kSigner, info, 32);
  ASSERT_TRUE(key.ok());
  Bytes fp_in = str_bytes("nsl-seal-fp-v1");
  const Bytes k = reveal(*key);
  fp_in.insert(fp_in.end(), k.begin(), k.end());
  const auto fp = crypto::sha256(fp_in);
  EXPECT_TRUE(std::equal(fp.begin(), fp.begin() + 8, blob->begin() + 4));
  EXPECT_TRUE(std::equal(fp.begin(), fp.begin() + 8, sealer_.fingerprint().begin()));

  // And the ciphertext opens under that key with AAD = header || binding_aad.
  Bytes aad(blob->begin(), blob->begin() + 12);
  const Bytes b = binding_aad(binding());
  aad.insert(aad.end(), b.begin(), b.end());
  auto plain = crypto::aes256gcm_open_secret(*key, ByteView(*blob).subspan(12), aad);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->equals(key_));
}

TEST_F(SealingTest, KeyOpensOnlyUnderItsBinding) {
  auto blob = sealer_.seal_key(binding(), KeyCurve::ed25519, key_);
  ASSERT_TRUE(blob.ok());
  auto opened = sealer_.open_key(binding(), *blob);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->curve, KeyCurve::ed25519);
  EXPECT_TRUE(opened->private_key.equals(key_));

  const Binding others[] = {binding("tenant-b"), binding("tenant-a", "key-2"),
                            binding("tenant-a", "key-1", 2),
                            binding("tenant-a", "key-1", 1, "secret")};
  for (const Binding& other : others) {
    auto r = sealer_.open_key(other, *blob);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);
    EXPECT_EQ(
        r.error().message(),
        "sealed blob does not match this binding (tenant, object, version, purpose) or is corrupt");
  }
}

TEST_F(SealingTest, SecretOpensOnlyUnderItsBindingAndAad) {
  const Bytes plain = str_bytes("postgres://user:pw@db/app");
  const Bytes aad = str_bytes("column=dsn");
  auto blob = sealer_.seal_secret(binding(), plain, aad);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ((*blob)[1], 2);  // kind: tenant secret
  EXPECT_EQ((*blob)[2], 0);  // no curve
  auto back = sealer_.open_secret(binding(), *blob, aad);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(reveal(*back), plain);

  for (const Binding& other :
       {binding("tenant-b"), binding("tenant-a", "key-2"), binding("tenant-a", "key-1", 9),
        binding("tenant-a", "key-1", 1, "other")}) {
    EXPECT_EQ(sealer_.open_secret(other, *blob, aad).error().code(), ErrorCode::permission_denied);
  }
  EXPECT_EQ(sealer_.open_secret(binding(), *blob, str_bytes("column=dsn2")).error().code(),
            ErrorCode::permission_denied);
  EXPECT_EQ(sealer_.open_secret(binding(), *blob, {}).error().code(), ErrorCode::permission_denied);
}

TEST_F(SealingTest, EmptyAndMaximalSecrets) {
  auto empty = sealer_.seal_secret(binding(), {}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), kSealedOverhead);
  auto back = sealer_.open_secret(binding(), *empty, {});
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());

  const Bytes max(kMaxSecretSize, 0x5a);
  EXPECT_TRUE(sealer_.seal_secret(binding(), max, {}).ok());
  const Bytes over(kMaxSecretSize + 1, 0x5a);
  EXPECT_EQ(sealer_.seal_secret(binding(), over, {}).error().code(), ErrorCode::invalid_argument);
}

TEST_F(SealingTest, KindsAreNotInterchangeable) {
  auto key_blob = sealer_.seal_key(binding(), KeyCurve::secp256r1, key_);
  auto secret_blob = sealer_.seal_secret(binding(), reveal(key_), {});
  ASSERT_TRUE(key_blob.ok());
  ASSERT_TRUE(secret_blob.ok());
  auto as_key = sealer_.open_key(binding(), *secret_blob);
  ASSERT_FALSE(as_key.ok());
  EXPECT_EQ(as_key.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(as_key.error().message(), "sealed blob holds a tenant secret, not a private key");
  auto as_secret = sealer_.open_secret(binding(), *key_blob, {});
  ASSERT_FALSE(as_secret.ok());
  EXPECT_EQ(as_secret.error().code(), ErrorCode::permission_denied);

  // Rewriting the kind byte does not help: the header is authenticated.
  Bytes relabelled = *secret_blob;
  relabelled[1] = 1;
  relabelled[2] = static_cast<std::uint8_t>(KeyCurve::secp256r1);
  EXPECT_EQ(sealer_.open_key(binding(), relabelled).error().code(), ErrorCode::permission_denied);
}

TEST_F(SealingTest, EveryFlippedByteFails) {
  auto key_blob = sealer_.seal_key(binding(), KeyCurve::secp256r1, key_);
  ASSERT_TRUE(key_blob.ok());
  for (std::size_t i = 0; i < key_blob->size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80}) {
      Bytes t = *key_blob;
      t[i] ^= mask;
      EXPECT_FALSE(sealer_.open_key(binding(), t).ok()) << "byte " << i;
    }
  }
  auto secret_blob = sealer_.seal_secret(binding(), str_bytes("s3cret"), str_bytes("x"));
  ASSERT_TRUE(secret_blob.ok());
  for (std::size_t i = 0; i < secret_blob->size(); ++i) {
    Bytes t = *secret_blob;
    t[i] ^= 0x01;
    EXPECT_FALSE(sealer_.open_secret(binding(), t, str_bytes("x")).ok()) << "byte " << i;
  }
}

TEST_F(SealingTest, MalformedHeaders) {
  auto blob = sealer_.seal_key(binding(), KeyCurve::secp256r1, key_);
  ASSERT_TRUE(blob.ok());
  auto short_blob = sealer_.open_key(binding(), ByteView(*blob).first(kSealedOverhead - 1));
  ASSERT_FALSE(short_blob.ok());
  EXPECT_EQ(short_blob.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(short_blob.error().message(), "sealed blob: too short");

  Bytes v2 = *blob;
  v2[0] = 2;
  auto r = sealer_.open_key(binding(), v2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message(), "sealed blob: unsupported version 2");

  Bytes policy = *blob;
  policy[3] = 9;
  EXPECT_EQ(sealer_.open_key(binding(), policy).error().code(), ErrorCode::invalid_argument);
  Bytes curve = *blob;
  curve[2] = 0;
  EXPECT_EQ(sealer_.open_key(binding(), curve).error().code(), ErrorCode::permission_denied);
}

TEST_F(SealingTest, OtherSealingSecretFails) {
  auto blob = sealer_.seal_key(binding(), KeyCurve::secp256r1, key_);
  ASSERT_TRUE(blob.ok());
  const SecretBytes other_root = SecretBytes::random(32);
  const Sealer other = make_sealer(other_root);
  auto r = other.open_key(binding(), *blob);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(r.error().message(),
            "sealed blob was sealed by a different enclave identity or sealing secret");

  // Same secret and identity: a second sealer (another process start) opens it.
  const Sealer same = make_sealer(root_);
  EXPECT_TRUE(same.open_key(binding(), *blob).ok());
}

TEST_F(SealingTest, MeasurementPolicyBindsTheMeasurement) {
  const Sealer m1 = make_sealer(root_, SealPolicy::measurement, kMeasurement);
  auto blob = m1.seal_key(binding(), KeyCurve::secp256r1, key_);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ((*blob)[3], 1);
  EXPECT_TRUE(
      make_sealer(root_, SealPolicy::measurement, kMeasurement).open_key(binding(), *blob).ok());

  const Sealer m2 = make_sealer(root_, SealPolicy::measurement, Bytes(32, 0xac));
  auto r = m2.open_key(binding(), *blob);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);

  // A signer-policy enclave does not open measurement-policy blobs, and says why.
  auto s = sealer_.open_key(binding(), *blob);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(s.error().message(),
            "sealed blob was sealed under the measurement policy; this enclave uses signer");
}

TEST_F(SealingTest, SignerPolicyIgnoresTheMeasurement) {
  // Under "signer" the salt is the signer id, so builds with different measurements share blobs:
  // the measurement is simply not an input (checked by construction: the sealer never sees it).
  const Sealer upgraded = make_sealer(root_, SealPolicy::signer, kSigner);
  auto blob = sealer_.seal_key(binding(), KeyCurve::secp256r1, key_);
  ASSERT_TRUE(blob.ok());
  EXPECT_TRUE(upgraded.open_key(binding(), *blob).ok());
  const Sealer other_signer = make_sealer(root_, SealPolicy::signer, Bytes(32, 0xbc));
  EXPECT_EQ(other_signer.open_key(binding(), *blob).error().code(), ErrorCode::permission_denied);
}

TEST_F(SealingTest, DataKeys) {
  auto k1 = sealer_.derive_data_key(binding());
  auto k2 = make_sealer(root_).derive_data_key(binding());
  ASSERT_TRUE(k1.ok());
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(k1->size(), 32u);
  EXPECT_TRUE(k1->equals(*k2));

  // HKDF(ikm = sealing secret, salt = identity, info = "nsl-data-key-v1" || binding_aad).
  Bytes info = str_bytes("nsl-data-key-v1");
  const Bytes b = binding_aad(binding());
  info.insert(info.end(), b.begin(), b.end());
  auto expected = crypto::hkdf_sha256(root_, kSigner, info, 32);
  ASSERT_TRUE(expected.ok());
  EXPECT_TRUE(k1->equals(*expected));

  for (const Binding& other :
       {binding("tenant-b"), binding("tenant-a", "key-2"), binding("tenant-a", "key-1", 2),
        binding("tenant-a", "key-1", 1, "column")}) {
    auto k = sealer_.derive_data_key(other);
    ASSERT_TRUE(k.ok());
    EXPECT_FALSE(k->equals(*k1));
  }
  // Another sealing secret, another data key.
  EXPECT_FALSE(make_sealer(SecretBytes::random(32)).derive_data_key(binding())->equals(*k1));
}

TEST(SealPolicy, Names) {
  EXPECT_EQ(parse_seal_policy("signer").value(), SealPolicy::signer);
  EXPECT_EQ(parse_seal_policy("measurement").value(), SealPolicy::measurement);
  EXPECT_EQ(parse_seal_policy("mrenclave").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(seal_policy_name(SealPolicy::signer), "signer");
}

}  // namespace
}  // namespace nsl::enclave::trusted
