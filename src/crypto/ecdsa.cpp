// ECDSA front end: input validation, SEC1 and DER encodings, low-S, dispatch to the per-curve back
// ends.
#include "crypto/ecdsa.hpp"

#include <cstring>

#include "crypto/internal/ec.hpp"

namespace nsl::crypto {
namespace {

using Scalar = std::array<std::uint8_t, 32>;

// Group orders n (big-endian).
constexpr Scalar kOrderP256 = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
                               0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
constexpr Scalar kOrderK1 = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                             0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                             0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

constexpr Scalar shift_right_1(const Scalar& a) {
  Scalar r{};
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    r[i] = static_cast<std::uint8_t>((a[i] >> 1) | (carry << 7));
    carry = a[i] & 1u;
  }
  return r;
}
constexpr Scalar kHalfOrderP256 = shift_right_1(kOrderP256);  // floor(n/2)
constexpr Scalar kHalfOrderK1 = shift_right_1(kOrderK1);

const Scalar& order(Curve c) noexcept { return c == Curve::secp256k1 ? kOrderK1 : kOrderP256; }
const Scalar& half_order(Curve c) noexcept {
  return c == Curve::secp256k1 ? kHalfOrderK1 : kHalfOrderP256;
}

// a < b over 32 big-endian bytes, in constant time (private keys pass through here).
bool less_than(const std::uint8_t* a, const std::uint8_t* b) noexcept {
  unsigned borrow = 0;
  for (int i = 31; i >= 0; --i) borrow = ((unsigned{a[i]} - b[i] - borrow) >> 8) & 1u;
  return borrow != 0;
}

bool is_zero(const std::uint8_t* a) noexcept {
  unsigned acc = 0;
  for (int i = 0; i < 32; ++i) acc |= a[i];
  return acc == 0;
}

// 1 <= x < n
bool in_scalar_range(Curve c, const std::uint8_t* x) noexcept {
  const bool zero = is_zero(x);
  const bool below = less_than(x, order(c).data());
  return !zero & below;
}

Status check_digest(ByteSpan digest) {
  if (digest.size() != kEcDigestSize)
    return err::invalid_argument("ecdsa: digest must be 32 bytes");
  return ok_status();
}

// SEC1 shape: 33 bytes with 02|03 or 65 bytes with 04. Rules out the identity (00) and hybrid
// (06|07) forms that OpenSSL and libsecp256k1 would otherwise accept; the curve checks are the back
// ends'.
bool sec1_shape_ok(ByteSpan encoded) noexcept {
  const bool compressed = encoded.size() == 33 && (encoded[0] == 0x02 || encoded[0] == 0x03);
  const bool uncompressed = encoded.size() == 65 && encoded[0] == 0x04;
  return compressed || uncompressed;
}

Result<UncompressedPublicKey> decode_public(Curve curve, ByteSpan encoded) {
  if (!sec1_shape_ok(encoded)) {
    return err::invalid_argument(
        "ec: public key must be SEC1 compressed (33 bytes) or uncompressed (65 bytes)");
  }
  UncompressedPublicKey out;
  const bool ok = curve == Curve::secp256k1 ? internal::k1_decode_point(encoded, out)
                                            : internal::p256_decode_point(encoded, out);
  if (!ok) return err::invalid_argument("ec: public key is not a point on the curve");
  return out;
}

CompressedPublicKey compress(const UncompressedPublicKey& u) noexcept {
  CompressedPublicKey c;
  c[0] = static_cast<std::uint8_t>(0x02 | (u[64] & 1));
  std::memcpy(c.data() + 1, u.data() + 1, 32);
  return c;
}

// Reads one DER INTEGER at der[pos] into a 32-byte big-endian scalar; strict (see ecdsa.hpp).
bool read_der_integer(ByteSpan der, std::size_t& pos, std::uint8_t* out) noexcept {
  if (der.size() - pos < 2 || der[pos] != 0x02) return false;
  std::size_t len = der[pos + 1];
  pos += 2;
  // Long-form lengths are never minimal for integers this small (<= 33 bytes).
  if (len == 0 || len >= 0x80 || der.size() - pos < len) return false;
  const std::uint8_t* p = der.data() + pos;
  if (p[0] & 0x80) return false;                                // negative
  if (len > 1 && p[0] == 0x00 && !(p[1] & 0x80)) return false;  // superfluous leading zero
  pos += len;
  if (len > 1 && p[0] == 0x00) {
    ++p;
    --len;
  }
  if (len > 32) return false;
  std::memset(out, 0, 32);
  std::memcpy(out + 32 - len, p, len);
  return true;
}

void append_der_integer(Bytes& out, const std::uint8_t* x) {
  std::size_t skip = 0;
  while (skip < 31 && x[skip] == 0) ++skip;
  const bool pad = (x[skip] & 0x80) != 0;
  out.push_back(0x02);
  out.push_back(static_cast<std::uint8_t>(32 - skip + (pad ? 1 : 0)));
  if (pad) out.push_back(0x00);
  out.insert(out.end(), x + skip, x + 32);
}

}  // namespace

