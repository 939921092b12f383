#include "enclave/trusted/sealing.hpp"

#include <algorithm>
#include <string>

#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"
#include "enclave/protocol/import_wrap.hpp"

namespace nsl::enclave::trusted {
namespace {

constexpr std::string_view kSealInfo = "nsl-seal-v1";
constexpr std::string_view kFingerprintLabel = "nsl-seal-fp-v1";
constexpr std::string_view kDataKeyInfo = "nsl-data-key-v1";

bool known_curve(std::uint8_t c) {
  return c >= static_cast<std::uint8_t>(KeyCurve::secp256r1) &&
         c <= static_cast<std::uint8_t>(KeyCurve::ed25519);
}

std::string_view kind_name(BlobKind k) {
  switch (k) {
    case BlobKind::private_key: return "a private key";
    case BlobKind::tenant_secret: return "a tenant secret";
    case BlobKind::data_key: return "a data key";
  }
  return "an unknown kind";
}

Error auth_failed() {
  return err::permission_denied(
      "sealed blob does not match this binding (tenant, object, version, purpose) or is corrupt");
}

}  // namespace

std::string_view seal_policy_name(SealPolicy p) noexcept {
  return p == SealPolicy::measurement ? "measurement" : "signer";
}

Result<SealPolicy> parse_seal_policy(std::string_view name) {
  if (name == "measurement") return SealPolicy::measurement;
  if (name == "signer") return SealPolicy::signer;
  return err::invalid_argument("unknown seal policy '" + std::string(name) +
                               "' (expected measurement or signer)");
}

Result<Sealer> Sealer::create(const SecretBytes& sealing_secret, SealPolicy policy,
                              ByteView identity) {
  if (sealing_secret.empty()) return err::internal("sealing: empty sealing secret");
  if (identity.empty()) return err::internal("sealing: empty identity value");
  Bytes info(kSealInfo.begin(), kSealInfo.end());
  info.push_back(static_cast<std::uint8_t>(policy));
  NSL_TRY_ASSIGN(SecretBytes key, crypto::hkdf_sha256(sealing_secret, identity, info, 32));

  // SHA-256(label || key), assembled in a SecretBytes so no plain copy of the key is left behind.
  const auto access = SecretAccess::grant();
  SecretBytes fp_input(kFingerprintLabel.size() + key.size());
  auto in = fp_input.reveal_mut(access);
  std::copy(kFingerprintLabel.begin(), kFingerprintLabel.end(), in.begin());
  const auto k = key.reveal(access);
  std::copy(k.begin(), k.end(), in.begin() + static_cast<std::ptrdiff_t>(kFingerprintLabel.size()));
  const auto digest = crypto::sha256(fp_input.reveal(access));
  std::array<std::uint8_t, 8> fp{};
  std::copy_n(digest.begin(), fp.size(), fp.begin());

  return Sealer(sealing_secret.clone(), std::move(key), policy,
                Bytes(identity.begin(), identity.end()), fp);
}

std::array<std::uint8_t, kSealedHeaderSize> Sealer::header(BlobKind kind,
                                                           std::uint8_t curve) const {
  std::array<std::uint8_t, kSealedHeaderSize> h{};
  h[0] = kSealedBlobVersion;
  h[1] = static_cast<std::uint8_t>(kind);
  h[2] = curve;
  h[3] = static_cast<std::uint8_t>(policy_);
  std::copy(fingerprint_.begin(), fingerprint_.end(), h.begin() + 4);
  return h;
}

Result<std::uint8_t> Sealer::check_header(ByteView blob, BlobKind kind) const {
  if (blob.size() < kSealedOverhead) return err::invalid_argument("sealed blob: too short");
  if (blob[0] != kSealedBlobVersion) {
    return err::invalid_argument("sealed blob: unsupported version " + std::to_string(blob[0]));
  }
  const std::uint8_t blob_kind = blob[1];
  if (blob_kind != static_cast<std::uint8_t>(BlobKind::private_key) &&
      blob_kind != static_cast<std::uint8_t>(BlobKind::tenant_secret) &&
      blob_kind != static_cast<std::uint8_t>(BlobKind::data_key)) {
    return err::invalid_argument("sealed blob: unknown kind " + std::to_string(blob_kind));
  }
  if (blob_kind != static_cast<std::uint8_t>(kind)) {
    return err::permission_denied("sealed blob holds " +
                                  std::string(kind_name(static_cast<BlobKind>(blob_kind))) +
                                  ", not " + std::string(kind_name(kind)));
  }
  const std::uint8_t curve = blob[2];
  if (kind == BlobKind::private_key ? !known_curve(curve) : curve != 0) {
    return err::permission_denied("sealed blob: curve byte " + std::to_string(curve) +
                                  " is not valid for " + std::string(kind_name(kind)));
  }
  const std::uint8_t policy = blob[3];
  if (policy != static_cast<std::uint8_t>(SealPolicy::measurement) &&
      policy != static_cast<std::uint8_t>(SealPolicy::signer)) {
    return err::invalid_argument("sealed blob: unknown seal policy " + std::to_string(policy));
  }
  if (policy != static_cast<std::uint8_t>(policy_)) {
    return err::permission_denied("sealed blob was sealed under the " +
                                  std::string(seal_policy_name(static_cast<SealPolicy>(policy))) +
                                  " policy; this enclave uses " +
                                  std::string(seal_policy_name(policy_)));
  }
  if (!std::equal(fingerprint_.begin(), fingerprint_.end(), blob.begin() + 4)) {
    return err::permission_denied(
        "sealed blob was sealed by a different enclave identity or sealing secret");
  }
  return curve;
}

Result<Bytes> Sealer::seal_bound(const Binding& binding, BlobKind kind, std::uint8_t curve,
                                 const SecretBytes& key) const {
  if (key.size() != 32) return err::internal("sealing: key material must be 32 bytes");
  const auto h = header(kind, curve);
  Bytes aad(h.begin(), h.end());
  const Bytes b = binding_aad(binding);
  aad.insert(aad.end(), b.begin(), b.end());
  NSL_TRY_ASSIGN(Bytes sealed, crypto::aes256gcm_seal(key_, key, aad));
  Bytes out(h.begin(), h.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

Result<SecretBytes> Sealer::open_bound(const Binding& binding, ByteView blob) const {
  Bytes aad(blob.begin(), blob.begin() + kSealedHeaderSize);
  const Bytes b = binding_aad(binding);
  aad.insert(aad.end(), b.begin(), b.end());
  auto opened = crypto::aes256gcm_open_secret(key_, blob.subspan(kSealedHeaderSize), aad);
  if (!opened.ok()) return auth_failed();
  if (opened->size() != 32) {
    // Authenticated, so sealed by us: a bug, not an attack.
    return err::internal("sealed blob: authenticated key of " + std::to_string(opened->size()) +
                         " bytes");
  }
  return std::move(opened).value();
}

Result<Bytes> Sealer::seal_key(const Binding& binding, KeyCurve curve,
                               const SecretBytes& private_key) const {
  return seal_bound(binding, BlobKind::private_key, static_cast<std::uint8_t>(curve), private_key);
}

Result<OpenedKey> Sealer::open_key(const Binding& binding, ByteView blob) const {
  NSL_TRY_ASSIGN(const std::uint8_t curve, check_header(blob, BlobKind::private_key));
  NSL_TRY_ASSIGN(SecretBytes key, open_bound(binding, blob));
  return OpenedKey{static_cast<KeyCurve>(curve), std::move(key)};
}

Result<Bytes> Sealer::seal_data_key(const Binding& binding, const SecretBytes& key) const {
  return seal_bound(binding, BlobKind::data_key, 0, key);
}

Result<SecretBytes> Sealer::open_data_key(const Binding& binding, ByteView blob) const {
  NSL_TRY(check_header(blob, BlobKind::data_key));
  return open_bound(binding, blob);
}

namespace {

Bytes secret_aad(ByteView header, const Binding& binding, ByteView aad) {
  Bytes out(header.begin(), header.end());
  const Bytes b = binding_aad(binding);
  out.insert(out.end(), b.begin(), b.end());
  const auto n = static_cast<std::uint32_t>(aad.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  out.insert(out.end(), aad.begin(), aad.end());
  return out;
}

}  // namespace

Result<Bytes> Sealer::seal_secret(const Binding& binding, ByteView plaintext, ByteView aad) const {
  if (plaintext.size() > kMaxSecretSize) {
    return err::invalid_argument("secret too large: at most " + std::to_string(kMaxSecretSize) +
                                 " bytes");
  }
  if (aad.size() > kMaxSecretAadSize) {
    return err::invalid_argument("aad too large: at most " + std::to_string(kMaxSecretAadSize) +
                                 " bytes");
  }
  const auto h = header(BlobKind::tenant_secret, 0);
  NSL_TRY_ASSIGN(Bytes sealed,
                 crypto::aes256gcm_seal(key_, plaintext, secret_aad(h, binding, aad)));
  Bytes out(h.begin(), h.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

Result<SecretBytes> Sealer::open_secret(const Binding& binding, ByteView blob, ByteView aad) const {
  if (aad.size() > kMaxSecretAadSize) {
    return err::invalid_argument("aad too large: at most " + std::to_string(kMaxSecretAadSize) +
                                 " bytes");
  }
  NSL_TRY(check_header(blob, BlobKind::tenant_secret));
  auto opened =
      crypto::aes256gcm_open_secret(key_, blob.subspan(kSealedHeaderSize),
                                    secret_aad(blob.first(kSealedHeaderSize), binding, aad));
  if (!opened.ok()) return auth_failed();
  return std::move(opened).value();
}

Result<SecretBytes> Sealer::derive_data_key(const Binding& binding) const {
  Bytes info(kDataKeyInfo.begin(), kDataKeyInfo.end());
  const Bytes b = binding_aad(binding);
  info.insert(info.end(), b.begin(), b.end());
  return crypto::hkdf_sha256(root_, identity_, info, 32);
}

}  // namespace nsl::enclave::trusted
