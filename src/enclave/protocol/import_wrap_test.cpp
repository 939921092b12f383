#include "enclave/protocol/import_wrap.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/strings.hpp"
#include "crypto/aead.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/x25519.hpp"

namespace nsl::enclave {
namespace {

Binding test_binding() { return {"tenant-a", "key-1", 7, "signing"}; }

SecretBytes filled(std::uint8_t value, std::size_t n) {
  SecretBytes s(n);
  auto v = s.reveal_mut(SecretAccess::grant());
  std::fill(v.begin(), v.end(), value);
  return s;
}

// The recipient's half of the scheme, written out from the format description.
Result<SecretBytes> unwrap(const SecretBytes& recipient_private, ByteView wrapped,
                           const Binding& b) {
  NSL_TRY_ASSIGN(auto v, parse_import_wrap(wrapped));
  NSL_TRY_ASSIGN(auto shared, crypto::x25519(recipient_private, v.ephemeral_public_key));
  NSL_TRY_ASSIGN(auto k, import_wrap_key(shared, v.ephemeral_public_key, v.recipient_public_key));
  return crypto::aes256gcm_open_secret(k, v.sealed, import_wrap_aad(v.header, b));
}

TEST(BindingAad, CanonicalEncoding) {
  const Bytes aad = binding_aad({"t1", "obj", 0x01020304, "sig"});
  EXPECT_EQ(to_hex(aad),
            "0002"
            "7431"  // u16 len, "t1"
            "0003"
            "6f626a"    // u16 len, "obj"
            "01020304"  // u32 version
            "0003"
            "736967");  // u16 len, "sig"
}

TEST(BindingAad, FieldBoundariesAreUnambiguous) {
  EXPECT_NE(binding_aad({"ab", "c", 1, "p"}), binding_aad({"a", "bc", 1, "p"}));
  EXPECT_NE(binding_aad({"a", "b", 1, "p"}), binding_aad({"a", "b", 2, "p"}));
  EXPECT_NE(binding_aad({"a", "b", 1, "p"}), binding_aad({"a", "b", 1, "q"}));
}

TEST(ImportWrap, LayoutAndRoundTrip) {
  const auto recipient = crypto::x25519_generate();
  const SecretBytes key = crypto::ec_generate_private_key(crypto::Curve::secp256k1);
  auto wrapped = wrap_for_import(recipient.public_key, KeyCurve::secp256k1, test_binding(), key);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error();
  ASSERT_EQ(wrapped->size(), kImportWrapSize);
  EXPECT_EQ((*wrapped)[0], 1);
  EXPECT_EQ((*wrapped)[1], static_cast<std::uint8_t>(KeyCurve::secp256k1));
  EXPECT_TRUE(
      std::equal(recipient.public_key.begin(), recipient.public_key.end(), wrapped->begin() + 2));

  auto back = unwrap(recipient.private_key, *wrapped, test_binding());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->equals(key));

