#include "enclave/protocol/import_wrap.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/mac.hpp"
#include "crypto/x25519.hpp"

namespace nsl::enclave {
namespace {

constexpr std::string_view kImportInfo = "nsl-import-v1";
constexpr std::string_view kExportInfo = "nsl-export-v1";

void put_u16(Bytes& out, std::size_t n) {
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
}

void put_field(Bytes& out, std::string_view s) {
  s = s.substr(0, 0xffff);  // check_binding limits fields to 128 bytes; never let a prefix lie
  put_u16(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

bool known_curve(std::uint8_t c) {
  return c == static_cast<std::uint8_t>(KeyCurve::secp256r1) ||
         c == static_cast<std::uint8_t>(KeyCurve::secp256k1) ||
         c == static_cast<std::uint8_t>(KeyCurve::ed25519);
}

}  // namespace

Bytes binding_aad(const Binding& binding) {
  Bytes out;
  out.reserve(10 + binding.tenant_id.size() + binding.object_id.size() + binding.purpose.size());
  put_field(out, binding.tenant_id);
  put_field(out, binding.object_id);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(binding.version >> shift));
  }
  put_field(out, binding.purpose);
  return out;
}

Result<ImportWrapView> parse_import_wrap(ByteView wrapped) {
  if (wrapped.size() != kImportWrapSize) {
    return err::invalid_argument("import wrap: expected " + std::to_string(kImportWrapSize) +
                                 " bytes, got " + std::to_string(wrapped.size()));
  }
  if (wrapped[0] != kImportWrapVersion) {
    return err::invalid_argument("import wrap: unsupported version " + std::to_string(wrapped[0]));
  }
  if (!known_curve(wrapped[1])) {
    return err::invalid_argument("import wrap: unknown curve " + std::to_string(wrapped[1]));
  }
  ImportWrapView v;
  v.curve = static_cast<KeyCurve>(wrapped[1]);
  std::copy_n(wrapped.begin() + 2, 32, v.recipient_public_key.begin());
  std::copy_n(wrapped.begin() + 34, 32, v.ephemeral_public_key.begin());
  v.header = wrapped.first(kImportWrapHeaderSize);
  v.sealed = wrapped.subspan(kImportWrapHeaderSize);
  return v;
}

Bytes import_wrap_aad(ByteView header, const Binding& binding) {
  Bytes aad(header.begin(), header.end());
  const Bytes b = binding_aad(binding);
  aad.insert(aad.end(), b.begin(), b.end());
  return aad;
}

namespace {

Result<SecretBytes> wrap_key(std::string_view info, const SecretBytes& shared, ByteView eph_pub,
                             ByteView recipient_pub) {
  Bytes salt(eph_pub.begin(), eph_pub.end());
  salt.insert(salt.end(), recipient_pub.begin(), recipient_pub.end());
  return crypto::hkdf_sha256(shared, salt, crypto::as_bytes(info), 32);
}

// The one wrap layout for imports (to the enclave's transport key) and exports (to an owner's key);
// `what` and `recipient` name them in errors.
Result<Bytes> wrap_with(std::string_view info, std::string_view what, std::string_view recipient,
                        ByteView recipient_pub, KeyCurve curve, const Binding& binding,
                        const SecretBytes& private_key) {
  const std::string w(what);
  NSL_TRY(check_binding(binding));
  if (recipient_pub.size() != crypto::kX25519KeySize) {
    return err::invalid_argument(w + ": the " + std::string(recipient) + " must be 32 bytes");
  }
  if (!known_curve(static_cast<std::uint8_t>(curve))) return err::invalid_argument(w + ": unknown curve");
  if (private_key.size() != kImportKeySize) {
    return err::invalid_argument(w + ": a " + std::string(key_curve_name(curve)) +
                                 " private key must be 32 bytes");
  }
  if (curve == KeyCurve::secp256r1 || curve == KeyCurve::secp256k1) {
    const auto c =
        curve == KeyCurve::secp256r1 ? crypto::Curve::secp256r1 : crypto::Curve::secp256k1;
    NSL_TRY(crypto::ec_check_private_key(c, private_key));
  }
  const crypto::X25519KeyPair eph = crypto::x25519_generate();
  // x25519 refuses an all-zero shared secret (a low-order recipient key).
  NSL_TRY_ASSIGN(SecretBytes shared, crypto::x25519(eph.private_key, recipient_pub));
  NSL_TRY_ASSIGN(SecretBytes k, wrap_key(info, shared, eph.public_key, recipient_pub));
  Bytes out;
  out.reserve(kImportWrapSize);
  out.push_back(kImportWrapVersion);
  out.push_back(static_cast<std::uint8_t>(curve));
  out.insert(out.end(), recipient_pub.begin(), recipient_pub.end());
  out.insert(out.end(), eph.public_key.begin(), eph.public_key.end());
  const Bytes aad = import_wrap_aad(out, binding);
  NSL_TRY_ASSIGN(Bytes sealed, crypto::aes256gcm_seal(k, private_key, aad));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

}  // namespace

Result<SecretBytes> import_wrap_key(const SecretBytes& shared_secret, ByteView ephemeral_public_key,
                                    ByteView recipient_public_key) {
  return wrap_key(kImportInfo, shared_secret, ephemeral_public_key, recipient_public_key);
}

Result<Bytes> wrap_for_export(ByteView owner_public_key, KeyCurve curve, const Binding& binding,
                              const SecretBytes& private_key) {
  return wrap_with(kExportInfo, "export wrap", "recipient public key", owner_public_key, curve, binding,
                   private_key);
}

Result<ExportedKey> open_export_wrap(const SecretBytes& owner_private_key, const Binding& binding,
                                     ByteView wrapped) {
  NSL_TRY(check_binding(binding));
  auto view = parse_import_wrap(wrapped);
  if (!view.ok()) {
    std::string m = view.error().message();
    if (m.rfind("import wrap", 0) == 0) m.replace(0, 11, "export wrap");
    return err::invalid_argument(m);
  }
  NSL_TRY_ASSIGN(crypto::X25519PublicKey mine, crypto::x25519_public_key(owner_private_key));
  if (!std::equal(mine.begin(), mine.end(), view->recipient_public_key.begin())) {
    return err::invalid_argument("export wrap: addressed to another public key");
  }
  NSL_TRY_ASSIGN(SecretBytes shared, crypto::x25519(owner_private_key, view->ephemeral_public_key));
  NSL_TRY_ASSIGN(SecretBytes k, wrap_key(kExportInfo, shared, view->ephemeral_public_key,
                                         view->recipient_public_key));
  auto key = crypto::aes256gcm_open_secret(k, view->sealed, import_wrap_aad(view->header, binding));
  if (!key.ok()) {
    return err::permission_denied("export wrap: does not open under this binding, or is corrupt");
  }
  if (key->size() != kImportKeySize) return err::invalid_argument("export wrap: the key must be 32 bytes");
  return ExportedKey{.curve = view->curve, .private_key = std::move(key).value()};
}

Result<Bytes> wrap_for_import(ByteView recipient_transport_pub, KeyCurve curve,
                              const Binding& binding, const SecretBytes& private_key) {
  return wrap_with(kImportInfo, "import wrap", "transport public key", recipient_transport_pub, curve, binding,
                   private_key);
}

}  // namespace nsl::enclave
