// nsl/crypto/rsa.hpp — RSA for JWS RS256 only: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
//
// Back end: OpenSSL 3 (EVP). No encryption, no PSS, no other hash: a key here can do exactly one
// thing, which keeps JWS algorithm confusion out of this layer too.
//
// Keys:
//   RsaPrivateKey  opaque, move-only; from rsa_generate(bits) (2048..4096, default 3072), from a
//                  PKCS#8 PrivateKeyInfo DER in SecretBytes (the form sealed at rest, see
//                  to_pkcs8_der()), or from components (known-answer tests, JWK imports).
//                  Imports run OpenSSL's pairwise consistency check.
//   RsaPublicKey   opaque, immutable, cheap to copy (shares one EVP_PKEY); from (n, e) big-endian
//                  bytes (leading zero bytes ignored): modulus 2048..8192 bits and odd, e odd,
//                  1 < e < 2^64. n()/e() return the minimal big-endian encodings (for JWK export).
// Signatures are exactly modulus-length bytes (RFC 8017 I2OSP); verification rejects any other
// length before doing RSA, and returns false for every malformed input.
//
// Thread-safety: keys are immutable after construction; sign/verify may run concurrently on the
// same key from any thread (each call uses its own EVP_MD_CTX).
//
//   NSL_TRY_ASSIGN(auto key, rsa_generate());                 // 3072 bits
//   NSL_TRY_ASSIGN(auto sig, rs256_sign(key, as_bytes(input)));
//   bool ok = rs256_verify(key.public_key(), as_bytes(input), sig);
//   SecretBytes sealed_later = key.to_pkcs8_der();
#pragma once

#include <cstddef>
#include <memory>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto {

inline constexpr std::size_t kRsaMinBits = 2048;
inline constexpr std::size_t kRsaMaxGenerateBits = 4096;
inline constexpr std::size_t kRsaMaxBits = 8192;
inline constexpr std::size_t kRsaDefaultBits = 3072;

class RsaPublicKey {
 public:
  // invalid_argument unless the rules in the file comment hold.
  static Result<RsaPublicKey> from_components(ByteSpan n, ByteSpan e);

  const Bytes& n() const noexcept;
  const Bytes& e() const noexcept;
  std::size_t modulus_bits() const noexcept;
  std::size_t modulus_bytes() const noexcept;  // = signature length

  friend bool operator==(const RsaPublicKey& a, const RsaPublicKey& b) noexcept;

  struct Impl;  // defined in rsa.cpp
  explicit RsaPublicKey(std::shared_ptr<const Impl> impl) noexcept : impl_(std::move(impl)) {}
  const Impl& impl() const noexcept { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// Private components, big-endian (JWK "d","p","q","dp","dq","qi" decoded).
struct RsaPrivateComponents {
  Bytes n;
  Bytes e;
  SecretBytes d;
  SecretBytes p;
  SecretBytes q;
  SecretBytes dp;
  SecretBytes dq;
  SecretBytes qi;
};

class RsaPrivateKey {
 public:
  RsaPrivateKey(RsaPrivateKey&&) noexcept;
  RsaPrivateKey& operator=(RsaPrivateKey&&) noexcept;
  RsaPrivateKey(const RsaPrivateKey&) = delete;
  RsaPrivateKey& operator=(const RsaPrivateKey&) = delete;
  ~RsaPrivateKey();

  const RsaPublicKey& public_key() const noexcept;
  std::size_t modulus_bits() const noexcept { return public_key().modulus_bits(); }
  // PKCS#8 PrivateKeyInfo DER (unencrypted: seal it before it leaves memory).
  SecretBytes to_pkcs8_der() const;

  struct Impl;  // defined in rsa.cpp
  explicit RsaPrivateKey(std::unique_ptr<Impl> impl) noexcept;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// bits in [kRsaMinBits, kRsaMaxGenerateBits] else invalid_argument; e = 65537.
Result<RsaPrivateKey> rsa_generate(std::size_t bits = kRsaDefaultBits);
// invalid_argument unless one RSA (not RSA-PSS) PrivateKeyInfo with no trailing bytes, modulus in
// [kRsaMinBits, kRsaMaxBits], passing the pairwise check.
Result<RsaPrivateKey> rsa_private_from_pkcs8_der(const SecretBytes& der);
Result<RsaPrivateKey> rsa_private_from_components(const RsaPrivateComponents& c);

// RSASSA-PKCS1-v1_5 over SHA-256(message); deterministic.
Result<Bytes> rs256_sign(const RsaPrivateKey& key, ByteSpan message);
bool rs256_verify(const RsaPublicKey& key, ByteSpan message, ByteSpan signature) noexcept;

}  // namespace nsl::crypto