  // A fresh ephemeral key per wrap: wrapping twice gives unrelated bytes.
  auto again = wrap_for_import(recipient.public_key, KeyCurve::secp256k1, test_binding(), key);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(std::equal(wrapped->begin() + 34, wrapped->begin() + 66, again->begin() + 34));
}

TEST(ImportWrap, OtherBindingOrTamperingFails) {
  const auto recipient = crypto::x25519_generate();
  const SecretBytes seed = SecretBytes::random(32);
  auto wrapped = wrap_for_import(recipient.public_key, KeyCurve::ed25519, test_binding(), seed);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error();
  Binding other = test_binding();
  other.version = 8;
  EXPECT_FALSE(unwrap(recipient.private_key, *wrapped, other).ok());
  for (std::size_t i = 0; i < wrapped->size(); ++i) {
    Bytes t = *wrapped;
    t[i] ^= 0x01;
    EXPECT_FALSE(unwrap(recipient.private_key, t, test_binding()).ok()) << "byte " << i;
  }
}

TEST(ImportWrap, RejectsBadInputs) {
  const auto recipient = crypto::x25519_generate();
  const SecretBytes ok_key = crypto::ec_generate_private_key(crypto::Curve::secp256r1);
  EXPECT_EQ(
      wrap_for_import(Bytes(31, 1), KeyCurve::secp256r1, test_binding(), ok_key).error().code(),
      ErrorCode::invalid_argument);
  EXPECT_EQ(
      wrap_for_import(recipient.public_key, KeyCurve::secp256r1, test_binding(), SecretBytes(31))
          .error()
          .code(),
      ErrorCode::invalid_argument);
  // Scalar 0 and scalar 0xff..ff (>= n) are not private keys.
  EXPECT_FALSE(
      wrap_for_import(recipient.public_key, KeyCurve::secp256r1, test_binding(), SecretBytes(32))
          .ok());
  EXPECT_FALSE(
      wrap_for_import(recipient.public_key, KeyCurve::secp256k1, test_binding(), filled(0xff, 32))
          .ok());
  // A low-order recipient key (all zeros) would give a known shared secret.
  EXPECT_FALSE(wrap_for_import(Bytes(32, 0), KeyCurve::secp256r1, test_binding(), ok_key).ok());
  Binding bad = test_binding();
  bad.tenant_id.clear();
  EXPECT_EQ(wrap_for_import(recipient.public_key, KeyCurve::secp256r1, bad, ok_key).error().code(),
            ErrorCode::invalid_argument);
}

TEST(ImportWrap, ParseRejectsMalformed) {
  Bytes w(kImportWrapSize, 0);
  w[0] = 1;
  w[1] = 3;
  EXPECT_TRUE(parse_import_wrap(w).ok());
  EXPECT_FALSE(parse_import_wrap(ByteView(w).first(kImportWrapSize - 1)).ok());
  Bytes longer = w;
  longer.push_back(0);
  EXPECT_FALSE(parse_import_wrap(longer).ok());
  w[0] = 2;
  auto r = parse_import_wrap(w);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "import wrap: unsupported version 2");
  w[0] = 1;
  for (std::uint8_t c : {0, 4, 255}) {
    w[1] = c;
    EXPECT_FALSE(parse_import_wrap(w).ok()) << int(c);
  }
}

TEST(ExportWrap, RoundTripAndDomainSeparation) {
  const crypto::X25519KeyPair owner = crypto::x25519_generate();
  const SecretBytes d = filled(0x11, 32);
  auto wrapped = wrap_for_export(owner.public_key, KeyCurve::secp256k1, test_binding(), d);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error();
  ASSERT_EQ(wrapped->size(), kExportWrapSize);
  auto opened = open_export_wrap(owner.private_key, test_binding(), *wrapped);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->curve, KeyCurve::secp256k1);
  EXPECT_TRUE(opened->private_key == d);
  // An export wrap is not an import wrap (other HKDF info), and the binding is authenticated.
  EXPECT_FALSE(unwrap(owner.private_key, *wrapped, test_binding()).ok());
  auto imp = wrap_for_import(owner.public_key, KeyCurve::secp256k1, test_binding(), d);
  ASSERT_TRUE(imp.ok());
  EXPECT_EQ(open_export_wrap(owner.private_key, test_binding(), *imp).error().code(),
            ErrorCode::permission_denied);
  Binding other = test_binding();
  other.version = 8;
  EXPECT_EQ(open_export_wrap(owner.private_key, other, *wrapped).error().code(),
            ErrorCode::permission_denied);
  Bytes tampered = *wrapped;
  tampered.back() ^= 1;
  EXPECT_EQ(open_export_wrap(owner.private_key, test_binding(), tampered).error().code(),
            ErrorCode::permission_denied);
  const crypto::X25519KeyPair stranger = crypto::x25519_generate();
  EXPECT_EQ(open_export_wrap(stranger.private_key, test_binding(), *wrapped).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_FALSE(open_export_wrap(owner.private_key, test_binding(), Bytes(10)).ok());
}

}  // namespace
}  // namespace nsl::enclave
