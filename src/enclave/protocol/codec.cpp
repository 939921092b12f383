#include "enclave/protocol/codec.hpp"

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

void set_error(v1::Response& response, const Error& error) {
  response.clear_result();
  auto* e = response.mutable_error();
  e->set_code(static_cast<v1::ErrorCode>(static_cast<int>(error.code()) + 1));
  e->set_message(error.message());
}

Error error_from_proto(const v1::Error& e) {
  const int code = static_cast<int>(e.code()) - 1;
  if (code < 0 || code > static_cast<int>(ErrorCode::deadline_exceeded)) {
    return err::internal("enclave returned an unknown error code " + std::to_string(e.code()) + ": " + e.message());
  }
  return {static_cast<ErrorCode>(code), e.message()};
}

void wipe_secrets(v1::Response& response) noexcept {
  if (response.has_secret()) SecretString::wipe(*response.mutable_secret()->mutable_secret());
  response.clear_result();
}

}  // namespace nsl::enclave::protocol
