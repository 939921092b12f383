#include "enclave/protocol/codec.hpp"

#include <algorithm>
#include <string>

#include "core/secret_string.hpp"

namespace nsl::enclave::protocol {

v1::Binding to_proto(const Binding& b) {
  v1::Binding out;
  out.set_tenant_id(b.tenant_id);
  out.set_object_id(b.object_id);
  out.set_version(b.version);
  out.set_purpose(b.purpose);
  return out;
}

Binding from_proto(const v1::Binding& b) {
  return {.tenant_id = b.tenant_id(), .object_id = b.object_id(), .version = b.version(), .purpose = b.purpose()};
}

v1::Curve to_proto(KeyCurve c) noexcept {
  switch (c) {
    case KeyCurve::secp256r1: return v1::SECP256R1;
    case KeyCurve::secp256k1: return v1::SECP256K1;
    case KeyCurve::ed25519: return v1::ED25519;
  }
  return v1::CURVE_UNSPECIFIED;
}

Result<KeyCurve> from_proto(v1::Curve c) {
  switch (c) {
    case v1::SECP256R1: return KeyCurve::secp256r1;
    case v1::SECP256K1: return KeyCurve::secp256k1;
    case v1::ED25519: return KeyCurve::ed25519;
    default: break;
  }
  return err::invalid_argument("curve must be secp256r1, secp256k1 or ed25519");
}

v1::SignFormat to_proto(SignFormat f) noexcept {
  switch (f) {
    case SignFormat::raw_digest: return v1::SIGN_FORMAT_RAW_DIGEST;
    case SignFormat::neo_message: return v1::SIGN_FORMAT_NEO_MESSAGE;
    case SignFormat::eip191: return v1::SIGN_FORMAT_EIP191;
    case SignFormat::eip712: return v1::SIGN_FORMAT_EIP712;
    case SignFormat::neo_tx: return v1::SIGN_FORMAT_NEO_TX;
    case SignFormat::evm_tx: return v1::SIGN_FORMAT_EVM_TX;
  }
  return v1::SIGN_FORMAT_UNSPECIFIED;
}

Result<SignFormat> from_proto(v1::SignFormat f) {
  switch (f) {
    case v1::SIGN_FORMAT_RAW_DIGEST: return SignFormat::raw_digest;
    case v1::SIGN_FORMAT_NEO_MESSAGE: return SignFormat::neo_message;
    case v1::SIGN_FORMAT_EIP191: return SignFormat::eip191;
    case v1::SIGN_FORMAT_EIP712: return SignFormat::eip712;
    case v1::SIGN_FORMAT_NEO_TX: return SignFormat::neo_tx;
    case v1::SIGN_FORMAT_EVM_TX: return SignFormat::evm_tx;
    default: break;
  }
  return err::invalid_argument("format must be raw_digest, neo_message, eip191, eip712, neo_tx or evm_tx");
}

void set_error(v1::Error& out, const Error& error) {
  out.set_code(static_cast<v1::ErrorCode>(static_cast<int>(error.code()) + 1));
  out.set_message(error.message());
}

void set_error(v1::Response& response, const Error& error) {
  response.clear_result();
  set_error(*response.mutable_error(), error);
}

Error error_from_proto(const v1::Error& e) {
  const int code = static_cast<int>(e.code()) - 1;
  if (code < 0 || code > static_cast<int>(ErrorCode::deadline_exceeded)) {
    return err::internal("enclave returned an unknown error code " + std::to_string(e.code()) + ": " + e.message());
  }
  return {static_cast<ErrorCode>(code), e.message()};
}

namespace {
Error wrong_result(std::string_view what) {
  return err::internal("enclave answered with a malformed or unexpected " + std::string(what));
}
}  // namespace

Result<SealedKey> unpack_key(const v1::Response& r) {
  if (!r.has_key()) return wrong_result("key result");
  const auto& k = r.key();
  auto curve = from_proto(k.curve());
  if (!curve.ok()) return wrong_result("key curve");
  const std::size_t want = *curve == KeyCurve::ed25519 ? 32 : 33;
  if (k.public_key().size() != want || k.sealed().empty()) return wrong_result("key result");
  return SealedKey{*curve, Bytes(k.public_key().begin(), k.public_key().end()),
                   Bytes(k.sealed().begin(), k.sealed().end())};
}

Result<Signature> unpack_signature(const v1::Response& r) {
  Signature sig{};
  if (!r.has_signature() || r.signature().signature().size() != sig.size()) return wrong_result("signature");
  std::copy(r.signature().signature().begin(), r.signature().signature().end(), sig.begin());
  return sig;
}

Result<Quote> unpack_quote(const v1::Response& r) {
  Quote q;
  if (!r.has_quote() || r.quote().report_data().size() != q.report_data.size() || r.quote().quote().empty()) {
    return wrong_result("quote");
  }
  q.format = r.quote().format();
  q.quote.assign(r.quote().quote().begin(), r.quote().quote().end());
  std::copy(r.quote().report_data().begin(), r.quote().report_data().end(), q.report_data.begin());
  return q;
}

Result<Identity> unpack_identity(const v1::Response& r) {
  if (!r.has_identity()) return wrong_result("identity");
  const auto& m = r.identity();
  Identity id;
  auto mode = parse_mode(m.mode());
  if (!mode.ok()) return wrong_result("identity mode");
  id.mode = *mode;
  id.simulated = m.simulated();
  id.measurement.assign(m.measurement().begin(), m.measurement().end());
  id.seal_policy = m.seal_policy();
  if (m.transport_public_key().size() != id.transport_public_key.size()) return wrong_result("transport key");
  std::copy(m.transport_public_key().begin(), m.transport_public_key().end(), id.transport_public_key.begin());
  id.version = m.version();
  return id;
}

Result<TypedSignature> unpack_typed_signature(const v1::Response& r) {
  if (!r.has_typed_signature()) return wrong_result("typed signature");
  const auto& t = r.typed_signature();
  TypedSignature out;
  if (t.signature().size() != 64 || t.digest().size() != out.digest.size() || t.recovery_id() > 1) {
    return wrong_result("typed signature");
  }
  out.signature.assign(t.signature().begin(), t.signature().end());
  out.recovery_id = static_cast<std::uint8_t>(t.recovery_id());
  std::copy(t.digest().begin(), t.digest().end(), out.digest.begin());
  out.moves.reserve(static_cast<std::size_t>(t.moves_size()));
  for (const auto& m : t.moves()) out.moves.push_back(AssetAmount{m.asset(), m.amount()});
  return out;
}

Result<ExportedKeyBlob> unpack_exported(const v1::Response& r) {
  if (!r.has_exported()) return wrong_result("exported key");
  const auto& e = r.exported();
  ExportedKeyBlob out;
  switch (e.exported_case()) {
    case v1::ExportResult::kNep2:
      out.format = ExportRequest::Format::nep2;
      out.nep2 = e.nep2();
      return out;
    case v1::ExportResult::kWrapped:
      out.format = ExportRequest::Format::wrapped;
      out.wrapped.assign(e.wrapped().begin(), e.wrapped().end());
      return out;
    default: return wrong_result("exported key");
  }
}

Result<std::vector<Result<Bytes>>> unpack_sealed_many(const v1::Response& r, std::size_t items) {
  if (!r.has_sealed_many()) return wrong_result("batch of ciphertexts");
  const auto& many = r.sealed_many();
  if (static_cast<std::size_t>(many.items_size()) != items) {
    return err::internal("enclave answered " + std::to_string(many.items_size()) + " ciphertexts for " +
                         std::to_string(items) + " items");
  }
  std::vector<Result<Bytes>> out;
  out.reserve(items);
  for (const v1::SealedItem& item : many.items()) {
    if (item.has_error()) {
      out.emplace_back(error_from_proto(item.error()));
    } else if (item.sealed().empty()) {
      out.emplace_back(err::internal("enclave answered an empty ciphertext"));
    } else {
      out.emplace_back(Bytes(item.sealed().begin(), item.sealed().end()));
    }
  }
  return out;
}

void wipe_secrets(v1::Response& response) noexcept {
  if (response.has_secret()) SecretString::wipe(*response.mutable_secret()->mutable_secret());
  if (response.has_generated()) SecretString::wipe(*response.mutable_generated()->mutable_plaintext());
  if (response.has_exported() && response.exported().has_nep2()) {
    SecretString::wipe(*response.mutable_exported()->mutable_nep2());
  }
  response.clear_result();
}

void wipe_secrets(v1::Request& request) noexcept {
  if (request.has_hello()) SecretString::wipe(*request.mutable_hello()->mutable_token());
  if (request.has_seal()) SecretString::wipe(*request.mutable_seal()->mutable_plaintext());
  if (request.has_export_key()) SecretString::wipe(*request.mutable_export_key()->mutable_nep2_passphrase());
  if (request.has_data_encrypt()) SecretString::wipe(*request.mutable_data_encrypt()->mutable_plaintext());
  if (request.has_data_encrypt_many()) {
    for (auto& item : *request.mutable_data_encrypt_many()->mutable_items()) {
      SecretString::wipe(*item.mutable_plaintext());
    }
  }
}

}  // namespace nsl::enclave::protocol
