// nsl/enclave/trusted/sealing.hpp — sealed blob format v1 and the keys derived from the platform
// root.
//
// Sealing key = HKDF-SHA256(ikm = sealing secret, salt = identity value, info = "nsl-seal-v1" ||
// policy, 32) where the sealing secret is the platform root (platform.hpp) and the identity value
// is the enclave measurement (policy "measurement") or signer id (policy "signer").
//
// Sealed blob v1:
//   [0]       version = 1
//   [1]       kind: 1 = private key, 2 = tenant secret, 3 = data key
//   [2]       curve: KeyCurve value for keys, 0 for secrets
//   [3]       policy: 1 = measurement, 2 = signer
//   [4,12)    sealing-key fingerprint: SHA-256("nsl-seal-fp-v1" || sealing key)[0,8)
//   [12,...)  aes256gcm_seal(sealing key, plaintext, aad): nonce (12) || ciphertext || tag (16)
//   keys and data keys: aad = bytes [0,12) || binding_aad(binding)
//   secrets: aad = bytes [0,12) || binding_aad(binding) || u32be len(x) || x  (x: caller's aad)
// Key plaintext: the 32-byte EC scalar or the 32-byte Ed25519 seed; data keys: a 32-byte AES-256 key.
//
// Errors when opening: invalid_argument for a blob too short, of another version or with an unknown
// policy byte; permission_denied for a blob of the other kind, a blob sealed under the other policy
// or by another identity or sealing secret (fingerprint), and for an authentication failure (wrong
// binding or aad, or corruption: AES-GCM cannot tell them apart).
//
// Data key = HKDF-SHA256(ikm = sealing secret, salt = identity value, info = "nsl-data-key-v1" ||
// binding_aad(binding), 32).
//
// Thread-safety: a Sealer is immutable after create(); all members may run concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave::trusted {

enum class SealPolicy : std::uint8_t { measurement = 1, signer = 2 };
std::string_view seal_policy_name(SealPolicy p) noexcept;  // "measurement" | "signer"
Result<SealPolicy> parse_seal_policy(std::string_view name);

enum class BlobKind : std::uint8_t { private_key = 1, tenant_secret = 2, data_key = 3 };

inline constexpr std::uint8_t kSealedBlobVersion = 1;
inline constexpr std::size_t kSealedHeaderSize = 12;
inline constexpr std::size_t kSealedOverhead = kSealedHeaderSize + 12 + 16;
inline constexpr std::size_t kMaxSecretSize = 64 * 1024;
inline constexpr std::size_t kMaxSecretAadSize = 64 * 1024;

struct OpenedKey {
  KeyCurve curve = KeyCurve::secp256r1;
  SecretBytes private_key;  // 32 bytes: EC scalar or Ed25519 seed
};

class Sealer {
 public:
  // sealing_secret: the platform root (any non-empty size); identity: the measurement or signer id
  // the policy selects (non-empty).
  static Result<Sealer> create(const SecretBytes& sealing_secret, SealPolicy policy,
                               ByteView identity);

  Sealer(Sealer&&) noexcept = default;
  Sealer& operator=(Sealer&&) noexcept = default;

  SealPolicy policy() const noexcept { return policy_; }
  const std::array<std::uint8_t, 8>& fingerprint() const noexcept { return fingerprint_; }

  // private_key: 32 bytes. The binding is not re-checked here (the caller did).
  Result<Bytes> seal_key(const Binding& binding, KeyCurve curve,
                         const SecretBytes& private_key) const;
  Result<OpenedKey> open_key(const Binding& binding, ByteView blob) const;

  // A symmetric data key (32 bytes) generated in the enclave (Enclave::generate_data_key).
  Result<Bytes> seal_data_key(const Binding& binding, const SecretBytes& key) const;
  Result<SecretBytes> open_data_key(const Binding& binding, ByteView blob) const;

  Result<Bytes> seal_secret(const Binding& binding, ByteView plaintext, ByteView aad) const;
  Result<SecretBytes> open_secret(const Binding& binding, ByteView blob, ByteView aad) const;

  Result<SecretBytes> derive_data_key(const Binding& binding) const;

 private:
  Sealer(SecretBytes root, SecretBytes key, SealPolicy policy, Bytes identity,
         std::array<std::uint8_t, 8> fingerprint)
      : root_(std::move(root)),
        key_(std::move(key)),
        policy_(policy),
        identity_(std::move(identity)),
        fingerprint_(fingerprint) {}

  std::array<std::uint8_t, kSealedHeaderSize> header(BlobKind kind, std::uint8_t curve) const;
  // Checks the header of `blob` against the expected kind and this sealer; returns the curve byte.
  Result<std::uint8_t> check_header(ByteView blob, BlobKind kind) const;
  // 32 bytes of key material under aad = header || binding_aad(binding) (private and data keys).
  Result<Bytes> seal_bound(const Binding& binding, BlobKind kind, std::uint8_t curve, const SecretBytes& key) const;
  Result<SecretBytes> open_bound(const Binding& binding, ByteView blob) const;  // header checked by the caller

  SecretBytes root_;  // the sealing secret (for derived data keys)
  SecretBytes key_;   // the sealing key
  SealPolicy policy_;
  Bytes identity_;
  std::array<std::uint8_t, 8> fingerprint_;
};

}  // namespace nsl::enclave::trusted