std::string_view curve_name(Curve c) noexcept {
  return c == Curve::secp256k1 ? "secp256k1" : "secp256r1";
}

// --- keys ----------------------------------------------------------------------------------------

SecretBytes ec_generate_private_key(Curve curve) {
  // Rejection sampling: uniform in [1, n-1]. For P-256 a draw fails with probability ~2^-32, for
  // secp256k1 ~2^-128.
  for (;;) {
    SecretBytes d = SecretBytes::random(kEcPrivateKeySize);
    if (in_scalar_range(curve, d.reveal(SecretAccess::grant()).data())) return d;
  }
}

Status ec_check_private_key(Curve curve, const SecretBytes& private_key) {
  if (private_key.size() != kEcPrivateKeySize)
    return err::invalid_argument("ec: private key must be 32 bytes");
  if (!in_scalar_range(curve, private_key.reveal(SecretAccess::grant()).data())) {
    return err::invalid_argument("ec: private key out of range");
  }
  return ok_status();
}

Result<UncompressedPublicKey> ec_public_key_uncompressed(Curve curve,
                                                         const SecretBytes& private_key) {
  NSL_TRY(ec_check_private_key(curve, private_key));
  const ByteSpan d = private_key.reveal(SecretAccess::grant());
  UncompressedPublicKey out;
  const bool ok = curve == Curve::secp256k1 ? internal::k1_public_from_private(d, out)
                                            : internal::p256_public_from_private(d, out);
  if (!ok) return err::internal("ec: public key derivation failed");
  return out;
}

Result<CompressedPublicKey> ec_public_key(Curve curve, const SecretBytes& private_key) {
  NSL_TRY_ASSIGN(auto u, ec_public_key_uncompressed(curve, private_key));
  return compress(u);
}

Status ec_check_public_key(Curve curve, ByteSpan encoded) {
  NSL_TRY(decode_public(curve, encoded));
  return ok_status();
}

Result<CompressedPublicKey> ec_compress(Curve curve, ByteSpan encoded) {
  NSL_TRY_ASSIGN(auto u, decode_public(curve, encoded));
  return compress(u);
}

Result<UncompressedPublicKey> ec_decompress(Curve curve, ByteSpan encoded) {
  return decode_public(curve, encoded);
}

// --- signatures ----------------------------------------------------------------------------------

Status ecdsa_check_signature(Curve curve, ByteSpan signature_rs) {
  if (signature_rs.size() != 64)
    return err::invalid_argument("ecdsa: signature must be 64 bytes r || s");
  if (!in_scalar_range(curve, signature_rs.data()) ||
      !in_scalar_range(curve, signature_rs.data() + 32)) {
    return err::invalid_argument("ecdsa: r or s out of range");
  }
  return ok_status();
}

bool ecdsa_is_low_s(Curve curve, ByteSpan signature_rs) {
  if (!ecdsa_check_signature(curve, signature_rs).ok()) return false;
  return !less_than(half_order(curve).data(), signature_rs.data() + 32);  // s <= n/2
}

Result<EcdsaSignature> ecdsa_normalize_s(Curve curve, ByteSpan signature_rs) {
  NSL_TRY(ecdsa_check_signature(curve, signature_rs));
  EcdsaSignature out;
  std::memcpy(out.data(), signature_rs.data(), 64);
  if (less_than(half_order(curve).data(), out.data() + 32)) {  // s > n/2: s = n - s
    const Scalar& n = order(curve);
    unsigned borrow = 0;
    for (int i = 31; i >= 0; --i) {
      const unsigned d = unsigned{n[i]} - out[32 + i] - borrow;
      out[32 + i] = static_cast<std::uint8_t>(d);
      borrow = (d >> 8) & 1u;
    }
  }
  return out;
}

Result<EcdsaSignature> ecdsa_sign(Curve curve, const SecretBytes& private_key, ByteSpan digest,
                                  EcdsaSignOptions options) {
  NSL_TRY(check_digest(digest));
  NSL_TRY(ec_check_private_key(curve, private_key));
  const ByteSpan d = private_key.reveal(SecretAccess::grant());
  EcdsaSignature sig;
  if (curve == Curve::secp256k1) {
    if (!internal::k1_sign(d, digest, sig, nullptr)) return err::internal("ecdsa: signing failed");
    return sig;
  }
  if (!internal::p256_sign(d, digest, sig)) return err::internal("ecdsa: signing failed");
  return options.low_s ? ecdsa_normalize_s(curve, sig) : Result<EcdsaSignature>(sig);
}

// --- prepared signing keys ----------------------------------------------------------------------

