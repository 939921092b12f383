// nsl/enclave/protocol/import_wrap.hpp — the canonical binding encoding, and the format that
// carries a private key from its owner into nsl-enclave without the host ever seeing it in clear.
//
// Binding encoding (binding_aad): every sealed blob and every wrapped import authenticates its
// binding in this exact byte string, so the two sides must agree on it byte for byte:
//   u16be len(tenant_id) || tenant_id || u16be len(object_id) || object_id || u32be version ||
//   u16be len(purpose) || purpose
//
// Import wrap v1 (HPKE-style: X25519 + HKDF-SHA256 + AES-256-GCM, one ephemeral key per wrap):
//   [0]       version = 1
//   [1]       curve (KeyCurve value: 1 secp256r1, 2 secp256k1, 3 ed25519)
//   [2,34)    the recipient's X25519 transport public key (Identity::transport_public_key)
//   [34,66)   the sender's ephemeral X25519 public key
//   [66,126)  aes256gcm_seal(k, private key, aad): nonce (12) || ciphertext (32) || tag (16)
// where private key = the 32-byte big-endian EC scalar or the 32-byte Ed25519 seed,
//   k   = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral_pub || recipient_pub,
//                     info = "nsl-import-v1", 32)
//   aad = bytes [0,66) || binding_aad(binding)
// The transport key pair is fresh at every enclave start: fetch identity() (and check its
// attestation, AttestPurpose::transport_key) right before wrapping. A wrap made for an earlier
// start is refused with failed_precondition.
//
// Both sides use this header: the key owner calls wrap_for_import; the enclave parses with
// parse_import_wrap and derives k with import_wrap_key (enclave/trusted holds the transport private
// key). Nothing here reads secret bytes: the private key travels as SecretBytes into crypto/
// functions.
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(auto id, enclave.identity());
//   NSL_TRY_ASSIGN(auto wrapped,
//                  wrap_for_import(id.transport_public_key, KeyCurve::secp256k1, binding, key));
//   NSL_TRY_ASSIGN(auto sealed, enclave.import_key(binding, KeyCurve::secp256k1, wrapped));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave {

// The canonical encoding above. The binding should have passed check_binding(); longer fields than
// a u16 can express are truncated in the length prefix, which check_binding's 128-byte limit rules
// out.
Bytes binding_aad(const Binding& binding);

inline constexpr std::uint8_t kImportWrapVersion = 1;
inline constexpr std::size_t kImportWrapHeaderSize = 66;
inline constexpr std::size_t kImportKeySize = 32;  // EC scalar or Ed25519 seed
inline constexpr std::size_t kImportWrapSize =
    kImportWrapHeaderSize + 12 + kImportKeySize + 16;  // 126

// A wrapped key as received; `header` and `sealed` view the caller's buffer.
struct ImportWrapView {
  KeyCurve curve = KeyCurve::secp256r1;
  std::array<std::uint8_t, 32> recipient_public_key{};
  std::array<std::uint8_t, 32> ephemeral_public_key{};
  ByteView header;  // bytes [0,66)
  ByteView sealed;  // nonce || ciphertext || tag
};

// Layout only: size, version and curve byte. invalid_argument ("import wrap: ...") otherwise.
Result<ImportWrapView> parse_import_wrap(ByteView wrapped);

// bytes [0,66) || binding_aad(binding): the AES-GCM associated data.
Bytes import_wrap_aad(ByteView header, const Binding& binding);

// k = HKDF-SHA256(shared_secret, ephemeral_pub || recipient_pub, "nsl-import-v1", 32).
Result<SecretBytes> import_wrap_key(const SecretBytes& shared_secret, ByteView ephemeral_public_key,
                                    ByteView recipient_public_key);

// Wraps `private_key` (32 bytes: EC scalar, checked to be in [1, n), or Ed25519 seed) for the
// enclave whose transport public key is `recipient_transport_pub` (32 bytes), under `binding`.
// invalid_argument for a bad binding, key or recipient key.
Result<Bytes> wrap_for_import(ByteView recipient_transport_pub, KeyCurve curve,
                              const Binding& binding, const SecretBytes& private_key);

// ---- Export wrap v1: the same construction in the other direction (enclave -> key owner) -------
//
// Byte layout exactly as import wrap v1 (126 bytes; [2,34) is the OWNER's X25519 public key,
// [34,66) the enclave's ephemeral key), but
//   k = HKDF-SHA256(X25519(ephemeral, owner), salt = ephemeral_pub || owner_pub,
//                   info = "nsl-export-v1", 32)
// so an export wrap never opens as an import wrap or the other way round. The binding is the
// exported key version's: Binding{tenant, key id, version, "signing"}.
inline constexpr std::uint8_t kExportWrapVersion = 1;
inline constexpr std::size_t kExportWrapSize = kImportWrapSize;  // 126

// The enclave's side: wraps `private_key` to the owner's X25519 public key. Errors as
// wrap_for_import.
Result<Bytes> wrap_for_export(ByteView owner_public_key, KeyCurve curve, const Binding& binding,
                              const SecretBytes& private_key);

struct ExportedKey {
  KeyCurve curve = KeyCurve::secp256r1;
  SecretBytes private_key;  // 32 bytes: EC scalar or Ed25519 seed
};

// The owner's side: opens an export wrap with the owner's X25519 private key (32 bytes) under the
// binding it was made for. invalid_argument for a malformed wrap or one addressed to another
// public key; permission_denied when it does not open (other binding, tampered).
Result<ExportedKey> open_export_wrap(const SecretBytes& owner_private_key, const Binding& binding,
                                     ByteView wrapped);

}  // namespace nsl::enclave