void EcSigningKey::Free::operator()(internal::P256SigningKey* key) const noexcept {
  internal::p256_free(key);
}

Result<EcSigningKey> prepare_signing_key(Curve curve, const SecretBytes& private_key) {
  if (curve != Curve::secp256r1) {
    return err::invalid_argument(
        "ecdsa: prepared signing keys are secp256r1 only (secp256k1 signs from the scalar)");
  }
  NSL_TRY(ec_check_private_key(curve, private_key));
  EcSigningKey key;
  key.impl_.reset(internal::p256_prepare(private_key.reveal(SecretAccess::grant())));
  if (key.empty()) return err::internal("ecdsa: OpenSSL refused the private key");
  return key;
}

Result<EcdsaSignature> ecdsa_sign(const EcSigningKey& key, ByteSpan digest,
                                  EcdsaSignOptions options) {
  if (key.empty()) return err::failed_precondition("ecdsa: empty signing key");
  NSL_TRY(check_digest(digest));
  EcdsaSignature sig;
  if (!internal::p256_sign_prepared(*key.impl_, digest, sig))
    return err::internal("ecdsa: signing failed");
  return options.low_s ? ecdsa_normalize_s(Curve::secp256r1, sig) : Result<EcdsaSignature>(sig);
}

bool ecdsa_verify(Curve curve, ByteSpan public_key, ByteSpan digest, ByteSpan signature_rs) {
  if (!check_digest(digest).ok() || !ecdsa_check_signature(curve, signature_rs).ok()) return false;
  if (!sec1_shape_ok(public_key)) return false;
  EcdsaSignature sig;
  std::memcpy(sig.data(), signature_rs.data(), 64);
  // The back ends decode (and so validate) the point once, straight from the caller's encoding.
  return curve == Curve::secp256k1 ? internal::k1_verify(public_key, digest, sig)
                                   : internal::p256_verify(public_key, digest, sig);
}

bool ecdsa_verify_der(Curve curve, ByteSpan public_key, ByteSpan digest, ByteSpan signature_der) {
  auto rs = ecdsa_der_to_p1363(signature_der);
  return rs.ok() && ecdsa_verify(curve, public_key, digest, *rs);
}

Result<EcdsaSignature> ecdsa_der_to_p1363(ByteSpan der) {
  // SEQUENCE, short-form length equal to the rest of the input (max content 2+33+2+33 = 70 bytes).
  if (der.size() < 2 || der[0] != 0x30 || der[1] >= 0x80 || der[1] != der.size() - 2) {
    return err::invalid_argument("ecdsa: malformed DER signature");
  }
  EcdsaSignature out;
  std::size_t pos = 2;
  if (!read_der_integer(der, pos, out.data()) || !read_der_integer(der, pos, out.data() + 32) ||
      pos != der.size()) {
    return err::invalid_argument("ecdsa: malformed DER signature");
  }
  return out;
}

Result<Bytes> ecdsa_p1363_to_der(ByteSpan signature_rs) {
  if (signature_rs.size() != 64)
    return err::invalid_argument("ecdsa: signature must be 64 bytes r || s");
  Bytes body;
  body.reserve(70);
  append_der_integer(body, signature_rs.data());
  append_der_integer(body, signature_rs.data() + 32);
  Bytes out;
  out.reserve(body.size() + 2);
  out.push_back(0x30);
  out.push_back(static_cast<std::uint8_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// --- secp256k1 recovery --------------------------------------------------------------------------

Result<RecoverableSignature> secp256k1_sign_recoverable(const SecretBytes& private_key,
                                                        ByteSpan digest) {
  NSL_TRY(check_digest(digest));
  NSL_TRY(ec_check_private_key(Curve::secp256k1, private_key));
  RecoverableSignature out{};
  int recid = -1;
  if (!internal::k1_sign(private_key.reveal(SecretAccess::grant()), digest, out.rs, &recid) ||
      recid < 0 || recid > 3) {
    return err::internal("ecdsa: signing failed");
  }
  out.recovery_id = static_cast<std::uint8_t>(recid);
  return out;
}

Result<UncompressedPublicKey> secp256k1_recover(ByteSpan digest, ByteSpan signature_rs,
                                                int recovery_id) {
  NSL_TRY(check_digest(digest));
  NSL_TRY(ecdsa_check_signature(Curve::secp256k1, signature_rs));
  if (recovery_id < 0 || recovery_id > 3)
    return err::invalid_argument("ecdsa: recovery id must be 0..3");
  EcdsaSignature sig;
  std::memcpy(sig.data(), signature_rs.data(), 64);
  UncompressedPublicKey out;
  if (!internal::k1_recover(digest, sig, recovery_id, out)) {
    return err::invalid_argument("ecdsa: no public key recovers from this signature");
  }
  return out;
}

}  // namespace nsl::crypto
